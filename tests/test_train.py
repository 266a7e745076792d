import numpy
import pytest
from mxnet import autograd, gluon, init, np
from mxnet.gluon import nn

from d2lhelpers import data, train


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


def test_sgd_step_matches_formula():
    w = np.array([1.0, 2.0])
    w.attach_grad()
    with autograd.record():
        loss = (w * np.array([3.0, 4.0])).sum()
    loss.backward()
    train.sgd([w], lr=0.5, batch_size=2)
    assert numpy.allclose(w.asnumpy(), [1.0 - 0.5 * 3 / 2, 2.0 - 0.5 * 4 / 2])


def blobs(n=400):
    """Two well separated Gaussian classes in 2-D."""
    y = np.array(numpy.arange(n) % 2, dtype="int32")
    X = np.random.normal(0, 0.5, (n, 2)) + np.stack([y, y], axis=1).astype("float32") * 3
    return X, y


def tiny_classifier():
    net = nn.Dense(2)
    net.initialize(init.Normal(0.01))
    return net, gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})


def test_train_epoch_reduces_loss():
    X, y = blobs()
    net, trainer = tiny_classifier()
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    loader = data.ArrayLoader(X, y, 32, shuffle=True)
    first = train.train_epoch(net, loader, loss, trainer)
    for _ in range(3):
        last = train.train_epoch(net, loader, loss, trainer)
    assert first[2] == 400 and last[0] < first[0] and last[1] > 0.95


def test_train_epoch_accepts_a_function_updater():
    X, y = blobs()
    w, b = np.random.normal(0, 0.01, (2, 2)), np.zeros(2)
    for p in (w, b):
        p.attach_grad()
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    batches = data.ArrayLoader(X, y, 50)
    _, acc, _ = train.train_epoch(lambda X: np.dot(X, w) + b, batches, loss,
                                  lambda n: train.sgd([w, b], 0.5, n))
    assert acc > 0.8


def test_train_epoch_rejects_a_mean_loss():
    X, y = blobs(64)
    net, trainer = tiny_classifier()
    mean_loss = lambda y_hat, y: gluon.loss.SoftmaxCrossEntropyLoss()(y_hat, y).mean()  # noqa: E731
    with pytest.raises(ValueError, match="one value per example"):
        train.train_epoch(net, data.ArrayLoader(X, y, 16), mean_loss, trainer)


def test_train_classifier_history_and_progress(capsys):
    X, y = blobs()
    net, trainer = tiny_classifier()
    loader = data.ArrayLoader(X, y, 32, shuffle=True)
    history = train.train_classifier(net, loader, data.ArrayLoader(X, y, 100),
                                     gluon.loss.SoftmaxCrossEntropyLoss(), 3, trainer)
    assert len(history.train_loss) == len(history.test_acc) == len(history.seconds) == 3
    assert history.test_acc[-1] > 0.95 and history.examples_per_second > 0
    out = capsys.readouterr().out
    assert "epoch 3/3" in out and "[####################]" in out and "test acc" in out


def test_train_classifier_rejects_bad_epochs():
    net, trainer = tiny_classifier()
    with pytest.raises(ValueError, match="num_epochs"):
        train.train_classifier(net, [], [], gluon.loss.SoftmaxCrossEntropyLoss(), 0, trainer)
