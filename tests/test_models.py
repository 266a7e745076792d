import pytest
from mxnet import autograd, init, np
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


# --- FLOPs ----------------------------------------------------------------------------------------


def test_forward_flops_of_a_tiny_model_by_hand():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(2, kernel_size=3, padding=1), nn.MaxPool2D(pool_size=1), nn.Dense(3))
    net.initialize()
    # Conv2D: 2 x 5 x 5 outputs, each a 1 x 3 x 3 dot product: 2 * 9 * 50 = 900 FLOPs.
    # Dense: 3 outputs, each a dot product over the 50 inputs: 2 * 50 * 3 = 300. Pooling is not counted.
    assert models.forward_flops(net, (1, 5, 5)) == 900 + 300
    net.hybridize()
    with pytest.raises(ValueError, match="net must not be hybridized"):
        models.forward_flops(net, (1, 5, 5))
    pool = nn.HybridSequential()
    pool.add(nn.MaxPool2D())
    with pytest.raises(ValueError, match="no dense or convolution layer"):
        models.forward_flops(pool, (1, 4, 4))


def test_gflops_counts_three_forward_passes_per_training_example():
    assert models.gflops(1e6, 2000) == pytest.approx(6.0)
    assert models.gflops(1e6, 2000, training=False) == pytest.approx(2.0)


# --- receptive fields -------------------------------------------------------------------------------


class TwoPaths(nn.HybridBlock):
    """A 3x3 convolution beside a 5x5 one, added: the 5x5 path is the wider."""

    def __init__(self):
        super().__init__()
        self.narrow = nn.HybridSequential()
        self.narrow.add(nn.Conv2D(2, kernel_size=3, padding=1))
        self.wide = nn.HybridSequential()
        self.wide.add(nn.Conv2D(2, kernel_size=5, padding=2))

    def paths(self):
        return [self.narrow, self.wide]

    def hybrid_forward(self, F, X):
        return self.narrow(X) + self.wide(X)


def test_receptive_field_by_hand():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, kernel_size=3), nn.Activation("relu"), nn.MaxPool2D(pool_size=2, strides=2),
            nn.Conv2D(4, kernel_size=3), nn.Dense(10))
    # 3x3: 1 + 2 = 3, jump 1; 2x2 pooling, stride 2: 3 + 1 = 4, jump 2; 3x3: 4 + 2 * 2 = 8, jump 2.
    assert models.receptive_field(net) == (8, 2)
    assert models.receptive_field([]) == (1, 1)


def test_receptive_field_of_parallel_paths_takes_the_widest_and_skips_global_pooling():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(2, kernel_size=3, strides=2), TwoPaths(), nn.GlobalAvgPool2D(), nn.Dense(3))
    # 3x3, stride 2: (3, 2); then the 5x5 path: 3 + 4 * 2 = 11.
    assert models.receptive_field(net) == (11, 2)


def test_receptive_field_agrees_with_the_input_pixels_that_reach_an_output():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(1, kernel_size=3, strides=2), nn.AvgPool2D(pool_size=2, strides=2), nn.Conv2D(1, kernel_size=3))
    net.initialize(init.Constant(1.0))
    X = np.ones((1, 1, 32, 32))
    X.attach_grad()
    with autograd.record():
        corner = net(X)[0, 0, 0, 0]
    corner.backward()  # positive weights: every pixel in the window gets a nonzero gradient
    rows = np.nonzero(X.grad[0, 0].sum(axis=1))[0]
    size, _ = models.receptive_field(net)
    assert int(rows.max().item()) + 1 == size


def test_receptive_field_rejects_rectangular_kernels():
    with pytest.raises(ValueError, match="square kernels"):
        models.receptive_field([nn.Conv2D(1, kernel_size=(1, 3))])
