import math

import numpy
import pytest
from mxnet import autograd, gluon, init, np, npx
from mxnet.gluon import nn, rnn

from d2lhelpers import data, optim, plot, train


def test_correct_count_and_accuracy():
    y_hat = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    y = np.array([1, 0, 0, 0], dtype="int32")
    assert train.correct_count(y_hat, y).item() == 3
    assert train.accuracy(y_hat, y) == 0.75
    assert train.accuracy(np.array([0, 1, 1, 0], dtype="int32"), y) == 0.25  # labels, not scores


@pytest.mark.parametrize("y_hat, y, name", [
    (np.zeros((4, 3)), np.zeros(5), "y_hat"),
    (np.zeros((4, 3, 2)), np.zeros(4), "y_hat"),
    (np.zeros((4, 3)), np.zeros((4, 1)), "y must"),
])
def test_accuracy_rejects_mismatched_shapes(y_hat, y, name):
    with pytest.raises(ValueError, match=name):
        train.accuracy(y_hat, y)


def test_evaluate_accuracy_over_batches():
    X = np.arange(10, dtype="float32").reshape(10, 1)
    y = (X[:, 0] >= 5).astype("int32")

    def net(X):  # predicts class 1 when x >= 4: wrong only on x == 4
        return np.concatenate([4 - X, X - 3.5], axis=1)

    assert train.evaluate_accuracy(net, data.ArrayLoader(X, y, batch_size=3)) == 0.9
    with pytest.raises(ValueError, match="at least one"):
        train.evaluate_accuracy(net, [])


def test_evaluate_loss_is_the_mean_over_every_value():
    X, y = np.arange(5.0).reshape(5, 1), np.zeros((5, 1))
    squared = lambda y_hat, y: (y_hat - y) ** 2  # noqa: E731
    assert train.evaluate_loss(lambda X: X, data.ArrayLoader(X, y, 2), squared) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="at least one"):
        train.evaluate_loss(lambda X: X, [], squared)


def test_sgd_step_matches_formula():
    w = np.array([1.0, 2.0])
    w.attach_grad()
    with autograd.record():
        loss = (w * np.array([3.0, 4.0])).sum()
    loss.backward()
    optim.sgd([w], lr=0.5, batch_size=2)
    assert numpy.allclose(w.asnumpy(), [1.0 - 0.5 * 3 / 2, 2.0 - 0.5 * 4 / 2])


def test_lr_schedules():
    cosine = optim.lr_schedule("cosine", 0.4, 100)
    assert cosine(0) == pytest.approx(0.4) and cosine(50) == pytest.approx(0.2) and cosine(100) == pytest.approx(0)
    constant = optim.lr_schedule("constant", 0.4, 100, warmup_steps=10)
    assert constant(5) == pytest.approx(0.2) and constant(10) == pytest.approx(0.4) and constant(100) == 0.4
    warm = optim.lr_schedule("cosine", 1.0, 20, warmup_steps=10)
    assert warm(5) == pytest.approx(0.5) and warm(15) == pytest.approx(0.5)


@pytest.mark.parametrize("args, match", [
    (("linear", 0.1, 10), "kind"), (("cosine", 0, 10), "base_lr"), (("cosine", 0.1, 0), "num_steps"),
    (("cosine", 0.1, 10, 10), "warmup_steps"), (("cosine", 0.1, 10, True), "warmup_steps"),
])
def test_lr_schedule_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        optim.lr_schedule(*args)


def test_scheduled_sgd_uses_the_rate_of_each_step():
    w = np.zeros(1)
    w.attach_grad()
    w.grad[:] = 1.0
    update = optim.scheduled_sgd([w], lambda t: 0.1 * t)
    update(1)  # step 1: rate 0.1
    update(1)  # step 2: rate 0.2
    assert w.item() == pytest.approx(-0.3)


def test_make_trainer_schedule_and_weight_decay():
    net = nn.Dense(1, in_units=1)
    net.initialize()
    trainer = optim.make_trainer(net, "sgd", lr=0.5, num_steps=10, schedule="cosine", wd=0.01)
    assert trainer.learning_rate == pytest.approx(0.5) and trainer._optimizer.wd == 0.01
    assert optim.make_trainer(net, "adam", lr=0.01).learning_rate == pytest.approx(0.01)
    with pytest.raises(ValueError, match="num_steps"):
        optim.make_trainer(net, lr=0.1, schedule="cosine")
    with pytest.raises(ValueError, match="schedule"):
        optim.make_trainer(net, lr=0.1, schedule="step")


def test_clip_gradients_rescales_to_the_norm_and_reports_it():
    a, b = np.array([3.0, 0.0]), np.array([4.0])
    norm = optim.clip_gradients([a, b], 1.0)
    assert norm.item() == pytest.approx(5.0)
    assert numpy.allclose(a.asnumpy(), [0.6, 0.0]) and numpy.allclose(b.asnumpy(), [0.8])
    small = np.array([0.3, 0.4])
    optim.clip_gradients([small], 1.0)  # norm 0.5: unchanged
    assert numpy.allclose(small.asnumpy(), [0.3, 0.4])
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_gradients([small], 0)


def blobs(n=400):
    """Two well separated Gaussian classes in 2-D."""
    y = np.array(numpy.arange(n) % 2, dtype="int32")
    X = np.random.normal(0, 0.5, (n, 2)) + np.stack([y, y], axis=1).astype("float32") * 3
    return X, y


def tiny_classifier():
    net = nn.Dense(2)
    net.initialize(init.Normal(0.01))
    return net, gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})


def test_loop_epoch_reduces_loss_and_counts_examples():
    X, y = blobs()
    net, trainer = tiny_classifier()
    loop = train.Loop(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer, accuracy=True)
    loader = data.ArrayLoader(X, y, 32, shuffle=True)
    first = loop.epoch(loader)
    for _ in range(3):
        last = loop.epoch(loader)
    assert first["examples"] == 400 and last["train loss"] < first["train loss"] and last["train acc"] > 0.95
    assert last["seconds"] > 0


def test_loop_step_matches_a_hand_written_update():
    """One step of the loop is exactly forward, backward of the summed loss, and sgd."""
    X, y = blobs(8)
    w0, b0 = np.random.normal(0, 0.1, (2, 2)), np.zeros(2)
    results = []
    for use_loop in (True, False):
        w, b = w0.copy(), b0.copy()
        for p in (w, b):
            p.attach_grad()
        loss = gluon.loss.SoftmaxCrossEntropyLoss()
        if use_loop:
            net = lambda X, w=w, b=b: np.dot(X, w) + b  # noqa: E731
            train.Loop(net, loss, lambda n, w=w, b=b: optim.sgd([w, b], 0.1, n)).step(X, y)
        else:
            with autograd.record():
                l = loss(np.dot(X, w) + b, y)
            l.backward()
            optim.sgd([w, b], 0.1, 8)
        results.append(w.asnumpy())
    assert numpy.array_equal(*results)


def test_loop_rejects_a_mean_loss_and_empty_data():
    X, y = blobs(64)
    net, trainer = tiny_classifier()
    mean_loss = lambda y_hat, y: gluon.loss.SoftmaxCrossEntropyLoss()(y_hat, y).mean()  # noqa: E731
    with pytest.raises(ValueError, match="one value per example"):
        train.Loop(net, mean_loss, trainer).epoch(data.ArrayLoader(X, y, 16))
    with pytest.raises(ValueError, match="at least one"):
        train.Loop(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer).epoch([])


def test_loop_with_hand_made_gradients():
    """compute_gradients replaces autograd: here the gradient of mean((x w - y)^2) / 2, by hand."""
    X = np.random.normal(0, 1, (100, 3))
    y = np.dot(X, np.array([1.0, -2.0, 0.5]))
    w = np.zeros(3)

    def by_hand(X, y):
        residual = np.dot(X, w) - y
        grads["w"] = np.dot(X.T, residual)  # of the summed loss
        return None, residual ** 2 / 2

    grads = {}

    def update(n):
        w[:] = w - 0.1 * grads["w"] / n

    history = train.Loop(None, None, update, compute_gradients=by_hand).fit(data.ArrayLoader(X, y, 20), 30)
    assert numpy.allclose(w.asnumpy(), [1.0, -2.0, 0.5], atol=1e-3)
    assert history["train loss"][-1] < 1e-5 < history["train loss"][0]


def test_loop_clips_the_gradient_of_the_mean_loss():
    w = np.array([0.0])
    w.attach_grad()
    X, y = np.ones((4, 1)), np.full((4,), 100.0)  # loss gradient -100 per example, mean -100
    squared = lambda y_hat, y: (y_hat - y) ** 2 / 2  # noqa: E731
    loop = train.Loop(lambda X: X[:, 0] * w, squared, optim.scheduled_sgd([w], lambda t: 1.0), clip_norm=2.0)
    assert loop.grad_norm is None
    loop.step(X, y)
    assert w.item() == pytest.approx(2.0)  # the mean gradient's norm 100 was clipped to 2
    assert loop.grad_norm.item() == pytest.approx(100.0)  # the norm before clipping
    measuring = train.Loop(lambda X: X[:, 0] * w, squared, optim.scheduled_sgd([w], lambda t: 1.0),
                           clip_norm=math.inf)
    measuring.step(X, y)  # residual 98 per example: measured, not clipped
    assert measuring.grad_norm.item() == pytest.approx(98.0) and w.item() == pytest.approx(100.0)
    with pytest.raises(ValueError, match="clip_norm needs the parameters"):
        train.Loop(lambda X: X, squared, lambda n: None, clip_norm=1.0)  # a bare function has no parameters
    with pytest.raises(ValueError, match="clip_norm"):
        train.Loop(lambda X: X, squared, optim.scheduled_sgd([w], lambda t: 1.0), clip_norm=0)


def test_loop_requires_net_loss_and_a_usable_updater():
    squared = lambda y_hat, y: (y_hat - y) ** 2  # noqa: E731
    with pytest.raises(ValueError, match="net must be callable unless compute_gradients is given, got None"):
        train.Loop(None, squared, lambda n: None)
    with pytest.raises(ValueError, match="loss must be callable unless compute_gradients is given"):
        train.Loop(lambda X: X, "l2", lambda n: None)
    with pytest.raises(ValueError, match="updater must be a gluon.Trainer or a function"):
        train.Loop(lambda X: X, squared, 0.1)
    train.Loop(None, None, lambda n: None, compute_gradients=lambda X, y: (X, y))  # gradients by hand


def test_fit_refuses_a_one_shot_iterator_before_training():
    w = np.array([0.0])
    w.attach_grad()
    steps = []
    loop = train.Loop(lambda X: X[:, 0] * w, lambda y_hat, y: (y_hat - y) ** 2, lambda n: steps.append(n))
    one_shot = ((np.ones((2, 1)), np.ones(2)) for _ in range(3))
    with pytest.raises(ValueError, match="batches must start over at each epoch.*one-shot iterator"):
        loop.fit(one_shot, 2)
    assert steps == []  # refused before the first step
    loop.fit([(np.ones((2, 1)), np.ones(2))], 2)  # a list starts over: two epochs, one step each
    assert steps == [2, 2]


def test_loop_clips_a_trainers_parameters():
    net = nn.Dense(1, in_units=1, use_bias=False)
    net.initialize(init.Zero())
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1.0})
    loop = train.Loop(net, gluon.loss.L2Loss(), trainer, clip_norm=0.5)
    loop.step(np.ones((4, 1)), np.full((4, 1), 100.0))
    assert net.weight.data().item() == pytest.approx(0.5)


class CountingRNN(nn.Block):
    """A language-model-shaped net that records the states it was given."""

    def __init__(self):
        super().__init__()
        self.layer = rnn.RNN(4, layout="NTC", input_size=3)
        self.layer.initialize()
        self.dense = nn.Dense(3, flatten=False, in_units=4)
        self.dense.initialize()
        self.made, self.received, self.returned = 0, [], []

    def begin_state(self, batch_size):
        self.made += 1
        return self.layer.begin_state(batch_size)

    def forward(self, X, state):
        self.received.append(state[0])
        outputs, state = self.layer(npx.one_hot(X, 3), state)
        self.returned.append(state[0])
        return self.dense(outputs).reshape(-1, 3), state


@pytest.mark.parametrize("carry, made", [(True, 2), (False, 5)])
def test_loop_carries_and_detaches_the_hidden_state(carry, made):
    net = CountingRNN()
    params = net.collect_params()
    seq = np.array(numpy.random.randint(0, 3, (10, 6)), dtype="float32")
    tokens = [(seq[i:i + 2, :5], seq[i:i + 2, 1:].reshape(-1)) for i in range(0, 8, 2)]
    tokens.append((seq[8:9, :5], seq[8:9, 1:].reshape(-1)))  # a smaller last batch needs a new state
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    loop = train.Loop(net, loss, gluon.Trainer(params, "sgd", {"learning_rate": 0.1}),
                      begin_state=net.begin_state, carry_state=carry, perplexity=True, clip_norm=1.0)
    record = loop.epoch(tokens)
    assert net.made == made
    if carry:  # batch 2 starts from batch 1's final state, cut off from batch 1's graph
        assert net.received[1] is not net.returned[0]
        assert numpy.array_equal(net.received[1].asnumpy(), net.returned[0].asnumpy())
    assert record["examples"] == 9 and record["train ppl"] == pytest.approx(math.exp(record["train loss"]))
    loop.epoch(tokens)  # a new epoch starts from a new state, even when the state is carried
    assert net.made == 2 * made


def test_fit_records_evaluation_and_tells_observers(capsys):
    X, y = blobs()
    net, trainer = tiny_classifier()
    seen = []

    class Recorder:
        def epoch_end(self, epoch, record):
            seen.append((epoch, sorted(record)))

        def end(self, history):
            seen.append(("end", len(history.records)))

    loop = train.Loop(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer, accuracy=True)
    history = loop.fit(data.ArrayLoader(X, y, 50), 2, evaluate=lambda: {"test acc": 0.5},
                       observers=[Recorder(), train.ProgressLine(2, "tiny")])
    assert seen == [(1, ["examples", "seconds", "test acc", "train acc", "train loss"]),
                    (2, ["examples", "seconds", "test acc", "train acc", "train loss"]), ("end", 2)]
    assert history["test acc"] == [0.5, 0.5] and history.examples_per_second > 0
    out = capsys.readouterr().out
    assert "tiny: [####################] epoch 2/2: train loss" in out and "examples/s over" in out
    with pytest.raises(KeyError, match="test loss"):
        history["test loss"]


def test_train_classifier_history_and_progress(capsys):
    X, y = blobs()
    net, trainer = tiny_classifier()
    loader = data.ArrayLoader(X, y, 32, shuffle=True)
    history = train.train_classifier(net, loader, data.ArrayLoader(X, y, 100),
                                     gluon.loss.SoftmaxCrossEntropyLoss(), 3, trainer)
    assert len(history["train loss"]) == len(history["test acc"]) == 3
    assert history["test acc"][-1] > 0.95 and history.examples_per_second > 0
    out = capsys.readouterr().out
    assert "epoch 3/3" in out and "[####################]" in out and "test acc" in out


def test_train_classifier_rejects_bad_epochs():
    net, trainer = tiny_classifier()
    for bad in (0, True, 2.0):
        with pytest.raises(ValueError, match="num_epochs"):
            train.train_classifier(net, [], [], gluon.loss.SoftmaxCrossEntropyLoss(), bad, trainer)


def test_default_observer_is_a_live_plot_in_jupyter(monkeypatch):
    monkeypatch.setattr(plot, "in_notebook", lambda: True)
    assert isinstance(train.default_observer(3), plot.TrainingPlot)
    assert train.default_observer(3, xlabel="half epoch").xlabel == "half epoch"
    monkeypatch.setattr(plot, "in_notebook", lambda: False)
    assert isinstance(train.default_observer(3), train.ProgressLine)


def test_progress_line_names_what_it_counts(capsys):
    line = train.ProgressLine(4, "net", xlabel="half epoch")
    line.epoch_end(2, {"train loss": 0.5, "seconds": 1.0})
    assert "net: [##########..........] half epoch 2/4: train loss 0.5" in capsys.readouterr().out


def test_confusion_matrix_counts_each_pair():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predictions = numpy.array([0, 1, 1, 2, 0, 2])
    confusion = train.confusion_matrix(labels, predictions, 3)
    assert confusion.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert confusion.sum(axis=1).tolist() == [2, 1, 3]  # rows: the class sizes
    assert train.confusion_matrix(labels, predictions, 4).shape == (4, 4)  # a class never seen


@pytest.mark.parametrize("labels, predictions, match", [
    ([0, 1], [0], "equal length"), ([0, 3], [0, 1], "labels must be integers in 0 .. 2"),
    ([0, 1], [0, -1], "predictions must be integers"), ([0, 1], [0, 0.5], "predictions must be integers")])
def test_confusion_matrix_rejects_bad_input(labels, predictions, match):
    with pytest.raises(ValueError, match=match):
        train.confusion_matrix(numpy.array(labels), numpy.array(predictions), 3)
