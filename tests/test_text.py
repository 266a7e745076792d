import numpy
import pytest
from mxnet import np

from d2lhelpers import text


def test_tokenize():
    assert text.tokenize("the time", "char") == ["t", "h", "e", " ", "t", "i", "m", "e"]
    assert text.tokenize("  the  time\nmachine ", "word") == ["the", "time", "machine"]
    assert text.tokenize("", "char") == [] and text.tokenize("", "word") == []
    with pytest.raises(ValueError, match="kind must be 'char' or 'word'"):
        text.tokenize("the", "line")


def test_vocab_orders_by_count_then_alphabet():
    vocab = text.Vocab("abracadabra", reserved_tokens=["<pad>"])
    # a: 5, b: 2, r: 2, c: 1, d: 1 (ties alphabetical)
    assert vocab.idx_to_token == ["<unk>", "<pad>", "a", "b", "r", "c", "d"]
    assert len(vocab) == 7
    assert vocab["a"] == 2 and vocab["<pad>"] == 1
    assert vocab.counts["a"] == 5


def test_vocab_round_trip_and_unknown_tokens():
    vocab = text.Vocab(text.tokenize("the time machine by h g wells the time", "word"))
    words = ["the", "time", "traveller"]  # "traveller" is unknown
    indices = vocab[words]
    assert indices[2] == 0 and indices[:2] == [vocab["the"], vocab["time"]]
    assert vocab.to_tokens(indices) == ["the", "time", "<unk>"]
    assert vocab.to_tokens(numpy.array(indices)) == ["the", "time", "<unk>"]
    assert vocab.to_tokens(np.array(indices)) == ["the", "time", "<unk>"]
    assert vocab.to_tokens(numpy.int64(1)) == "the"  # the most frequent word
    with pytest.raises(ValueError, match=r"outside the vocabulary's 0\.\.7"):
        vocab.to_tokens(8)
    with pytest.raises(ValueError, match="outside"):
        vocab.to_tokens(-1)


def test_vocab_min_freq_and_empty_text():
    vocab = text.Vocab("aab", min_freq=2)
    assert vocab.idx_to_token == ["<unk>", "a"] and vocab["b"] == 0
    empty = text.Vocab("")
    assert empty.idx_to_token == ["<unk>"] and len(empty) == 1 and empty["x"] == 0
    assert empty[[]] == []


@pytest.mark.parametrize("kwargs, match", [
    ({"min_freq": 0}, "min_freq must be a positive int"),
    ({"reserved_tokens": ["<unk>"]}, "reserved_tokens must be distinct"),
    ({"reserved_tokens": ["<pad>", "<pad>"]}, "reserved_tokens must be distinct"),
])
def test_vocab_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        text.Vocab("abc", **kwargs)


def batches_as_lists(batches):
    return [(X.asnumpy().tolist(), Y.asnumpy().tolist()) for X, Y in batches]


@pytest.mark.parametrize("sampling", ["random", "sequential"])
def test_batches_pair_each_token_with_its_successor(sampling):
    corpus = list(range(100))
    batches = text.SubsequenceBatches(corpus, batch_size=3, num_steps=5, sampling=sampling,
                                      rng=numpy.random.default_rng(1))
    assert len(batches) == (100 - 1 - 4) // 15 == 6
    seen = []
    for X, Y in batches:
        assert X.shape == Y.shape == (3, 5) and X.dtype == numpy.int32
        x = X.asnumpy()
        assert (Y.asnumpy() == x + 1).all()  # Y is X shifted by one token
        assert (numpy.diff(x, axis=1) == 1).all()  # each row is a contiguous piece of the corpus
        seen.extend(x[:, 0].tolist())
    assert len(seen) == len(set(seen)) == 18  # no subsequence twice in an epoch
    assert len({s % 5 for s in seen}) == 1  # all cut at the same offset


def test_sequential_batches_continue_each_row():
    batches = batches_as_lists(text.SubsequenceBatches(list(range(41)), 2, 5, sampling="sequential",
                                                       random_offset=False))
    assert batches == [
        ([[0, 1, 2, 3, 4], [20, 21, 22, 23, 24]], [[1, 2, 3, 4, 5], [21, 22, 23, 24, 25]]),
        ([[5, 6, 7, 8, 9], [25, 26, 27, 28, 29]], [[6, 7, 8, 9, 10], [26, 27, 28, 29, 30]]),
        ([[10, 11, 12, 13, 14], [30, 31, 32, 33, 34]], [[11, 12, 13, 14, 15], [31, 32, 33, 34, 35]]),
        ([[15, 16, 17, 18, 19], [35, 36, 37, 38, 39]], [[16, 17, 18, 19, 20], [36, 37, 38, 39, 40]]),
    ]


def test_random_batches_shuffle_and_differ_between_epochs():
    batches = text.SubsequenceBatches(list(range(1000)), 4, 10, sampling="random", rng=numpy.random.default_rng(0))
    first, second = batches_as_lists(batches), batches_as_lists(batches)
    assert first != second
    starts = [row[0] for X, _ in first for row in X]
    assert starts != sorted(starts)  # dealt out in random order, not in corpus order
    offsets = {row[0] % 10 for X, _ in first + second for row in X}
    assert len(offsets) == 2  # each epoch has its own random offset


def test_batches_repeat_with_the_same_seed():
    def epoch(seed):
        return batches_as_lists(text.SubsequenceBatches(list(range(200)), 2, 7, rng=numpy.random.default_rng(seed)))

    assert epoch(3) == epoch(3) and epoch(3) != epoch(4)
    numpy.random.seed(5)  # without rng: NumPy's global generator, which set_seed seeds
    global_first = batches_as_lists(text.SubsequenceBatches(list(range(200)), 2, 7))
    numpy.random.seed(5)
    assert batches_as_lists(text.SubsequenceBatches(list(range(200)), 2, 7)) == global_first


def test_fixed_offset_uses_every_full_minibatch():
    batches = text.SubsequenceBatches(list(range(31)), 3, 5, random_offset=False, sampling="sequential")
    assert len(batches) == 2 and len(batches_as_lists(batches)) == 2
    assert sorted(numpy.concatenate([X.asnumpy().ravel() for X, _ in batches]).tolist()) == list(range(30))


@pytest.mark.parametrize("corpus, kwargs, match", [
    ([], {}, r"corpus has 0 tokens; .* needs at least 15"),
    (list(range(4)), {"batch_size": 1, "num_steps": 5}, r"corpus has 4 tokens; .*num_steps=5 needs at least 10"),
    (list(range(10)), {"batch_size": 2, "num_steps": 5, "random_offset": False}, "needs at least 11"),
    (list(range(50)), {"batch_size": 0}, "batch_size must be a positive int"),
    (list(range(50)), {"num_steps": 2.5}, "num_steps must be a positive int"),
    (list(range(50)), {"sampling": "shuffled"}, "sampling must be 'random' or 'sequential'"),
    (numpy.zeros((5, 10), dtype=int), {}, "corpus must be a 1-D sequence of token indices"),
    (numpy.linspace(0, 1, 50), {}, "corpus must be a 1-D sequence of token indices"),
])
def test_batches_reject_bad_input(corpus, kwargs, match):
    settings = {"batch_size": 2, "num_steps": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        text.SubsequenceBatches(corpus, **settings)
