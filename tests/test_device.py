"""Devices: choosing one (``runtime.device``), and every helper putting its arrays there.

MXNet treats ``mx.cpu(0)`` and ``mx.cpu(1)`` as different devices, so a test
machine without a GPU can still catch an array created on the default device
by mistake: the helpers get ``mx.cpu(1)`` here and every array and parameter
they make or receive must end up on it. On the CPU, MXNet silently mixes
arrays from different CPU devices, so each test asks where arrays are.
"""
import mxnet as mx
import numpy
import pytest
from mxnet import gluon, np
from mxnet.gluon import nn

from d2lhelpers import data, gradcheck, models, optim, playground, runtime, text, train

DEVICE = mx.cpu(1)  # not MXNet's default device, mx.cpu(0)


def where(*arrays):
    return {a.ctx for a in arrays}


def parameter_devices(net):
    return {ctx for p in net.collect_params().values() for ctx in p.list_ctx()}


class Watching(gluon.Block):
    """Wraps a Gluon block and remembers the device of every input it was given."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.seen = inner, []

    def forward(self, X, *state):
        self.seen.append(X.ctx)
        return self.inner(X, *state)


# ------------------------------------------------------------- choosing a device

@pytest.mark.parametrize("raw, expected", [
    ("cpu", [("cpu", 0)]), ("gpu", [("gpu", 0)]), ("gpu:3", [("gpu", 3)]), (" CPU:1 ", [("cpu", 1)]),
    ("gpu:0,gpu:1", [("gpu", 0), ("gpu", 1)]), ("cpu:0, cpu:1", [("cpu", 0), ("cpu", 1)]),
])
def test_parse_devices(raw, expected):
    assert runtime.parse_devices(raw) == expected


@pytest.mark.parametrize("raw", ["", "tpu", "gpu:", "gpu:-1", "gpu1", "cuda:0", "gpu:0,", "cpu,cpu:0"])
def test_parse_devices_rejects_other_values_naming_the_variable(raw):
    with pytest.raises(ValueError, match=runtime.DEVICE_VARIABLE):
        runtime.parse_devices(raw)


def test_the_default_is_every_gpu_else_the_cpu(monkeypatch):
    monkeypatch.delenv(runtime.DEVICE_VARIABLE, raising=False)
    monkeypatch.setattr(mx.context, "num_gpus", lambda: 0)
    assert runtime.devices() == [mx.cpu()] and runtime.device() == mx.cpu()
    monkeypatch.setattr(mx.context, "num_gpus", lambda: 2)
    assert runtime.devices() == [mx.gpu(0), mx.gpu(1)] and runtime.device() == mx.gpu(0)


def test_the_variable_chooses(monkeypatch):
    monkeypatch.setattr(mx.context, "num_gpus", lambda: 2)
    monkeypatch.setenv(runtime.DEVICE_VARIABLE, "cpu:1")
    assert runtime.device() == mx.cpu(1)
    monkeypatch.setenv(runtime.DEVICE_VARIABLE, "gpu:1")
    assert runtime.device() == mx.gpu(1)
    monkeypatch.setenv(runtime.DEVICE_VARIABLE, "cpu:0,cpu:1")
    assert runtime.devices() == [mx.cpu(0), mx.cpu(1)] and runtime.device() == mx.cpu(0)


def test_naming_cpus_only_never_asks_mxnet_about_gpus(monkeypatch):
    def broken():
        raise RuntimeError("CUDA driver version is insufficient")

    monkeypatch.setattr(mx.context, "num_gpus", broken)
    monkeypatch.setenv(runtime.DEVICE_VARIABLE, "cpu")
    assert runtime.devices() == [mx.cpu()]


def test_asking_for_a_gpu_mxnet_cannot_see_is_an_error_that_says_so(monkeypatch):
    monkeypatch.setattr(mx.context, "num_gpus", lambda: 1)
    monkeypatch.setenv(runtime.DEVICE_VARIABLE, "gpu:1")
    with pytest.raises(ValueError, match=r"D2L_DEVICE='gpu:1' asks for gpu:1, but MXNet sees 1 GPU"):
        runtime.device()


def test_the_environment_report_names_the_device(monkeypatch):
    monkeypatch.setenv(runtime.DEVICE_VARIABLE, "cpu:1")
    assert runtime.environment_report()["device"] == "cpu(1)"


# ------------------------------------------------------------------------ data

def test_array_loader_makes_every_batch_on_its_device():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    for shuffle in (False, True):
        loader = data.ArrayLoader(X, y, batch_size=4, shuffle=shuffle, device=DEVICE)
        batches = list(loader)
        assert len(batches) == 3 and where(*(a for batch in batches for a in batch)) == {DEVICE}
    assert where(*next(iter(data.ArrayLoader(X, y, 4)))) == {mx.cpu(0)}  # no device: where the arrays are
    apart = data.ArrayLoader(X.as_in_ctx(DEVICE), y, 4, shuffle=True)  # labels elsewhere follow the features
    assert where(*(a for batch in apart for a in batch)) == {DEVICE}


def test_array_loader_gives_the_same_batches_on_any_device():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    numpy.random.seed(3)
    here = [b.asnumpy() for batch in data.ArrayLoader(X, y, 4, shuffle=True) for b in batch]
    numpy.random.seed(3)
    there = [b.asnumpy() for batch in data.ArrayLoader(X, y, 4, shuffle=True, device=DEVICE) for b in batch]
    assert all(numpy.array_equal(a, b) for a, b in zip(here, there, strict=True))


def test_loaders_refuse_what_is_not_a_device():
    with pytest.raises(ValueError, match="device must be an MXNet device"):
        data.ArrayLoader(np.zeros((4, 2)), np.zeros(4), 2, device="gpu")


def test_fashion_mnist_loaders_take_a_device():
    images, labels = np.zeros((6, 1, 28, 28)), np.arange(6)
    small = data.FashionMNIST(images, labels, images, labels)
    for loader in data.fashion_mnist_loaders(4, small, device=DEVICE):
        assert where(*(a for batch in loader for a in batch)) == {DEVICE}


def test_fashion_mnist_loads_onto_a_device():
    fashion = data.load_fashion_mnist(device=DEVICE)
    assert where(*fashion) == {DEVICE} and fashion.train_images.shape == (60000, 1, 28, 28)


def test_synthetic_data_is_drawn_on_the_weights_device():
    X, y = data.synthetic_linear_data(np.array([2.0, -3.4], ctx=DEVICE), 4.2, 50)
    assert where(X, y) == {DEVICE}


@pytest.mark.parametrize("sampling", ["random", "sequential"])
def test_subsequence_batches_are_made_on_their_device(sampling):
    batches = text.SubsequenceBatches(list(range(100)), batch_size=3, num_steps=5, sampling=sampling, device=DEVICE)
    assert where(*(a for batch in batches for a in batch)) == {DEVICE}
    with pytest.raises(ValueError, match="device must be an MXNet device"):
        text.SubsequenceBatches(list(range(100)), 3, 5, device="cpu:1")


# -------------------------------------------------------------------- training

def classifier(ctx):
    net = nn.Dense(3)
    net.initialize(mx.init.Xavier(), ctx=ctx)
    return net


def test_the_loop_moves_batches_to_a_gluon_models_device():
    net = Watching(classifier(DEVICE))
    loader = data.ArrayLoader(np.random.normal(size=(12, 4)), np.array([0, 1, 2] * 4), 4)  # on cpu(0)
    loop = train.Loop(net, gluon.loss.SoftmaxCELoss(), optim.make_trainer(net, "sgd", lr=0.1), accuracy=True)
    record = loop.epoch(loader)
    assert set(net.seen) == {DEVICE} and parameter_devices(net) == {DEVICE}
    assert record["examples"] == 12 and 0 <= record["train acc"] <= 1
    assert where(loop._loss_sum, loop._correct) == {DEVICE}  # the running sums stay on the device too
    assert train.device_of(net) == DEVICE and loop.devices == [DEVICE]


def test_the_loop_moves_batches_to_a_from_scratch_models_device():
    w = np.zeros((4, 1), ctx=DEVICE)
    w.attach_grad()
    seen = []

    def net(X):
        seen.append(X.ctx)
        return np.dot(X, w)[:, 0]

    loop = train.Loop(net, lambda y_hat, y: (y_hat - y) ** 2, optim.scheduled_sgd([w], lambda t: 0.1), clip_norm=1.0)
    loop.epoch([(np.ones((2, 4)), np.ones(2))] * 3)
    assert set(seen) == {DEVICE} and where(w, w.grad, loop.grad_norm) == {DEVICE}


def test_a_language_model_carries_its_state_on_the_device():
    rnn_layer = gluon.rnn.GRU(8)
    embed, head = nn.Embedding(10, 4), nn.Dense(10, flatten=False)
    for block in (rnn_layer, embed, head):
        block.initialize(ctx=DEVICE)

    class LM(gluon.Block):
        def forward(self, X, state):
            outputs, state = rnn_layer(embed(X).swapaxes(0, 1), state)
            return head(outputs).swapaxes(0, 1), state

    net = Watching(LM())
    params = [*rnn_layer.collect_params().values(), *embed.collect_params().values(),
              *head.collect_params().values()]
    trainer = gluon.Trainer(params, "adam", {"learning_rate": 0.01})
    batches = text.SubsequenceBatches(list(range(10)) * 20, 4, 6, sampling="sequential")  # on cpu(0)
    loop = train.Loop(net, gluon.loss.SoftmaxCELoss(), trainer, devices=DEVICE, perplexity=True,
                      begin_state=lambda n: rnn_layer.begin_state(n, ctx=DEVICE))
    record = loop.epoch(batches)
    assert set(net.seen) == {DEVICE} and where(*loop.state) == {DEVICE} and record["train ppl"] > 1


def test_evaluation_moves_batches_to_the_models_device():
    net = Watching(classifier(DEVICE))
    batches = [(np.random.normal(size=(5, 4)), np.array([0, 1, 2, 0, 1]))] * 2
    assert 0 <= train.evaluate_accuracy(net, batches) <= 1
    assert train.evaluate_loss(net, batches, gluon.loss.SoftmaxCELoss()) > 0
    assert set(net.seen) == {DEVICE}


def test_device_of():
    assert train.device_of(classifier(DEVICE)) == DEVICE
    lazy = nn.Dense(2)
    lazy.initialize(ctx=DEVICE)  # shapes deferred until the first input: the device is known already
    assert train.device_of(lazy) == DEVICE
    assert train.device_of(nn.Dense(2)) is None  # not initialized
    assert train.device_of(lambda X: X) is None
    assert train.device_of(optim.scheduled_sgd([np.zeros(2, ctx=DEVICE)], lambda t: 0.1)) == DEVICE


# ------------------------------------------------------------- several devices

def trained_copies(devices, steps=3):
    """The same network trained from the same start on ``devices``; its weights afterwards."""
    mx.random.seed(7)
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    net.initialize(mx.init.Xavier(), ctx=devices)
    net = Watching(net)
    loop = train.Loop(net, gluon.loss.SoftmaxCELoss(), optim.make_trainer(net, "sgd", lr=0.5), accuracy=True,
                      devices=devices)
    rng = numpy.random.default_rng(0)
    for _ in range(steps):
        loop.step(np.array(rng.normal(size=(10, 5)), dtype="float32"), np.array(rng.integers(0, 3, 10)))
    weights = [p.data(devices[0]).asnumpy() for p in net.collect_params().values()]
    return weights, net.seen, loop


def test_several_devices_split_each_minibatch_and_train_like_one():
    one, _, single = trained_copies([mx.cpu(0)])
    two, seen, loop = trained_copies([mx.cpu(0), mx.cpu(1)])
    assert seen.count(mx.cpu(0)) == 3 and seen.count(mx.cpu(1)) == 3  # each minibatch went to both
    assert loop._count == 30 and loop._examples == 30
    assert loop._loss_sum.item() == pytest.approx(single._loss_sum.item(), rel=1e-5)  # the epoch's sums, gathered
    assert loop._correct.item() == single._correct.item()
    assert len(one) == len(two) == 4
    for a, b in zip(one, two, strict=True):
        numpy.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
    start, _, _ = trained_copies([mx.cpu(0)], steps=0)
    assert numpy.abs(one[0] - start[0]).max() > 1e-3  # training moved the weights


def test_several_devices_keep_their_copies_equal():
    _, _, loop = trained_copies([mx.cpu(0), mx.cpu(1)])
    for param in loop.net.collect_params().values():
        first, second = (param.data(ctx).asnumpy() for ctx in (mx.cpu(0), mx.cpu(1)))
        numpy.testing.assert_array_equal(first, second)


def test_several_devices_refuse_what_they_cannot_do():
    devices = [mx.cpu(0), mx.cpu(1)]
    net = classifier(devices)
    trainer = optim.make_trainer(net, "sgd", lr=0.1)
    loss = gluon.loss.SoftmaxCELoss()
    for options in ({"clip_norm": 1.0}, {"begin_state": lambda n: None}):
        with pytest.raises(ValueError, match="several devices need a Gluon Block"):
            train.Loop(net, loss, trainer, devices=devices, **options)
    with pytest.raises(ValueError, match="several devices need"):
        train.Loop(lambda X: X, loss, trainer, devices=devices)
    with pytest.raises(ValueError, match="cannot be split across 2 devices"):
        train.Loop(net, loss, trainer, devices=devices).step(np.ones((1, 4)), np.zeros(1))
    with pytest.raises(ValueError, match=r"net is initialized on \[cpu\(0\), cpu\(1\)\]: pass devices="):
        train.Loop(net, loss, trainer).step(np.ones((2, 4)), np.zeros(2))
    for bad in ([], ["gpu"], "cpu"):
        with pytest.raises(ValueError, match="devices must be an MXNet device"):
            train.Loop(net, loss, trainer, devices=bad)


# ------------------------------------------------------- models, gradcheck, playground

def test_forward_flops_feeds_the_network_on_its_device():
    net = Watching(nn.Dense(4, in_units=3))
    net.initialize(ctx=DEVICE)
    assert models.forward_flops(net, (3,)) == 2 * 3 * 4 and net.seen == [DEVICE]


def test_numerical_gradients_are_computed_on_the_parameters_device():
    seen = []

    def f(params):
        seen.append(params["w"].ctx)
        return (params["w"] ** 2).sum()

    w = np.array([1.0, -2.0], dtype="float64", ctx=DEVICE)
    grad = gradcheck.numerical_gradient(f, {"w": w})["w"]
    numpy.testing.assert_allclose(grad, [2.0, -4.0], rtol=1e-6)
    assert set(seen) == {DEVICE}
    assert gradcheck.autograd_gradient(f, {"w": w})["w"].ctx == DEVICE


def test_the_playground_trains_on_its_device():
    pg = playground.Playground(playground.Config(hidden=(3,)), seed=1, device=DEVICE)
    pg.train(1)
    assert parameter_devices(pg.net) == {DEVICE} and where(*pg._X.values(), *pg._y.values()) == {DEVICE}
    assert pg.scores(numpy.zeros((2, 2))).shape == (2,) and len(pg.unit_grids(4)) == 3
    assert playground.Playground(playground.Config(hidden=(3,)), seed=1).device == mx.cpu(0)
    with pytest.raises(ValueError, match="device must be an MXNet device"):
        playground.Playground(device="cpu")
