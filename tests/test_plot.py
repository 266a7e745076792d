import numpy
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle
from mxnet import np

from d2lhelpers import figures, plot


def test_plot_draws_one_line_per_curve(shown):
    x = numpy.linspace(0, 1, 5)
    assert plot.plot(x, [x, x ** 2], xlabel="x", legend=["x", "x^2"]) is None  # displayed, not returned
    axes = shown[-1].axes[0]
    assert len(axes.lines) == 2 and axes.get_xlabel() == "x"
    assert (axes.lines[1].get_ydata() == x ** 2).all()
    plot.plot(np.arange(4))
    assert len(shown) == 2 and len(shown[-1].axes[0].lines) == 1  # MXNet arrays and implicit x


def test_plot_into_given_axes_displays_nothing(shown):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    plot.plot([0, 1], [[1, 2], [3, 4]], axes=ax)
    assert len(ax.lines) == 2 and shown == []


def test_plot_rejects_mismatched_input():
    with pytest.raises(ValueError, match="curve 0"):
        plot.plot([0, 1, 2], [1, 2])
    with pytest.raises(ValueError, match="legend"):
        plot.plot([0, 1], [[1, 2], [3, 4]], legend=["only one"])
    with pytest.raises(ValueError, match="one x sequence"):
        plot.plot([[0, 1], [0, 1]], [[1, 2], [3, 4], [5, 6]])


def test_show_images_grid_and_titles(shown):
    images = np.zeros((3, 1, 28, 28))
    assert plot.show_images(images, 2, 2, titles=["a", "b", "c"]) is None
    axes = shown[-1].axes
    assert len(axes) == 4 and axes[2].get_title() == "c" and not axes[3].images


@pytest.mark.parametrize("images, titles, match", [
    (numpy.zeros((5, 4, 4)), None, "1 to num_rows"),
    (numpy.zeros((2, 3, 4, 4)), None, "2-D"),
    (numpy.zeros((2, 4, 4)), ["one"], "titles"),
])
def test_show_images_rejects_bad_input(images, titles, match):
    with pytest.raises(ValueError, match=match):
        plot.show_images(images, 2, 2, titles=titles)


def test_training_plot_draws_integer_epochs_and_any_series():
    board = plot.TrainingPlot(num_epochs=4, series=("train ppl", "valid ppl"))
    board.epoch_end(1, {"train ppl": 9.0, "valid ppl": 10.0, "seconds": 1.0})
    board.epoch_end(2, {"train ppl": 7.0, "valid ppl": 8.5, "seconds": 1.0})
    (ax,) = board.axes
    assert [line.get_label() for line in ax.lines] == ["train ppl", "valid ppl"]
    assert list(ax.lines[1].get_ydata()) == [10.0, 8.5]
    ticks = ax.xaxis.get_major_locator().tick_values(1, 4)
    assert all(float(t).is_integer() for t in ticks)
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "perplexity"
    halves = plot.TrainingPlot(num_epochs=8, series=("val acc",), xlabel="half epoch")
    halves.epoch_end(1, {"val acc": 0.5})
    assert halves.axes[0].get_xlabel() == "half epoch"
    with pytest.raises(ValueError, match="valid ppl"):
        board.epoch_end(3, {"train ppl": 6.0})
    with pytest.raises(ValueError, match="num_epochs"):
        plot.TrainingPlot(num_epochs=0)


def test_training_plot_puts_losses_and_accuracies_on_separate_labelled_axes():
    """A loss and an accuracy never share a y axis; each series keeps its format whichever panel it is in."""
    board = plot.TrainingPlot(num_epochs=3, series=("train loss", "train acc", "test acc", "val loss"))
    board.epoch_end(1, {"train loss": 2.0, "train acc": 0.3, "test acc": 0.25, "val loss": 2.2})
    loss_ax, acc_ax = board.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train loss", "val loss"]
    assert [line.get_label() for line in acc_ax.lines] == ["train acc", "test acc"]
    assert (loss_ax.get_ylabel(), acc_ax.get_ylabel()) == ("loss", "accuracy")
    styles = {line.get_label(): (line.get_linestyle(), line.get_color()) for ax in board.axes for line in ax.lines}
    assert len(set(styles.values())) == 4  # four series, four formats
    assert styles["train acc"] == ("--", "m")  # the second series' format, as when all shared one axis
    board.epoch_end(2, {"train loss": 1.0, "train acc": 0.6, "test acc": 0.5, "val loss": 1.4})
    assert len(loss_ax.lines) == 2 and list(acc_ax.lines[1].get_ydata()) == [0.25, 0.5]  # redrawn, not added


def test_training_plot_in_jupyter_displays_once_then_updates(monkeypatch):
    """In a notebook the figure is displayed once and updated in place: one figure stays in the output."""
    calls = []

    class Handle:
        def update(self, fig):
            calls.append(("update", fig))

    def display(fig, display_id=False):
        calls.append(("display", fig))
        return Handle()

    import IPython.display
    monkeypatch.setattr(plot, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", display)
    board = plot.TrainingPlot(num_epochs=3)
    for epoch in (1, 2, 3):
        board.epoch_end(epoch, {"train loss": 1 / epoch, "train acc": 0.5, "test acc": 0.4})
    assert [kind for kind, _ in calls] == ["display", "update", "update"]
    assert all(fig is board.fig for _, fig in calls)


def test_show_can_draw_text_as_paths(monkeypatch):
    import IPython.display
    import matplotlib

    seen = []
    monkeypatch.setattr(plot, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda fig: seen.append(matplotlib.rcParams["svg.fonttype"]))
    fig = Figure()
    plot.show(fig)
    plot.show(fig, text_as_paths=True)
    assert seen == ["none", "path"]  # text kept as text by default, outlined on request
    assert matplotlib.rcParams["svg.fonttype"] == "none"  # and only while that figure is displayed


def test_network_diagram_draws_every_neuron_and_edge(shown):
    assert figures.network_diagram([4, 5, 3], ["in", "hidden", "out"]) is None
    ax = shown[-1].axes[0]
    assert sum(isinstance(p, Circle) for p in ax.patches) == 12
    assert len([t for t in ax.texts if t.get_text().startswith("$")]) == 12
    assert sum(1 for t in ax.texts if getattr(t, "arrow_patch", None) is not None) == 4 * 5 + 5 * 3


def test_network_diagram_rejects_bad_input():
    with pytest.raises(ValueError, match="layer_sizes"):
        figures.network_diagram([4], ["in"])
    with pytest.raises(ValueError, match="layer_names"):
        figures.network_diagram([4, 3], ["in"])


def test_grid_diagram_draws_every_number_and_highlight(shown):
    X, K = numpy.arange(9).reshape(3, 3), numpy.arange(4).reshape(2, 2)
    Y = numpy.array([[19, 25], [37, 43]])
    figures.grid_diagram([("input", X), ("kernel", K), ("output", Y)], ["*", "="],
                         highlights=[(0, 0, 2, 2), (0, 0, 2, 2), (0, 0, 1, 1)])
    ax = shown[-1].axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert sum(t in {str(v) for v in range(9)} for t in texts) >= 9 + 4
    assert "43" in texts and "*" in texts and "=" in texts
    shaded = [p for p in ax.patches if p.get_facecolor()[:3] != (1.0, 1.0, 1.0)]
    assert len(ax.patches) == 9 + 4 + 4 and len(shaded) == 4 + 4 + 1


def test_grid_diagram_rejects_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        figures.grid_diagram([("x", numpy.zeros(3))], [])
    with pytest.raises(ValueError, match="operators"):
        figures.grid_diagram([("a", numpy.zeros((2, 2))), ("b", numpy.zeros((2, 2)))], [])
    with pytest.raises(ValueError, match="highlights"):
        figures.grid_diagram([("a", numpy.zeros((2, 2)))], [], highlights=[None, None])


def test_plot_keeps_autoscaling_for_later_curves():
    from matplotlib.figure import Figure

    axes = Figure().add_subplot()
    plot.plot([0, 1], [0, 1], axes=axes)
    axes.plot([0, 1], [0, 50])
    axes.autoscale_view()
    assert axes.get_ylim()[1] >= 50


def test_lstm_cell_draws_four_gates_and_five_elementwise_operations(shown):
    figures.lstm_cell()
    ax = shown[-1].axes[0]
    texts = [t.get_text() for t in ax.texts]
    gates = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() < 1]
    assert len(gates) == 4
    assert sum(isinstance(p, Circle) for p in ax.patches) == 5
    assert texts.count(r"$\sigma$") == 3 and texts.count("tanh") == 2
    assert texts.count(r"$\times$") == 3 and texts.count("$+$") == 1
    for name in ("$F_t$", "$I_t$", r"$\tilde{C}_t$", "$O_t$", "$C_{t-1}$", "$C_t$", "$H_{t-1}$", "$H_t$", "$X_t$"):
        assert name in texts


def test_show_confusion_writes_every_count(shown):
    counts = numpy.array([[5, 1], [0, 7]])
    assert plot.show_confusion(counts, ["cat", "dog"]) is None
    ax = shown[-1].axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["0", "1", "5", "7"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog"]
    with pytest.raises(ValueError, match="one row per name"):
        plot.show_confusion(counts, ["cat"])
