"""bench.rnn_cells: a cell trains as chapter 6 trains it, and the report picks each cell's best rate."""
import math

import numpy
import pytest

from bench import rnn_cells
from d2lhelpers import text


def test_a_tiny_cell_trains_and_bad_settings_are_named():
    vocab = text.Vocab("abcdefgh")
    rng = numpy.random.default_rng(0)
    train_corpus, val_corpus = rng.integers(1, 9, size=3000), rng.integers(1, 9, size=1100)
    row = rnn_cells.train_cell("GRU", 1.0, 0, vocab, train_corpus, val_corpus, num_hiddens=8, epochs=1)
    assert set(row) == {"val_ppl", "train_ppl", "seconds"}
    assert 1 < row["val_ppl"] < 2 * len(vocab)
    with pytest.raises(ValueError, match="cell must be one of RNN \\(ReLU\\), RNN \\(tanh\\), GRU, LSTM"):
        rnn_cells.train_cell("Transformer", 1.0, 0, vocab, train_corpus, val_corpus)
    with pytest.raises(ValueError, match="lr must be positive, got 0"):
        rnn_cells.train_cell("GRU", 0, 0, vocab, train_corpus, val_corpus)


def test_the_best_rate_is_the_lowest_median_and_nan_counts_as_worst():
    runs = [{"cell": "GRU", "lr": lr, "seed": seed, "val_ppl": ppl, "train_ppl": 1.0, "seconds": 1.0}
            for lr, seed, ppl in ((1, 6, 4.6), (1, 101, 4.4), (1, 202, 4.5), (4, 6, 4.3), (4, 101, 4.9),
                                  (4, 202, 4.35), (8, 6, math.nan), (8, 101, 4.0), (8, 202, math.nan))]
    table = rnn_cells.summary(runs)["GRU"]
    assert table["best_lr"] == 4
    assert table["rates"][4] == {"median": 4.35, "min": 4.3, "max": 4.9, "seeds": 3}
    assert table["rates"][8]["median"] == math.inf
    report = rnn_cells.markdown({"date": "2026-12-06", "cpus": 2, "seeds": [6, 101, 202], "runs": runs})
    assert "| GRU | 4.50 (4.40-4.60) | 4.35 (4.30-4.90) | inf (4.00-inf) |" in report
    assert "| GRU | 4 | 4.350 | 4.300 | 4.900 |" in report
