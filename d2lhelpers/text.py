"""Text for language models: tokens, a vocabulary, and minibatches of subsequences.

Chapter 6 builds each of these step by step on The Time Machine; later
chapters import them from here.
"""
from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator, Sequence

import mxnet as mx
import numpy
from mxnet import np

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
