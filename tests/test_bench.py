"""The benchmark's logic (bench/): parsing, comparisons, reports, FLOP counting. Nothing here is timed.

No notebook is executed and no data set is read: notebooks are made with
nbformat, results are made up, and MXNet runs only a tiny model.
"""
import json
import math
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bench/ is a folder of the repository, not an installed package

from bench import chapters, d2l_loop, micro, report, run, threads  # noqa: E402
from d2lhelpers import expectations, timing  # noqa: E402

MIME = chapters.GLUE_MIME


def glue_output(name, text):
    scrapbook = {"name": name, "mime_prefix": "application/papermill.record/"}
    return nbformat.v4.new_output("display_data", data={MIME: text}, metadata={"scrapbook": scrapbook})


def notebook(*outputs):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("# Results of this run")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "a table"}), *outputs]
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter"), cell]
    return nb


# --- reading glued numbers ------------------------------------------------------------------------


def test_glued_values_from_a_notebook_and_its_json(tmp_path):
    nb = notebook(glue_output("lenet_modern_test_acc", "0.9098"), glue_output("lenet_classic_train_seconds", "41.5"))
    assert chapters.glued_values(nb) == {"lenet_modern_test_acc": 0.9098, "lenet_classic_train_seconds": 41.5}
    nbformat.write(nb, tmp_path / "04_cnn.ipynb")
    raw = json.loads((tmp_path / "04_cnn.ipynb").read_text())
    raw["cells"][1]["outputs"][1]["data"][MIME] = ["0.90", "98"]  # text may be stored as a list of lines
    assert chapters.glued_values(raw)["lenet_modern_test_acc"] == 0.9098


def test_glued_values_that_are_not_numbers_are_refused():
    with pytest.raises(ValueError, match="glued value 'x' is not a number: 'array"):
        chapters.glued_values(notebook(glue_output("x", "array([1, 2])")))


# --- comparisons ----------------------------------------------------------------------------------


def runs_of_every_kind():
    run = chapters.ChapterRun
    return {
        "01_basics": run("01_basics", chapters.EXECUTED, 80.0, {"softmax_scratch_test_acc": 0.845,
                                                                "softmax_concise_test_acc": 0.83,
                                                                "linreg_sgd_gap": 0.008}),
        "04_cnn": run("04_cnn", chapters.EXECUTED, 200.0, {"lenet_classic_test_acc": math.nan,
                                                           "lenet_shift_loss": 0.01,
                                                           "lenet_shift_loss_reference": 0.2,
                                                           "conv_max_difference": 1e-7}),
        "05_modern_cnn": run("05_modern_cnn", chapters.NOT_WRITTEN),
        "06_rnn_lstm": run("06_rnn_lstm", chapters.FAILED, 30.0, {}, "AssertionError: perplexity"),
        "07_playground": run("07_playground", chapters.NOT_RUN),
    }


def test_compare_results_every_status():
    checks = {c.name: c for c in chapters.compare_results(runs_of_every_kind())}
    assert list(checks) == list(expectations.EXPECTATIONS)
    status = {name: check.status for name, check in checks.items()}
    assert status["softmax_scratch_test_acc"] == "met"
    assert status["softmax_concise_test_acc"] == "not met"
    assert status["linreg_sgd_gap"] == "met"
    assert status["mlp_scratch_test_acc"] == "missing"  # executed, but glued no such number
    assert status["lenet_classic_test_acc"] == "not met"  # NaN
    assert status["lenet_shift_loss"] == "met"  # a relative bound, checked against the glued reference
    assert status["resnet_test_acc"] == "not written"
    assert status["lstm_concise_val_ppl"] == "missing"  # the chapter failed before gluing it
    assert status["playground_spiral_deep_test_acc"] == "not run"
    assert status["dropout_scratch_test_acc"] == "not run"  # a chapter absent from the runs
    softmax = checks["softmax_scratch_test_acc"]
    assert (softmax.value, softmax.expected, softmax.chapter) == (0.845, ">= 0.84", "01_basics")


def test_compare_times_and_book_total():
    times = {c.chapter: c for c in chapters.compare_times(runs_of_every_kind())}
    assert list(times) == list(expectations.CHAPTER_SECONDS)
    assert (times["01_basics"].status, times["01_basics"].budget) == ("within budget", 120)
    assert (times["04_cnn"].status, times["04_cnn"].seconds) == ("over budget", 200.0)
    assert times["05_modern_cnn"].status == "not written"
    assert times["06_rnn_lstm"].status == "failed"
    assert times["00_introduction"].status == "not run"
    book = chapters.book_time(runs_of_every_kind())
    assert book["seconds"] == 280.0 and book["chapters_timed"] == 2 and not book["complete"]
    assert book["status"] == "within budget" and book["budget"] == 1500


def test_run_all_executes_only_written_chosen_chapters(tmp_path, monkeypatch):
    for stem in ("01_basics", "04_cnn"):
        nbformat.write(notebook(), tmp_path / f"{stem}.ipynb")
    executed = []

    def fake_execute(path, work_dir, cwd, progress):
        executed.append((path.name, work_dir, cwd))
        return chapters.ChapterRun(path.stem, chapters.EXECUTED, 1.0)

    monkeypatch.setattr(chapters, "execute", fake_execute)
    runs = chapters.run_all(tmp_path, tmp_path / "work", only=["04_cnn"], progress=lambda message: None)
    assert executed == [("04_cnn.ipynb", tmp_path / "work", tmp_path)]
    assert runs["01_basics"].status == "not run" and runs["05_modern_cnn"].status == "not written"
    runs = chapters.run_all(tmp_path, tmp_path / "work", progress=lambda message: None)
    assert [name for name, *_ in executed[1:]] == ["01_basics.ipynb", "04_cnn.ipynb"]
    nbformat.write(notebook(), tmp_path / "99_unplanned.ipynb")
    with pytest.raises(ValueError, match="no time budget .* for 99_unplanned"):
        chapters.run_all(tmp_path, tmp_path / "work")


def test_cell_progress_reports_at_most_every_so_often():
    lines = []
    hook = chapters.cell_progress("04_cnn", 40, lines.append, every=0)
    hook(cell_index=2, cell=None, execute_reply=None)
    assert lines and lines[0].startswith("chapter 04_cnn: cell 3 of 40 done (")
    quiet = chapters.cell_progress("04_cnn", 40, lines.append, every=3600)
    quiet(cell_index=5)
    assert len(lines) == 1


# --- timing and the micro-benchmark's arithmetic --------------------------------------------------


def test_alternating_rounds_run_in_order_after_a_warm_up():
    calls, rounds = [], []
    times = timing.alternating({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3,
                               on_round=rounds.append)
    assert calls == ["a", "b"] * 4 and rounds == [1, 2, 3]
    assert set(times) == {"a", "b"} and all(len(t) == 3 for t in times.values())
    with pytest.raises(ValueError, match="rounds must be a positive int"):
        timing.alternating({"a": lambda: None}, 0)
    with pytest.raises(ValueError, match="at least one timing"):
        timing.median([])


def test_micro_result_ratios_and_summary():
    result = micro.MicroResult("LeNet", "a LeNet", 256, 1000, 2_000_000,
                               {"feed": [0.1, 0.1, 0.1], "bare": [1.0, 2.0, 1.0], "book": [1.1, 1.0, 1.2],
                                "d2l": [2.2, 2.4, 2.0]})
    assert result.examples_per_second("bare") == 1000
    assert result.ratio("book", "bare") == pytest.approx(1.0 / 1.1)
    summary = result.to_dict(gemm_gflops=12.0)
    assert summary["book_over_d2l"] == pytest.approx(2.2 / 1.1)
    assert summary["feed_share_of_bare"] == pytest.approx(0.1)
    assert summary["gflops"]["bare"] == pytest.approx(6.0)  # 3 * 2 MFLOPs * 1000 examples/s
    assert summary["fraction_of_gemm_peak"]["bare"] == pytest.approx(0.5)
    assert "feed" not in summary["examples_per_second"]
    with pytest.raises(ValueError, match="variant must be one of"):
        result.median_seconds("fast")


def test_d2l_loader_reads_the_verified_files(monkeypatch):
    asked = []
    monkeypatch.setattr(d2l_loop.data, "fetch", lambda name: asked.append(name) or Path("/verified") / name)
    original = d2l_loop.datasets.download
    with d2l_loop.gluon_reads_verified_files():
        path = d2l_loop.datasets.download("https://host/gluon/dataset/fashion-mnist/train-labels-idx1-ubyte.gz",
                                          path="/root/.mxnet", sha1_hash="0" * 40)
    assert asked == ["fashion-mnist/train-labels-idx1-ubyte.gz"]
    assert path == "/verified/fashion-mnist/train-labels-idx1-ubyte.gz"
    assert d2l_loop.datasets.download is original


# --- the thread policy ----------------------------------------------------------------------------


def test_thread_settings_and_their_environment():
    assert [s.label for s in threads.settings(1)] == ["1 thread"]
    two = threads.settings(2)
    assert [s.label for s in two] == ["1 thread", "2 threads", "2 threads, GOMP_SPINCOUNT=0",
                                      "2 threads, OMP_WAIT_POLICY=PASSIVE"]
    assert two[2].wait_variables == {"GOMP_SPINCOUNT": "0"}
    env = threads.probe_environment({"PATH": "/bin", "OMP_NUM_THREADS": "7", "GOMP_SPINCOUNT": "9"}, two[1])
    assert env == {"PATH": "/bin", "OMP_NUM_THREADS": "2"}
    with pytest.raises(ValueError, match="cpus must be a positive int"):
        threads.settings(0)


def test_probe_output_parsing():
    noise = 'warning: something\n{"examples_per_second": 10.0}\n[ignored]\n{"examples_per_second": 4512.5, "x": 1}\n'
    assert threads.parse_probe_output(noise) == 4512.5
    with pytest.raises(ValueError, match="no JSON line with examples_per_second"):
        threads.parse_probe_output("Traceback (most recent call last):\n  ...\n")


def test_busy_process_is_stopped_when_the_block_ends():
    with threads.busy_process(60) as busy:
        assert busy.poll() is None
    assert busy.returncode is not None
    with pytest.raises(ValueError, match="max_seconds must be positive"), threads.busy_process(0):
        pass


def test_thread_verdict():
    medians = {("1 thread", "idle"): 3600, ("2 threads", "idle"): 4500, ("1 thread", "busy"): 3200,
               ("2 threads", "busy"): 900}
    lines = threads.verdict(medians)
    assert lines[0] == "idle: fastest is 2 threads at 4,500 examples/s; relative to it: 1 thread 80%."
    assert lines[1] == "busy: fastest is 1 thread at 3,200 examples/s; relative to it: 2 threads 28%."
    assert lines[2] == "most robust: 1 thread, at worst 80% of the fastest setting, idle or busy."
    assert "2 threads: busy keeps 20% of its idle speed." in lines
    assert threads.verdict({}) == []


# --- the report -----------------------------------------------------------------------------------


def made_up_results():
    runs = runs_of_every_kind()
    micro_result = micro.MicroResult("MLP", "an MLP", 256, 1000, 400_000,
                                     {"feed": [0.01], "bare": [0.1], "book": [0.125], "d2l": [0.25]})
    thread_runs = [{"setting": "1 thread", "env": {"OMP_NUM_THREADS": "1"}, "load": "idle",
                    "examples_per_second": [3600.0], "median": 3600.0, "errors": []},
                   {"setting": "2 threads", "env": {"OMP_NUM_THREADS": "2"}, "load": "busy",
                    "examples_per_second": [], "median": None, "errors": ["timed out"]}]
    return {
        "date": "2026-11-27T10:00:00+00:00", "parts": ["chapters", "micro", "threads"],
        "machine": {"cpu": "a CPU", "logical_cpus": 2}, "versions": {"python": "3.11.7", "mxnet": "1.9.1"},
        "settings": {"rounds": 5},
        "chapters": {"runs": [vars(r) for r in runs.values()],
                     "times": [vars(c) for c in chapters.compare_times(runs)],
                     "book": chapters.book_time(runs),
                     "results": [vars(c) for c in chapters.compare_results(runs)], "seed": "each chapter's default"},
        "micro": {"gemm": {"n": 64, "repeats": 1, "all_gflops": {"np.dot": [10.0], "npx.fully_connected": [40.0]},
                           "median_gflops": {"np.dot": 10.0, "npx.fully_connected": 40.0},
                           "path": "npx.fully_connected", "gflops": 40.0},
                  "models": [micro_result.to_dict(40.0)]},
        "threads": {"batches": 2, "repeats": 1, "runs": thread_runs, "verdict": ["idle: fastest is 1 thread."]},
        "notes": ["a note on the method"],
    }


def test_report_rows():
    rows = {r.what: r for r in report.rows(made_up_results())}
    assert rows["chapter 01_basics"].value == "80.0 s" and rows["chapter 01_basics"].expected == "<= 120 s"
    assert rows["chapter 06_rnn_lstm"].verdict == "failed: AssertionError: perplexity"
    assert rows["whole book (2 of 8 chapters)"].verdict == "within budget (incomplete)"
    softmax = rows["ch. 1 softmax regression, from scratch"]
    assert (softmax.value, softmax.expected, softmax.verdict) == ("0.845", ">= 0.84", "met")
    assert rows["ch. 5 ResNet-style"].value == "-" and rows["ch. 5 ResNet-style"].verdict == "not written"
    assert "chapter 07_playground" not in rows and "ch. 7 spiral, two hidden layers of 8 tanh units" not in rows
    assert "chapter 00_introduction" not in rows  # left out of the run: no row
    loop = rows["MLP: book loop / bare loop, examples/s"]
    assert (loop.value, loop.expected, loop.verdict) == ("0.80 (8,000 / 10,000)", ">= 0.90", "not met")
    assert rows["MLP: book loop / d2l's loop and loader, examples/s"].value == "2.00 (8,000 / 4,000)"
    assert rows["MLP: training GFLOP/s, book loop"].value == "9.6 = 24.0% of GEMM peak"
    assert rows["MLP: feeding the data, share of a bare epoch"].value == "10.0%"
    assert rows["float32 peak, 64x64 matrices, npx.fully_connected"].verdict == "the peak"
    assert rows["LeNet epoch, 1 thread, idle"].value == "3,600 examples/s"
    assert rows["LeNet epoch, 2 threads, busy"].verdict == "failed 1 of 1 runs"
    problems = report.shortfalls(made_up_results())
    assert "chapter 04_cnn: over budget" in problems and "MLP: book loop / bare loop, examples/s: not met" in problems
    assert "LeNet epoch, 2 threads, busy: failed 1 of 1 runs" in problems
    assert not any("not written" in p or "not run" in p for p in problems)


def test_text_table_is_aligned_and_cuts_long_cells():
    table = report.text_table([report.Row("time", "x" * 100, "1.0 s"),
                               report.Row("result", "y", "0.9", ">= 0.8", "met")])
    lines = table.splitlines()
    assert lines[0].split() == list(report.HEADER[:2]) + ["this", "run", "expected", "verdict"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert "x" * 67 + "..." in lines[2] and lines[3].index("0.9") == lines[2].index("1.0 s")


def test_markdown_and_json_files(tmp_path):
    results = made_up_results()
    md, js = report.write(results, tmp_path / "out")
    assert json.loads(js.read_text()) == json.loads(json.dumps(results))
    text = md.read_text()
    assert text.startswith("# Benchmark results\n")
    for expected in ("| part | what | this run | expected | verdict |",
                     "| result | ch. 1 softmax regression, from scratch | 0.845 | >= 0.84 | met |",
                     "| 06_rnn_lstm | failed | 30.0 | 300 | - | AssertionError: perplexity |",
                     "| 1 | softmax regression, Gluon | softmax_concise_test_acc | 0.830 | >= 0.84 | not met |",
                     "| MLP | book | 8,000 | 0.125 | 0.125 | 9.60 | 24.0% |",
                     "| 2 threads | busy | - |  | timed out |",
                     "* idle: fastest is 1 thread.", "## How it was measured", "* a note on the method"):
        assert expected in text, expected


def test_results_that_cannot_be_written_leave_the_previous_files(tmp_path):
    out = tmp_path / "out"
    report.write(made_up_results(), out)
    before = {p.name: p.read_text() for p in out.iterdir()}
    broken = made_up_results()
    broken["settings"] = {"rounds": object()}  # renders in Markdown, but JSON cannot hold it
    with pytest.raises(TypeError):
        report.write(broken, out)
    assert {p.name: p.read_text() for p in out.iterdir()} == before


def test_glued_values_without_a_bound_are_listed():
    results = made_up_results()
    results["chapters"]["runs"][0]["values"]["gru_val_ppl"] = 4.128
    assert "| 01_basics | gru_val_ppl | 4.128 |" in report.markdown(results)


def test_format_value():
    assert report.format_value("test accuracy", 0.84512) == "0.845"
    assert report.format_value("largest relative error", 3.2e-7) == "3.2e-07"
    assert report.format_value("test accuracy", None) == "-"


# --- the command line -----------------------------------------------------------------------------


def test_parts_and_quick_mode(monkeypatch):
    assert run.parse_parts("threads, micro") == ("micro", "threads")
    with pytest.raises(ValueError, match="parts must be a comma-separated list"):
        run.parse_parts("micro,gpu")
    monkeypatch.delenv("QUICK", raising=False)
    assert run.arguments([]).parts == run.PARTS and run.is_full_run(run.arguments([]))
    assert run.arguments(["--quick"]).parts == ("micro",)
    assert not run.is_full_run(run.arguments(["--quick"]))
    assert not run.is_full_run(run.arguments(["--batches", "2"]))
    monkeypatch.setenv("QUICK", "1")
    assert run.arguments([]).parts == ("micro",)
    assert not run.quick_from_env({"QUICK": "0"}) and not run.quick_from_env({})
    monkeypatch.delenv("QUICK")
    for bad in (["--rounds", "0"], ["--chapters", "04_cnn", "4_cnn"], ["--parts", "gpu"]):
        with pytest.raises(SystemExit):
            run.arguments(bad)
    assert run.arguments(["--chapters", "04_cnn"]).chapters == ["04_cnn"]


def test_median_seconds_warms_up_then_takes_the_median(monkeypatch):
    calls = []
    monkeypatch.setattr(timing, "seconds", lambda fn: calls.append(fn) or [9.0, 1.0, 3.0, 2.0][len(calls) - 1])
    assert timing.median_seconds(lambda: None, repeats=3) == 2.0  # the warm-up's 9.0 is left out
    assert len(calls) == 4
    with pytest.raises(ValueError, match="repeats"):
        timing.median_seconds(lambda: None, repeats=0)
    with pytest.raises(ValueError, match="warmup"):
        timing.median_seconds(lambda: None, warmup=-1)


def test_a_relative_result_without_its_reference_is_missing():
    runs = {"04_cnn": chapters.ChapterRun("04_cnn", chapters.EXECUTED, 1.0, {"lenet_shift_loss": 0.5,
                                                                             "lenet_shift_loss_reference": 0.2})}
    status = {c.name: c.status for c in chapters.compare_results(runs)}
    assert status["lenet_shift_loss"] == "not met"  # 0.5 is not below 1 x 0.2
    del runs["04_cnn"].values["lenet_shift_loss_reference"]
    status = {c.name: c.status for c in chapters.compare_results(runs)}
    assert status["lenet_shift_loss"] == "missing"
