"""The three models of the micro-benchmarks, for 28x28 grey images in 10 classes.

* ``mlp``: chapter 1's multilayer perceptron (784-256-10, ReLU);
* ``lenet``: chapter 4's modernized LeNet (batch normalization, ReLU, max
  pooling), the model of the thread-policy benchmark too;
* ``resnet``: a small ResNet (a 16-channel stem, residual blocks of 16, 32
  and 64 channels, global average pooling), narrower than chapter 5's
  (whose blocks have 32, 64 and 128 channels).

Each function returns a new, initialized, not yet hybridized network.
"""
from __future__ import annotations

from collections.abc import Callable

from mxnet import init
from mxnet.gluon import nn

from d2lhelpers import models


def mlp() -> nn.HybridSequential:
    """Chapter 1's MLP: flatten, 256 ReLU units, 10 outputs; weights from N(0, 0.01^2)."""
    net = nn.HybridSequential()
    net.add(nn.Flatten(), nn.Dense(256, activation="relu"), nn.Dense(10))
    net.initialize(init.Normal(0.01))
    return net


def lenet() -> nn.HybridSequential:
    """Chapter 4's modernized LeNet (``d2lhelpers.models.lenet_modern``), Xavier-initialized."""
    net = models.lenet_modern()
    net.initialize(init.Xavier())
    return net


class Residual(nn.HybridBlock):
    """Two 3x3 convolutions with batch normalization, added to the input (He et al., 2016).

    With ``strides`` 2 the block halves the height and width; ``project``
    passes the input through a 1x1 convolution so that its channels and
    size match the output's.
    """

    def __init__(self, channels: int, strides: int = 1, project: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = nn.Conv2D(channels, kernel_size=3, padding=1, strides=strides)
        self.bn1 = nn.BatchNorm()
        self.conv2 = nn.Conv2D(channels, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm()
        self.shortcut = nn.Conv2D(channels, kernel_size=1, strides=strides) if project else None

    def hybrid_forward(self, F, X):
        Y = F.npx.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.shortcut is not None:
            X = self.shortcut(X)
        return F.npx.relu(Y + X)


def resnet() -> nn.HybridSequential:
    """A small ResNet: 3x3 stem of 16 channels, residual blocks of 16, 32 and 64 channels, 10 outputs."""
    net = nn.HybridSequential()
    net.add(nn.Conv2D(16, kernel_size=3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
            Residual(16), Residual(32, strides=2, project=True), Residual(64, strides=2, project=True),
            nn.GlobalAvgPool2D(), nn.Dense(10))
    net.initialize(init.Xavier())
    return net


MODELS: dict[str, tuple[Callable[[], nn.HybridSequential], str]] = {
    "MLP": (mlp, "chapter 1's MLP (784-256-10, ReLU)"),
    "LeNet": (lenet, "chapter 4's modernized LeNet (batch norm, ReLU, max pooling)"),
    "ResNet": (resnet, "small ResNet (16-channel stem, residual blocks of 16, 32, 64 channels)"),
}


def make(name: str) -> nn.HybridSequential:
    """A new, initialized network of the model called ``name`` (a key of ``MODELS``)."""
    if name not in MODELS:
        raise ValueError(f"name must be one of {', '.join(MODELS)}, got {name!r}")
    return MODELS[name][0]()
