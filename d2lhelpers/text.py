"""Text for language models: tokens, a vocabulary, minibatches of subsequences, smoothed n-gram
counts, and what chapter 6's networks share (their loss, perplexity, text generation and
``LanguageModel``).

Chapter 6 builds each of these step by step on The Time Machine; later
chapters import them from here.
"""
from __future__ import annotations

import collections
import math
from collections.abc import Callable, Iterable, Iterator, Sequence

import mxnet as mx
import numpy
from mxnet import gluon, np, npx
from mxnet.gluon import nn

from d2lhelpers.checks import as_numpy, device_or_none, positive_int

UNKNOWN = "<unk>"


def tokenize(text: str, kind: str = "char") -> list[str]:
    """Split ``text`` into characters (``kind="char"``) or whitespace-separated words (``"word"``)."""
    if kind == "char":
        return list(text)
    if kind == "word":
        return text.split()
    raise ValueError(f"kind must be 'char' or 'word', got {kind!r}")


class Vocab:
    """Token <-> index, most frequent token first.

    Index 0 is the unknown token ``<unk>``, which every token the vocabulary
    does not know maps to; then come ``reserved_tokens`` (such as ``<pad>``),
    then every token seen at least ``min_freq`` times, by decreasing count.
    Ties are broken alphabetically, so a text always gives the same indices.
    """

    def __init__(self, tokens: Iterable[str] = (), min_freq: int = 1, reserved_tokens: Sequence[str] = ()):
        positive_int("min_freq", min_freq)
        special = [UNKNOWN, *reserved_tokens]
        if len(set(special)) != len(special):
            raise ValueError(f"reserved_tokens must be distinct and must not include {UNKNOWN!r}, "
                             f"got {list(reserved_tokens)}")
        self.counts = collections.Counter(tokens)
        by_count = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        self.idx_to_token = special + [t for t, n in by_count if n >= min_freq and t not in special]
        self.token_to_idx = {token: index for index, token in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens: str | Sequence[str]) -> int | list[int]:
        """The index of one token, or the list of indices of a sequence of tokens (0 if unknown)."""
        if isinstance(tokens, str):
            return self.token_to_idx.get(tokens, 0)
        return [self.token_to_idx.get(token, 0) for token in tokens]

    def to_tokens(self, indices: int | Sequence[int]) -> str | list[str]:
        """The token of one index, or the list of tokens of a sequence of indices."""
        if isinstance(indices, (int, numpy.integer)):
            if not 0 <= indices < len(self):
                raise ValueError(f"index {indices} is outside the vocabulary's 0..{len(self) - 1}")
            return self.idx_to_token[indices]
        return [self.to_tokens(int(i)) for i in as_numpy(indices).reshape(-1)]


class SubsequenceBatches:
    """Minibatches ``(X, Y)`` of subsequences of a corpus of token indices, for a language model.

    ``X`` and ``Y`` have shape ``(batch_size, num_steps)``; ``Y`` is ``X``
    shifted by one token, so ``Y[i, t]`` is the token that follows
    ``X[i, t]``. Every epoch starts the corpus at a random offset below
    ``num_steps`` (unless ``random_offset`` is False), so that the cuts
    between subsequences fall at different places.

    * ``sampling="random"``: the corpus is cut into consecutive,
      non-overlapping subsequences that are dealt out in a random order:
      neighboring rows and minibatches are unrelated.
    * ``sampling="sequential"``: the corpus is split into ``batch_size``
      equal streams, and minibatch ``k`` holds the ``k``-th piece of every
      stream: row ``i`` of one minibatch continues row ``i`` of the one
      before, so a model can carry its hidden state across them.

    Randomness comes from ``rng`` (a NumPy ``Generator``), or from NumPy's
    global generator when it is None. Tokens that do not fill a whole
    minibatch at the end are left out; ``len()`` is the same every epoch.
    The minibatches are made on ``device`` (MXNet's default device, the
    CPU, when None).
    """

    def __init__(self, corpus: Sequence[int], batch_size: int, num_steps: int, sampling: str = "random",
                 random_offset: bool = True, rng: numpy.random.Generator | None = None,
                 device: mx.Context | None = None):
        positive_int("batch_size", batch_size)
        positive_int("num_steps", num_steps)
        if sampling not in ("random", "sequential"):
            raise ValueError(f"sampling must be 'random' or 'sequential', got {sampling!r}")
        tokens = as_numpy(corpus)
        if tokens.ndim != 1 or (tokens.size and not numpy.issubdtype(tokens.dtype, numpy.integer)):
            raise ValueError(f"corpus must be a 1-D sequence of token indices, got shape {tokens.shape}, "
                             f"dtype {tokens.dtype}")
        max_offset = num_steps - 1 if random_offset else 0
        needed = batch_size * num_steps + 1 + max_offset
        if tokens.size < needed:
            raise ValueError(f"corpus has {tokens.size} tokens; one minibatch of batch_size={batch_size} "
                             f"subsequences of num_steps={num_steps} needs at least {needed}")
        self.tokens = np.array(tokens, dtype="int32", ctx=device_or_none("device", device))
        self.batch_size, self.num_steps, self.sampling = batch_size, num_steps, sampling
        self.random_offset, self.rng = random_offset, rng
        self.num_batches = (tokens.size - 1 - max_offset) // (batch_size * num_steps)

    def __len__(self) -> int:
        return self.num_batches

    def _offset(self) -> int:
        if not self.random_offset:
            return 0
        if self.rng is None:
            return int(numpy.random.randint(self.num_steps))
        return int(self.rng.integers(self.num_steps))

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        b, t, n = self.batch_size, self.num_steps, self.num_batches
        offset = self._offset()
        X = self.tokens[offset:offset + n * b * t]
        Y = self.tokens[offset + 1:offset + 1 + n * b * t]
        if self.sampling == "sequential":  # b streams; minibatch k is the k-th piece of each
            X, Y = X.reshape(b, n * t), Y.reshape(b, n * t)
            for k in range(n):
                yield X[:, k * t:(k + 1) * t], Y[:, k * t:(k + 1) * t]
            return
        # random sampling: the n * b subsequences, dealt out in a random order
        order = (numpy.random if self.rng is None else self.rng).permutation(n * b)
        X, Y = X.reshape(n * b, t), Y.reshape(n * b, t)
        for k in range(n):
            index = np.array(order[k * b:(k + 1) * b], dtype="int32", ctx=self.tokens.ctx)
            yield np.take(X, index, axis=0), np.take(Y, index, axis=0)


class NGramModel:
    """Counts of which token follows which context, smoothed by interpolated absolute discounting.

    A context ``h`` is the ``order - 1`` tokens before the one predicted, or
    fewer at the start of a text. With ``c`` the counts in the training
    corpus, ``N(h)`` the number of distinct tokens seen after ``h``, ``d``
    the discount and ``h'`` the context without its oldest token::

        P(w | h) = (max(c(h w) - d, 0) + d * N(h) * P(w | h')) / c(h)

    Every seen token gives up ``d`` of its count, and the probability saved
    goes to the shorter context's distribution, so tokens never seen after
    ``h`` keep some probability. A context never seen falls back on ``h'``
    entirely; below the empty context lies the uniform distribution over
    the ``vocab_size`` tokens.
    """

    def __init__(self, corpus: Sequence[int], order: int, vocab_size: int, discount: float = 0.75):
        positive_int("order", order)
        positive_int("vocab_size", vocab_size)
        if not 0 < discount < 1:
            raise ValueError(f"discount must be between 0 and 1 (exclusive), got {discount}")
        tokens = _token_list("corpus", corpus, vocab_size)
        self.order, self.vocab_size, self.discount = order, vocab_size, discount
        self.counts: collections.Counter = collections.Counter()  # (context..., token) -> count, every length
        for n in range(1, order + 1):
            self.counts.update(zip(*(tokens[i:len(tokens) - n + 1 + i] for i in range(n)), strict=True))
        self.context_counts: collections.Counter = collections.Counter()  # c(h)
        self.followers: collections.Counter = collections.Counter()  # N(h)
        for gram, count in self.counts.items():
            self.context_counts[gram[:-1]] += count
            self.followers[gram[:-1]] += 1

    def probability(self, context: Sequence[int], token: int) -> float:
        """P(token | the last ``order - 1`` tokens of context), from the shortest context up."""
        context = tuple(context[max(len(context) - self.order + 1, 0):])  # cut first: generate passes its whole text
        p = 1 / self.vocab_size
        for k in range(len(context) + 1):  # contexts of length 0, 1, ..., shortest first
            h = context[len(context) - k:]
            seen = self.context_counts[h]
            if seen == 0:  # never seen, so no longer context was either
                break
            p = (max(self.counts[h + (token,)] - self.discount, 0) + self.discount * self.followers[h] * p) / seen
        return p

    def distribution(self, context: Sequence[int]) -> numpy.ndarray:
        """The probabilities of every token after context, as an array of length ``vocab_size``."""
        return numpy.array([self.probability(context, token) for token in range(self.vocab_size)])

    def perplexity(self, tokens: Sequence[int]) -> float:
        """exp(mean cross-entropy) of every token but the first, each given the tokens before it."""
        tokens = _token_list("tokens", tokens, self.vocab_size)
        if len(tokens) < 2:
            raise ValueError(f"tokens must hold at least 2 tokens (the first is only context), got {len(tokens)}")
        log_p = [math.log(self.probability(tokens[max(t - self.order + 1, 0):t], tokens[t]))
                 for t in range(1, len(tokens))]
        return math.exp(-sum(log_p) / len(log_p))

    def generate(self, prefix: Sequence[int], num_tokens: int, temperature: float = 1.0,
                 rng: numpy.random.Generator | None = None) -> list[int]:
        """prefix followed by num_tokens tokens, each drawn by ``draw`` from the model's distribution."""
        tokens = _token_list("prefix", prefix, self.vocab_size)
        for _ in range(num_tokens):
            tokens.append(draw(self.distribution(tokens), temperature, rng))
        return tokens


def _token_list(name: str, tokens: Sequence[int], vocab_size: int) -> list[int]:
    """tokens as a list of Python ints, checked to be a 1-D sequence of indices below vocab_size."""
    array = as_numpy(tokens)
    if array.ndim != 1 or (array.size and not numpy.issubdtype(array.dtype, numpy.integer)):
        raise ValueError(f"{name} must be a 1-D sequence of token indices, got shape {array.shape}, "
                         f"dtype {array.dtype}")
    if array.size and not (0 <= array.min() and array.max() < vocab_size):
        raise ValueError(f"{name} must hold indices from 0 to {vocab_size - 1}, got {array.min()} to {array.max()}")
    return [int(t) for t in array]


def draw(probabilities: numpy.ndarray, temperature: float, rng: numpy.random.Generator | None = None) -> int:
    """An index drawn from probabilities raised to the power 1 / temperature and renormalized.

    Temperatures below 1 sharpen the distribution and above 1 flatten it; at
    temperature 0 the most likely index is taken (greedy decoding). For a
    network's softmax output this is the softmax of the scores divided by
    the temperature. Draws come from ``rng``, or NumPy's global generator.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be 0 (greedy) or positive, got {temperature}")
    p = as_numpy(probabilities).astype("float64").reshape(-1)
    if temperature == 0:
        return int(p.argmax())
    log_p = numpy.log(numpy.maximum(p, 1e-300)) / temperature
    p = numpy.exp(log_p - log_p.max())
    return int((numpy.random if rng is None else rng).choice(p.size, p=p / p.sum()))


cross_entropy = gluon.loss.SoftmaxCrossEntropyLoss()


def lm_loss(outputs: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Cross-entropy of each predicted character; outputs are in time order, so the labels are too."""
    return cross_entropy(outputs, Y.T.reshape(-1))


def perplexity(net: Callable, begin_state: Callable[[int], Sequence[np.ndarray]],
               batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> float:
    """exp(mean cross-entropy per character) over sequential minibatches, carrying the state across them."""
    total, count, state = 0, 0, None
    for X, Y in batches:
        if state is None:
            state = begin_state(X.shape[0])
        outputs, state = net(X, state)
        total = total + lm_loss(outputs, Y).sum()
        count += Y.size
    return math.exp(total.item() / count)


def predict(prefix: str, num_chars: int, net: Callable, begin_state: Callable[[int], Sequence[np.ndarray]],
            vocab: Vocab, temperature: float = 0.0, rng: numpy.random.Generator | None = None) -> str:
    """prefix and num_chars more characters, each drawn from the model's prediction by draw (greedy at 0)."""
    state = begin_state(1)
    device = state[0].ctx
    indices = vocab[list(prefix)]
    if len(indices) > 1:  # warm-up: read all of the prefix except its last character, which the loop reads first
        _, state = net(np.array([indices[:-1]], ctx=device), state)
    for _ in range(num_chars):
        outputs, state = net(np.array([indices[-1:]], ctx=device), state)
        indices.append(draw(npx.softmax(outputs[0]).asnumpy(), temperature, rng))
    return "".join(vocab.to_tokens(indices))


class LanguageModel(nn.HybridBlock):
    """A recurrent layer (rnn.RNN, rnn.GRU or rnn.LSTM) on the characters, then a dense output layer.

    Characters enter one-hot or, with embed_size, as learned vectors of that length (an embedding).
    During training, dropout zeroes that share of the learned vectors and of the recurrent layer's outputs.
    """

    def __init__(self, layer: nn.HybridBlock, vocab_size: int, embed_size: int | None = None,
                 dropout: float = 0.0):
        super().__init__()
        self.layer, self.vocab_size = layer, vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_size) if embed_size else None
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Dense(vocab_size, flatten=False)

    def hybrid_forward(self, F, X, state):
        X = X.T  # time first: (steps, batch), as the recurrent layer expects
        if self.embedding is None:
            inputs = F.npx.one_hot(X, self.vocab_size)
        else:
            inputs = self.dropout(self.embedding(X))
        hiddens, state = self.layer(inputs, state)  # (steps, batch, hiddens)
        return self.output(self.dropout(hiddens)).reshape(-1, self.vocab_size), state

    def begin_state(self, batch_size: int) -> list[np.ndarray]:
        """Zero states for batch_size sequences, on the device of the parameters."""
        return self.layer.begin_state(batch_size, ctx=self.output.weight.list_ctx()[0])
