"""The benchmark's d2l part and seed spread: d2l's recipes on tiny configurations, the spread, the reports.

The recipes run d2l 1.0.3's own code on the real data (a few hundred
examples, one epoch); the spread and the reports work on made-up results.
"""
import json
import math
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bench/ is a folder of the repository, not an installed package

from bench import chapters, report, run  # noqa: E402
from book import chapter_table  # noqa: E402
from d2lhelpers import runtime  # noqa: E402


def recipes():
    """bench.d2l_recipes, imported only by the tests that run d2l (the others run without it)."""
    import importlib

    return importlib.import_module("bench.d2l_recipes")


# --- seed spread ----------------------------------------------------------------------------------


def test_extra_seeds():
    assert chapters.extra_seeds(0) == [] and chapters.extra_seeds(3) == [101, 202, 303]
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="count"):
            chapters.extra_seeds(bad)


def test_seed_variable_is_set_then_restored(monkeypatch):
    monkeypatch.setenv(runtime.SEED_VARIABLE, "7")
    with chapters.seed_variable(101):
        assert os.environ[runtime.SEED_VARIABLE] == "101"
    assert os.environ[runtime.SEED_VARIABLE] == "7"
    with chapters.seed_variable(None):  # each chapter's default
        assert runtime.SEED_VARIABLE not in os.environ
    assert os.environ[runtime.SEED_VARIABLE] == "7"
    monkeypatch.delenv(runtime.SEED_VARIABLE)
    with pytest.raises(KeyError), chapters.seed_variable(5):
        raise KeyError("a failing chapter")
    assert runtime.SEED_VARIABLE not in os.environ


def seed_runs():
    def basics(seconds, acc, shift, reference):
        return {"01_basics": chapters.ChapterRun("01_basics", chapters.EXECUTED, seconds,
                                                 {"softmax_scratch_test_acc": acc}),
                "04_cnn": chapters.ChapterRun("04_cnn", chapters.EXECUTED, 2 * seconds,
                                              {"lenet_shift_loss": shift, "lenet_shift_loss_reference": reference,
                                               "other_number": 1.0})}
    return {"default": basics(50.0, 0.845, 0.01, 0.2), "101": basics(60.0, 0.83, 0.3, 0.2),
            "202": basics(55.0, 0.85, 0.02, 0.2)}


def test_spread_of_results_and_times():
    spread = chapters.spread(seed_runs())
    assert spread["seeds"] == ["default", "101", "202"]
    acc = spread["results"]["softmax_scratch_test_acc"]
    assert (acc["min"], acc["median"], acc["max"]) == (0.83, 0.845, 0.85)
    assert acc["values"] == {"default": 0.845, "101": 0.83, "202": 0.85}
    assert acc["met"] == 2 and acc["expected"] == ">= 0.84"  # 0.83 misses
    shift = spread["results"]["lenet_shift_loss"]
    assert shift["met"] == 2  # 0.3 is not below 1 x its own seed's reference 0.2
    assert "lenet_shift_loss_reference" not in spread["results"]
    assert shift["references"] == {"default": 0.2, "101": 0.2, "202": 0.2}  # each seed's own
    assert shift["ratios"] == pytest.approx({"default": 0.05, "101": 1.5, "202": 0.1})
    assert "references" not in acc and "ratios" not in acc  # an absolute bound has none
    assert spread["results"]["other_number"]["expected"] == ""  # listed, not checked
    assert spread["times"]["04_cnn"] == {"values": {"default": 100.0, "101": 120.0, "202": 110.0},
                                         "min": 100.0, "median": 110.0, "max": 120.0}


def results_with(spread):
    """A benchmark's results holding only a chapters part with this spread."""
    book = {"seconds": 0, "budget": 1, "chapters_timed": 0, "chapters_planned": 8, "complete": False,
            "status": "within budget"}
    return {"date": "d", "parts": ["chapters"], "machine": {}, "versions": {},
            "chapters": {"runs": [], "times": [], "book": book, "results": [], "seed": "each chapter's default",
                         "spread": spread}}


def test_spread_reports_chapters_that_fail_at_some_seed():
    runs = seed_runs()
    runs["101"]["04_cnn"] = chapters.ChapterRun("04_cnn", chapters.FAILED, 3.0, {}, "MXNetError: out of memory")
    runs["202"]["05_modern_cnn"] = chapters.ChapterRun("05_modern_cnn", chapters.NOT_RUN)
    spread = chapters.spread(runs)
    assert spread["failures"] == [{"chapter": "04_cnn", "seed": "101", "status": "failed",
                                   "error": "MXNetError: out of memory"}]
    assert spread["results"]["lenet_shift_loss"]["values"] == {"default": 0.01, "202": 0.02}
    results = results_with(spread)
    assert "chapter 04_cnn at seed 101: failed: MXNetError: out of memory" in report.shortfalls(results)
    assert "| 04_cnn | 101 | failed | MXNetError: out of memory |" in report._spread_markdown(spread)


def test_spread_rows_markdown_and_shortfalls():
    results = results_with(chapters.spread(seed_runs()))
    rows = {r.what: r for r in report.rows(results)}
    acc = rows["ch. 1 softmax_scratch_test_acc (min / median / max)"]
    assert (acc.value, acc.expected, acc.verdict) == ("0.83 / 0.845 / 0.85", ">= 0.84", "met at 2 of 3 seeds")
    assert "ch. 4 other_number (min / median / max)" not in rows  # no bound, only in the Markdown
    text_md = report.markdown(results)
    assert "| 1 | softmax_scratch_test_acc | 0.845 | 0.83 | 0.85 | 0.83 | 0.845 | 0.85 | >= 0.84 | 2 of 3 |" in text_md
    assert "| 04_cnn | 100.0 | 120.0 | 110.0 | 100.0 | 110.0 | 120.0 |" in text_md
    assert "| 4 | other_number | 1 | 1 | 1 | 1 | 1 | 1 |  |  |" in text_md
    assert "| 4 | lenet_shift_loss | 0.01 / 0.2 = 0.05 | 0.3 / 0.2 = 1.5 | 0.02 / 0.2 = 0.1 | < 1 x" in text_md
    assert "softmax_scratch_test_acc: met at 2 of 3 seeds" in report.shortfalls(results)


# --- the command line -----------------------------------------------------------------------------


def test_seed_and_d2l_options(monkeypatch):
    monkeypatch.delenv("QUICK", raising=False)
    assert run.arguments([]).parts == ("chapters", "d2l", "micro", "threads")
    assert run.arguments(["--no-d2l"]).parts == ("chapters", "micro", "threads")
    args = run.arguments(["--parts", "chapters", "--seeds", "3", "--chapters", "05_modern_cnn"])
    assert args.seeds == 3 and not run.is_full_run(args)
    assert not run.is_full_run(run.arguments(["--seeds", "2"]))
    assert not run.is_full_run(run.arguments(["--d2l-models", "LSTM", "VGG"]))
    for bad in (["--seeds", "0"], ["--parts", "micro", "--seeds", "2"], ["--d2l-models", "Transformer"],
                ["--d2l-batches", "0"]):
        with pytest.raises(SystemExit):
            run.arguments(bad)


def test_d2l_part_is_skipped_with_a_reason_when_d2l_cannot_load(monkeypatch):
    monkeypatch.setitem(sys.modules, "bench.d2l_recipes", None)  # importing it now raises ImportError
    said = []
    found = run.run_d2l(run.arguments(["--parts", "d2l"]), said.append)
    assert found["skipped"].startswith("d2l's recipes skipped: the d2l package cannot run here (ModuleNotFoundError")
    assert said == [found["skipped"]]
    assert [r.verdict for r in report.d2l_rows(found, {})] == [found["skipped"]]


# --- the reports of the d2l part ------------------------------------------------------------------


def made_up_d2l():
    return {"changes": ["a change"],
            "recipes": [{"name": "MLP", "section": "5.2", "settings": "256 hidden units",
                         "book_results": ["mlp_scratch_test_acc", "mlp_concise_test_acc"], "epochs": 10,
                         "test_accuracy": 0.8512, "seconds": 40.4, "examples_per_second": 14851.0},
                        {"name": "LSTM", "section": "10.1", "settings": "32 hidden units",
                         "book_results": ["lstm_concise_val_ppl"],
                         "d2l_split": {"epochs": 50, "training_windows": 10000, "validation_perplexity": 7.123,
                                       "seconds": 60.0, "examples_per_second": 8333.0},
                         "book_split": {"epochs": 3, "training_windows": 156053, "validation_perplexity": 5.456,
                                        "seconds": 40.0, "examples_per_second": 11704.0}},
                        {"name": "GRU", "section": "10.2", "settings": "32 hidden units", "book_results": [],
                         "d2l_split": {"epochs": 50, "training_windows": 10000, "validation_perplexity": 6.6,
                                       "seconds": 52.0, "examples_per_second": 9615.0}},
                        {"name": "RNN", "section": "9.6", "error": "MXNetError: out of memory"}],
            "cnns": [{"name": "VGG", "section": "8.2", "book_result": "vgg_test_acc",
                      "settings": "224x224, batch 128, SGD 0.01, 10 epochs", "batches_timed": 3,
                      "seconds_per_batch": 3.5, "epochs": 10, "extrapolated_epoch_seconds": 1641.5,
                      "extrapolated_training_seconds": 16415.0, "examples_per_second": 36.6}]}


def test_d2l_rows_summaries_and_markdown():
    values = {"mlp_scratch_test_acc": 0.873, "mlp_concise_test_acc": 0.874, "vgg_test_acc": 0.919}
    rows = {r.what: r for r in report.d2l_rows(made_up_d2l(), values)}
    mlp = rows["d2l 5.2: MLP, test accuracy"]
    assert (mlp.value, mlp.expected) == ("0.851 (40 s)", "book: 0.873 / 0.874")
    assert rows["d2l 10.1: LSTM, validation perplexity, d2l's split"].value == "7.12 (60 s)"
    book_split = rows["d2l 10.1: LSTM, validation perplexity, book's split"]
    assert (book_split.value, book_split.expected) == ("5.46 (40 s)", "")  # the chapter did not glue it here
    assert rows["d2l 9.6: RNN"].verdict == "failed: MXNetError: out of memory"
    assert rows["d2l 10.2: GRU, validation perplexity, d2l's split"].value == "6.60 (52 s)"
    assert rows["d2l 8.2: VGG, 10 epochs at 224x224 (extrapolated)"].value == "16,415 s"
    assert report.d2l_summary(made_up_d2l()["recipes"][1]) == (
        "d2l's split: validation perplexity 7.12 after 50 epochs, 60 s; "
        "book's split: validation perplexity 5.46 after 3 epochs, 40 s")
    assert "4.6 h for 10 epochs (extrapolated)" in report.d2l_summary(made_up_d2l()["cnns"][0])
    results = {"date": "d", "parts": ["d2l"], "machine": {}, "versions": {}, "d2l": made_up_d2l()}
    assert "d2l 9.6: RNN: failed: MXNetError: out of memory" in report.shortfalls(results)
    md = report.markdown(results)
    for expected in ("## d2l 1.0.3, measured here", "* a change",
                     "| MLP | 5.2 | 256 hidden units | 0.851 | 40 | 14,851 | - |",
                     "| LSTM | 10.1 | 32 hidden units | d2l | 50 | 10,000 | 7.12 | 60 | 8,333 | - |",
                     "| VGG | 8.2 | 224x224, batch 128, SGD 0.01, 10 epochs | 3 | 3.50 | 1,642 | 16,415 | - |",
                     "Failed: RNN: MXNetError: out of memory"):
        assert expected in md, expected


def test_results_written_under_another_stem(tmp_path):
    results = {"date": "d", "parts": ["d2l"], "machine": {}, "versions": {}, "d2l": {"skipped": "no d2l"}}
    md, js = report.write(results, tmp_path, "seeds")
    assert (md.name, js.name) == ("seeds.md", "seeds.json") and json.loads(js.read_text()) == results
    assert not (tmp_path / "results.md").exists()


def test_readme_column_and_footnote_from_the_bench_results():
    table = chapter_table
    entries, notes = table.d2l_measured({"d2l": made_up_d2l()})
    assert entries["mlp_concise_test_acc"] == entries["mlp_scratch_test_acc"] == "MLP: 0.851"
    assert entries["lstm_concise_val_ppl"] == "LSTM: 7.12 (d2l's split) / 5.46 (book's split)"
    assert entries["vgg_test_acc"] == "VGG: not trained: ~4.6 h (extrapolated)"
    assert not any(e.startswith(("GRU", "RNN")) for e in entries.values())  # no row for it; it failed
    assert notes == [table.LM_NOTE, "MLP (d2l 5.2): 256 hidden units", "LSTM (d2l 10.1): 32 hidden units",
                     "VGG (d2l 8.2): 224x224, batch 128, SGD 0.01, 10 epochs"]
    assert table.d2l_measured({}) == ({}, []) and table.d2l_measured({"d2l": {"skipped": "x"}}) == ({}, [])
    rendered = table.results_table(bench={"d2l": made_up_d2l()})
    assert "| MLP: 0.851 |" in rendered and rendered.rstrip().endswith("VGG (d2l 8.2): 224x224, batch 128, "
                                                                      "SGD 0.01, 10 epochs.")
    assert "| - |" in table.results_table(bench={})  # rows d2l does not share


# --- d2l's recipes, run small ---------------------------------------------------------------------


def test_every_recipe_names_results_the_book_checks():
    from d2lhelpers import expectations

    d2l_recipes = recipes()
    names = [n for r in d2l_recipes.RECIPES.values() for n in r.book_results]
    names += [c.book_result for c in d2l_recipes.CNNS.values()]
    assert names and all(name in expectations.EXPECTATIONS for name in names)


def test_the_book_split_matches_chapter_6():
    from d2lhelpers import data

    corpus = recipes().TimeMachine(1024, split="book")
    book = re.sub("[^a-z]+", " ", data.read_time_machine().lower())  # chapter 6's normalize
    split = int(0.9 * len(book))  # chapter 6's first validation character
    token = corpus.vocab.idx_to_token
    assert corpus.boundary == split
    assert "".join(corpus.vocab.to_tokens(corpus.validation_characters())) == book[split:]
    training = corpus.get_dataloader(train=True)._dataset
    assert len(training) == corpus.num_train
    last_targets = training[corpus.num_train - 1][1].asnumpy().astype(int).tolist()
    assert "".join(token[i] for i in last_targets) == book[split - corpus.num_steps:split]  # ends just before it
    validation = corpus.get_dataloader(train=False)._dataset
    first_inputs = validation[0][0].asnumpy().astype(int).tolist()
    assert "".join(token[i] for i in first_inputs) == book[split:split + corpus.num_steps]  # starts at it
    assert len(validation) == len(book) - corpus.num_steps - split
    d2l_split = recipes().TimeMachine(1024)
    assert (d2l_split.num_train, d2l_split.num_val) == (10_000, 5_000)
    with pytest.raises(ValueError, match="split must be 'd2l' or 'book'"):
        recipes().TimeMachine(1024, split="random")


def test_book_split_epochs_match_d2l_training_windows():
    d2l_recipes = recipes()
    book = d2l_recipes.TimeMachine(1024, split="book")
    assert book.num_train == 156_053
    epochs = {name: d2l_recipes.book_split_epochs(r, book.num_train) for name, r in d2l_recipes.RECIPES.items()
              if r.language_model}
    assert epochs == {"RNN": 6, "GRU": 3, "LSTM": 3}  # 100 x 10,000 and 50 x 10,000 windows, in whole epochs
    assert d2l_recipes.book_split_epochs(d2l_recipes.RECIPES["RNN"], 10**9) == 1
    with pytest.raises(ValueError, match="num_train"):
        d2l_recipes.book_split_epochs(d2l_recipes.RECIPES["RNN"], 0)


def test_carried_perplexity_carries_the_state_across_minibatches():
    """Consecutive minibatches with the state carried score like one pass over each whole stream."""
    d2l_recipes = recipes()
    corpus = d2l_recipes.TimeMachine(64)
    model = d2l_recipes.RECIPES["LSTM"].build(len(corpus.vocab))
    characters = corpus.build(corpus._download(), corpus.vocab)[0][:3000]
    from mxnet import np

    b, t = d2l_recipes.BOOK_BATCH, d2l_recipes.BOOK_STEPS
    n = (len(characters) - 1) // (b * t)
    X = np.array(characters[:n * b * t], dtype="float32").reshape(b, n * t)  # b streams, as sequential batches
    Y = np.array(characters[1:n * b * t + 1], dtype="float32").reshape(b, n * t)
    model(X[:, :t])  # shapes inferred; then weights large enough for the state to matter
    for param in model.collect_params().values():
        param.set_data(np.random.normal(0, 0.5, param.shape))
    whole = math.exp(float(model.loss(model(X), Y).item()))
    assert math.isclose(d2l_recipes.carried_perplexity(model, characters), whole, rel_tol=1e-4)
    fresh = math.exp(sum(float(model.loss(model(X[:, k * t:(k + 1) * t]), Y[:, k * t:(k + 1) * t]).item())
                         for k in range(n)) / n)  # every minibatch from a zero state
    assert not math.isclose(fresh, whole, rel_tol=1e-4)  # so the check above can tell the two apart


def test_a_uniform_language_model_scores_the_vocabulary_size_both_ways():
    corpus = recipes().TimeMachine(64)
    model = recipes().RECIPES["LSTM"].build(len(corpus.vocab))
    corpus.num_val = 256
    model(next(iter(corpus.val_dataloader()))[0])  # the output layer's shape is inferred on a first pass
    model.linear.weight.set_data(model.linear.weight.data() * 0)  # every character equally likely
    assert math.isclose(recipes().window_perplexity(model, corpus.val_dataloader()), len(corpus.vocab),
                        rel_tol=1e-5)
    characters = corpus.build(corpus._download(), corpus.vocab)[0][:3000]
    assert math.isclose(recipes().carried_perplexity(model, characters), len(corpus.vocab), rel_tol=1e-5)


def test_classifier_recipe_on_a_few_examples():
    found = recipes().run(recipes().RECIPES["softmax regression"], num_train=512, max_epochs=1)
    assert found["epochs"] == 1 and found["book_results"] == ["softmax_scratch_test_acc", "softmax_concise_test_acc"]
    assert 0.3 < found["test_accuracy"] < 0.9  # learned something from 512 images, far from a full run
    assert found["examples_per_second"] == pytest.approx(512 / found["seconds"])


def test_language_model_recipe_on_both_splits():
    found = recipes().run(recipes().RECIPES["GRU"], num_train=1024, max_epochs=1)
    for split in ("d2l_split", "book_split"):
        assert found[split]["epochs"] == 1 and found[split]["training_windows"] == 1024
        assert 5 < found[split]["validation_perplexity"] < 40  # one epoch of one minibatch: barely trained
    with pytest.raises(ValueError, match="max_epochs"):
        recipes().run(recipes().RECIPES["GRU"], max_epochs=-1)


@pytest.mark.parametrize("name", list(recipes().CNNS))
def test_modern_cnns_classify_at_d2l_resolution(name):
    cnn = recipes().CNNS[name]
    net = cnn.build()
    net.initialize()
    from mxnet import np

    assert net(np.zeros((2, 1, cnn.resize, cnn.resize))).shape == (2, 10)


def test_extrapolation_arithmetic():
    from mxnet.gluon import nn

    tiny = recipes().Extrapolated("tiny", "0.0", "vgg_test_acc", 28, 0.1,
                                    lambda: recipes().sequential(nn.Dense(10)), batch_size=16)
    found = recipes().extrapolate(tiny, batches=2)
    assert found["batches_timed"] == 2
    assert found["extrapolated_epoch_seconds"] == pytest.approx(found["seconds_per_batch"] * 3750)
    assert found["extrapolated_training_seconds"] == pytest.approx(10 * found["extrapolated_epoch_seconds"])
