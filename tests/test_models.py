import pytest
from mxnet import init, np
from mxnet.gluon import nn

from d2lhelpers import models


def small_cnn():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, kernel_size=3, padding=1), nn.MaxPool2D(2), nn.Dense(10))
    net.initialize(init.Xavier())
    return net


def test_layer_shapes_follow_the_layers():
    shapes = models.layer_shapes(small_cnn(), np.zeros((2, 1, 8, 8)))
    assert shapes == [("Conv2D", (2, 4, 8, 8)), ("MaxPool2D", (2, 4, 4, 4)), ("Dense", (2, 10))]


def test_layer_shapes_rejects_non_sequential():
    with pytest.raises(ValueError, match="net must be a Sequential"):
        models.layer_shapes(nn.Dense(3), np.zeros((1, 2)))


def test_count_parameters():
    net = small_cnn()
    with pytest.raises(ValueError, match="forward pass"):
        models.count_parameters(net)  # input sizes not known yet
    net(np.zeros((1, 1, 8, 8)))
    assert models.count_parameters(net) == (4 * 1 * 3 * 3 + 4) + (4 * 4 * 4 * 10 + 10)


def test_count_parameters_skips_batch_norm_statistics():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, kernel_size=5), nn.BatchNorm())
    net.initialize()
    net(np.zeros((1, 1, 28, 28)))
    # Conv2D weights and biases, BatchNorm's gamma and beta; not its running mean and variance.
    assert models.count_parameters(net) == (6 * 1 * 5 * 5 + 6) + 2 * 6
