"""bench.d2l_split: d2l's split rebuilt from the book's text, the window scoring, a tiny training run, the report."""
import math
import sys
from pathlib import Path

import numpy
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import d2l_split, language_model, report  # noqa: E402
from d2lhelpers import text  # noqa: E402


def test_the_split_is_d2ls_own_windows():
    from bench import d2l_recipes

    vocab, train_tokens, val_tokens = d2l_split.split()
    assert (len(train_tokens), len(val_tokens)) == (10_032, 5_032)
    X, Y = d2l_split.windows(val_tokens, d2l_split.D2L_VAL_WINDOWS)
    d2l_data = d2l_recipes.TimeMachine(1024)  # d2l's own class, on the same file
    d2l_X, d2l_Y = d2l_data.X.asnumpy().astype(int), d2l_data.Y.asnumpy().astype(int)
    for ours, theirs in ((X[0], d2l_X[10_000]), (Y[-1], d2l_Y[14_999])):  # the first and last validation windows
        assert vocab.to_tokens(ours.tolist()) == d2l_data.vocab.to_tokens(theirs.tolist())
    last_train = d2l_split.windows(train_tokens, 10_000)[1][-1]
    assert vocab.to_tokens(last_train.tolist()) == d2l_data.vocab.to_tokens(d2l_Y[9_999].tolist())


def test_windows_shift_by_one_and_reject_short_texts():
    X, Y = d2l_split.windows(numpy.arange(10), num_windows=3, num_steps=4)
    assert X.tolist() == [[0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5]] and (Y == X + 1).all()
    with pytest.raises(ValueError, match="num_windows \\+ num_steps = 11 tokens, got 10"):
        d2l_split.windows(numpy.arange(10), num_windows=7, num_steps=4)
    with pytest.raises(ValueError, match="at least 15,032 characters"):
        d2l_split.split("too short")


def test_the_ngram_sees_only_the_window():
    corpus = [1, 2, 3, 1, 2, 4, 1, 2, 3, 3]
    model = text.NGramModel(corpus, order=3, vocab_size=5)
    X, Y = numpy.array([[2, 3], [3, 1]]), numpy.array([[3, 1], [1, 2]])
    expected = [model.probability([2], 3), model.probability([2, 3], 1),  # window 1: contexts (2), (2, 3)
                model.probability([3], 1), model.probability([3, 1], 2)]  # window 2 starts afresh: (3), not (2, 3)
    found = d2l_split.ngram_window_perplexity(model, X, Y)
    assert found == pytest.approx(math.exp(-numpy.mean(numpy.log(expected))))
    assert found != pytest.approx(model.perplexity([2, 3, 1, 2]))  # one stream would carry the context over
    best = d2l_split.best_ngram(corpus, X, Y, 5, orders=(1, 2, 3))
    assert best["validation_perplexity"] == min(best["by_order"].values())
    assert best["by_order"][str(best["order"])] == best["validation_perplexity"]


def test_the_ngram_scoring_agrees_with_chapter_6s_own(capsys):
    from bench.chapters import cells_namespace

    vocab, train_tokens, val_tokens = d2l_split.split()
    corpus = numpy.concatenate([train_tokens, val_tokens[32:]])  # characters 0 to 15,031 of the chapter's corpus
    given = {"corpus": corpus, "vocab": vocab, "orders": (2,), "text": text, "math": math, "numpy": numpy}
    chapter = cells_namespace(d2l_split.CHAPTER, ["cd0e0eed"], "the cell id in this test", given)
    assert "bigram 9.56" in capsys.readouterr().out  # the chapter's committed figure, recomputed
    model = text.NGramModel(train_tokens, 5, len(vocab))
    X, Y = d2l_split.windows(val_tokens, 300)
    assert d2l_split.ngram_window_perplexity(model, X, Y) == pytest.approx(
        chapter["window_perplexity"](model, chapter["d2l_windows"][:300]))


def test_a_network_is_scored_from_a_zero_state_in_chunks():
    from mxnet import np, npx

    npx.set_np()
    starts = []

    class Uniform:  # a "network" with equal scores for 4 tokens, which records each chunk's zero state
        def begin_state(self, batch_size):
            return [np.zeros((1, batch_size, 2))]

        def __call__(self, X, state):
            starts.append(float(state[0].sum()))
            return np.zeros((X.size, 4)), state

    X = numpy.zeros((5, 3), dtype=int)
    assert d2l_split.network_window_perplexity(Uniform(), X, X, chunk=2) == pytest.approx(4, rel=1e-5)
    assert starts == [0, 0, 0]  # three chunks: 2 + 2 + 1 windows


def test_the_book_models_follow_the_chapter():
    import nbformat

    cells = {c.id: c.source for c in nbformat.read(d2l_split.CHAPTER, as_version=4).cells}
    assert "lr = 4.0" in cells["fbb1b86c"] and "num_epochs = 5" in cells["f13f922e"]
    assert "gluon_hiddens = 256" in cells["e16a2ef6"] and 'rnn_runs["relu", gluon_hiddens]' in cells["e16a2ef6"]
    assert "gluon_model(rnn.GRU, gluon_hiddens)" in cells["cf1c8dcc"] and "lr=lr" in cells["cf1c8dcc"]
    assert "gluon_model(rnn.LSTM, gluon_hiddens)" in cells["6f220acb"] and "lr=8.0" in cells["6f220acb"]
    rates = {m.layer: (m.optimizer, m.lr, m.chapter_epochs) for m in d2l_split.MODELS.values()}
    best = language_model.Recipe()
    assert rates == {"RNN": ("sgd", 4.0, 5), "GRU": ("sgd", 4.0, 5), "LSTM": ("sgd", 8.0, 5),
                     "best": (best.optimizer, best.lr, best.epochs)}
    _, book_train, _ = language_model.corpus_split()
    chapter_batches = text.SubsequenceBatches(book_train, d2l_split.BATCH_SIZE, d2l_split.NUM_STEPS,
                                              sampling="sequential")
    assert len(chapter_batches) == d2l_split.CHAPTER_BATCHES_PER_EPOCH


def test_a_tiny_run_trains_for_the_chapters_updates_and_scores_both_ways():
    vocab = text.Vocab("abcdefgh")
    rng = numpy.random.default_rng(0)
    train_tokens, val_tokens = rng.integers(1, 9, size=2100), rng.integers(1, 9, size=1100)
    gluon_model = d2l_split.chapter_gluon_model(vocab)  # the chapter's own cell
    model = d2l_split.MODELS["RNN (ReLU, 256 units), Gluon"]
    said = []
    row = d2l_split.train(model, vocab, train_tokens, val_tokens, gluon_model, chapter_batches=2,
                          checkpoints=2, progress=said.append)
    assert (row["epochs"], row["updates"]) == (5, 10)  # 5 chapter epochs of 2 updates; 2 minibatches an epoch here
    assert [updates for updates, _ in row["curve"]] == [2, 4, 8, 10]  # epochs 1, 2, 4 and the last
    assert row["window_perplexity"] == row["curve"][-1][1] >= row["lowest_window_perplexity"]
    assert 1 < row["window_perplexity"] < 3 * len(vocab) and 1 < row["carried_perplexity"] < 3 * len(vocab)
    assert len(said) == 4 and said[-1].startswith("  RNN (ReLU, 256 units), Gluon: epoch 5/5")
    with pytest.raises(ValueError, match="gluon_model \\(chapter 6's\\) is needed"):
        d2l_split.build(model, len(vocab))
    with pytest.raises(ValueError, match="names must be among RNN"):
        d2l_split.run(["Transformer"])


def made_up_split():
    return {"training_characters": 10_032, "validation_windows": 5_000,
            "ngram": {"order": 5, "validation_perplexity": 5.58, "by_order": {"4": 5.63, "5": 5.58}},
            "networks": [{"name": "LSTM (256 units), Gluon", "chapter_result": "lstm_concise_val_ppl",
                          "d2l_recipe": "LSTM", "epochs": 84, "updates": 756, "seconds": 20.4,
                          "train_perplexity": 1.05, "window_perplexity": 20.71, "lowest_window_perplexity": 7.04,
                          "lowest_after_updates": 90, "curve": [[90, 7.04], [756, 20.71]],
                          "carried_perplexity": 20.5}]}


def test_the_report_puts_d2l_and_the_book_side_by_side():
    d2l = {"changes": [], "cnns": [], "book_on_d2l_split": made_up_split(),
           "recipes": [{"name": "LSTM", "section": "10.1", "settings": "32 hidden units", "book_results": [],
                        "d2l_split": {"epochs": 50, "training_windows": 10000, "validation_perplexity": 6.95,
                                      "seconds": 49.0, "examples_per_second": 10204.0}}]}
    md = report.markdown({"date": "d", "parts": ["d2l"], "machine": {}, "versions": {}, "d2l": d2l})
    for expected in ("### d2l's split, like with like", "(orders 1-8: 4: 5.63, 5: 5.58)",
                     "| d2l 10.1: LSTM | 32 hidden units | 50 epochs | 6.95 | - | - | - | 49 |",
                     "| book 6.3: smoothed 5-gram (best order) | counts, no training | - | 5.58 | - | - | - | - |",
                     "| book 6: LSTM (256 units), Gluon | chapter 6's recipe | 84 epochs, 756 updates | 20.71 | "
                     "7.04 (after 90) | 20.50 | 1.05 | 20 |"):
        assert expected in md, expected
    rows = {r.what: r for r in report.d2l_rows(d2l, {})}
    assert rows["book on d2l's split: smoothed 5-gram, validation perplexity"].value == "5.58"
    assert rows["book on d2l's split: LSTM (256 units), Gluon, validation perplexity (lowest)"].value == (
        "20.71 (7.04; 20 s)")
    assert report.d2l_summary(made_up_split()) == "5-gram 5.58; LSTM (256 units), Gluon 20.71 (lowest 7.04), 20 s"
    failed = {"date": "d", "parts": ["d2l"], "machine": {}, "versions": {},
              "d2l": d2l | {"book_on_d2l_split": {"name": "book-on-d2l-split", "error": "ValueError: no"}}}
    assert "The book's models on d2l's split failed: ValueError: no" in report.markdown(failed)
    assert report.shortfalls(failed) == ["book on d2l's split: failed: ValueError: no"]


def test_the_d2l_part_runs_the_book_on_d2l_split(monkeypatch):
    from bench import run

    monkeypatch.setattr(d2l_split, "run", lambda progress: made_up_split())
    said = []
    found = run.run_d2l(run.arguments(["--parts", "d2l", "--d2l-models", run.BOOK_ON_D2L_SPLIT]), said.append)
    assert found["book_on_d2l_split"] == made_up_split() and found["recipes"] == found["cnns"] == []
    assert said[0] == ("d2l book-on-d2l-split (1/1): the book's n-gram and networks, trained and scored on "
                       "d2l's split")
    assert said[-1] == "d2l book-on-d2l-split: 5-gram 5.58; LSTM (256 units), Gluon 20.71 (lowest 7.04), 20 s"
