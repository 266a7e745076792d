import math

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


# --- counting: the smoothed n-gram model -----------------------------------------------------------


def test_ngram_probabilities_match_a_hand_computation():
    # "abab" as tokens 1 2 1 2 over a vocabulary of 3 (0 never occurs); d = 0.5
    model = text.NGramModel([1, 2, 1, 2], order=2, vocab_size=3, discount=0.5)
    unigram_a = (2 - 0.5 + 0.5 * 2 / 3) / 4  # two distinct tokens seen, 4 tokens in all
    unigram_unseen = 0.5 * 2 / 3 / 4
    assert model.probability([], 1) == pytest.approx(unigram_a)
    assert model.probability([], 0) == pytest.approx(unigram_unseen)
    # after "a" (token 1): "b" seen twice, nothing else; the held-back 0.5 goes to the unigram's distribution
    assert model.probability([1], 2) == pytest.approx((2 - 0.5 + 0.5 * 1 * unigram_a) / 2)
    assert model.probability([1], 1) == pytest.approx(0.5 * 1 * unigram_a / 2)
    # a longer context than the order is cut to its last token; an unseen context falls back on the unigram
    assert model.probability([2, 2, 1], 2) == model.probability([1], 2)
    assert model.probability([0], 1) == pytest.approx(unigram_a)


@pytest.mark.parametrize("order", [1, 2, 4])
def test_ngram_distributions_sum_to_one(order):
    rng = numpy.random.default_rng(0)
    corpus = rng.integers(1, 6, size=300)  # token 0 never occurs
    model = text.NGramModel(corpus, order, vocab_size=7)
    for context in ([], [1], [3, 2], list(corpus[:5]), [0, 6, 6]):
        p = model.distribution(context)
        assert p.shape == (7,) and (p > 0).all()  # smoothing leaves no token impossible
        assert p.sum() == pytest.approx(1.0)


def test_ngram_perplexity():
    assert text.NGramModel([], 3, vocab_size=5).perplexity([0, 1, 2, 4]) == pytest.approx(5.0)  # nothing counted
    corpus = list(numpy.random.default_rng(1).integers(0, 4, size=200))
    scores = [text.NGramModel(corpus, order, vocab_size=4).perplexity(corpus) for order in (1, 2, 3, 5)]
    assert scores == sorted(scores, reverse=True)  # on its own text, longer contexts always fit better
    periodic = [1, 2, 3] * 20
    assert text.NGramModel(periodic, 2, vocab_size=4).perplexity(periodic) < 1.2  # each token fixes the next


def test_ngram_rejects_bad_arguments():
    with pytest.raises(ValueError, match="order must be"):
        text.NGramModel([1, 2], 0, vocab_size=3)
    with pytest.raises(ValueError, match="discount must be between 0 and 1"):
        text.NGramModel([1, 2], 2, vocab_size=3, discount=1.0)
    with pytest.raises(ValueError, match=r"corpus must hold indices from 0 to 2, got 1 to 3"):
        text.NGramModel([1, 3], 2, vocab_size=3)
    with pytest.raises(ValueError, match="corpus must be a 1-D sequence of token indices"):
        text.NGramModel([[1, 2]], 2, vocab_size=3)
    model = text.NGramModel([1, 2], 2, vocab_size=3)
    with pytest.raises(ValueError, match="at least 2 tokens"):
        model.perplexity([1])


def test_ngram_generate():
    periodic = [1, 2, 3] * 20
    model = text.NGramModel(periodic, 3, vocab_size=4)
    assert model.generate([1], 5, temperature=0) == [1, 2, 3, 1, 2, 3]  # greedy follows the cycle
    first = model.generate([1, 2], 30, rng=numpy.random.default_rng(3))
    assert first[:2] == [1, 2] and len(first) == 32
    assert first == model.generate([1, 2], 30, rng=numpy.random.default_rng(3))  # a seeded generator repeats


# --- drawing the next token ---------------------------------------------------------------------------


def test_draw_follows_the_tempered_distribution():
    p = numpy.array([0.1, 0.2, 0.7])
    assert text.draw(p, 0) == 2
    rng = numpy.random.default_rng(0)
    for temperature, expected in ((1.0, p), (0.5, p ** 2 / (p ** 2).sum()), (100.0, numpy.full(3, 1 / 3))):
        counts = numpy.bincount([text.draw(p, temperature, rng) for _ in range(6000)], minlength=3)
        assert numpy.abs(counts / 6000 - expected).max() < 0.025, (temperature, counts)
    assert text.draw(numpy.array([1e-30, 1.0, 0.0]), 0.01, rng) == 1  # a tiny temperature is nearly greedy
    with pytest.raises(ValueError, match="temperature must be 0"):
        text.draw(p, -1.0)


# --- language-model helpers ---------------------------------------------------------------------------


class CountingNet:
    """A fake language model that always favors the token after the one it reads (mod vocab_size)."""

    def __init__(self, vocab_size):
        self.vocab_size = vocab_size

    def __call__(self, X, state):
        following = (X.T.reshape(-1) + 1) % self.vocab_size
        return 5.0 * np.eye(self.vocab_size)[following], state


def test_lm_loss_and_perplexity_of_uniform_and_confident_nets():
    corpus = numpy.arange(200) % 6
    batches = text.SubsequenceBatches(corpus, 2, 5, sampling="sequential", random_offset=False)

    def uniform(X, state):
        return np.zeros((X.size, 6)), state

    assert text.perplexity(uniform, lambda b: (np.zeros((b, 1)),), batches) == pytest.approx(6.0, rel=1e-5)
    confident = text.perplexity(CountingNet(6), lambda b: (np.zeros((b, 1)),), batches)
    assert confident == pytest.approx(math.exp(-math.log(math.exp(5) / (math.exp(5) + 5))), rel=1e-5)
    X, Y = next(iter(batches))
    outputs, _ = CountingNet(6)(X, None)
    loss = text.lm_loss(outputs, Y)  # labels in the outputs' time-major order
    assert loss.shape == (10,) and numpy.allclose(loss.asnumpy(), loss.asnumpy()[0])


def test_predict_greedy_and_sampled():
    vocab = text.Vocab("abcde")
    net = CountingNet(len(vocab))
    state = lambda b: (np.zeros((b, 1)),)  # noqa: E731
    # greedy: each next index is one more than the last, wrapping around the 6 entries (<unk> is index 0)
    expected = "".join(vocab.to_tokens([(vocab["a"] + k) % len(vocab) for k in range(8)]))
    assert text.predict("a", 7, net, state, vocab) == expected
    sampled = text.predict("ab", 20, net, state, vocab, temperature=5.0, rng=numpy.random.default_rng(0))
    assert sampled.startswith("ab") and len(sampled.replace("<unk>", "?")) == 22
    assert sampled == text.predict("ab", 20, net, state, vocab, temperature=5.0, rng=numpy.random.default_rng(0))
    assert sampled != expected[:22]  # a high temperature leaves the cycle


@pytest.mark.parametrize("embed_size", [None, 4])
def test_language_model_is_hybridized_whole(embed_size):
    from mxnet import init
    from mxnet.gluon import nn, rnn

    assert text.LanguageModel.forward is nn.HybridBlock.forward  # hybrid_forward, so hybridize() reaches it
    net = text.LanguageModel(rnn.GRU(6), vocab_size=5, embed_size=embed_size, dropout=0.5)
    net.initialize(init.Normal(0.5))
    X = np.array([[1, 2, 3], [4, 0, 1]])
    state = net.begin_state(2)
    assert state[0].shape == (1, 2, 6) and state[0].ctx == net.output.weight.list_ctx()[0]
    outputs, new_state = net(X, state)
    assert outputs.shape == (6, 5) and new_state[0].shape == (1, 2, 6)
    net.hybridize()
    hybrid_outputs, _ = net(X, state)
    assert numpy.allclose(outputs.asnumpy(), hybrid_outputs.asnumpy(), atol=1e-6)  # dropout is off outside training
    assert net._cached_op is not None  # the whole block ran as one graph
