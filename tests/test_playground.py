"""The playground of chapter 7: data, features, model, training through train.Loop, pictures, controls."""
import asyncio
import io
import math

import numpy
import PIL.Image
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from d2lhelpers import playground as P
from d2lhelpers import train

TINY = dict(num_points=80, batch_size=10)


def rng(seed=0):
    return numpy.random.default_rng(seed)


# --- data ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", P.DATASETS)
def test_points_have_the_right_shape_and_balanced_labels(name):
    points, labels = P.make_points(name, 101, 0.0, rng())
    assert points.shape == (101, 2) and labels.shape == (101,)
    assert set(numpy.unique(labels)) == {0.0, 1.0}
    assert labels.sum() == 50  # half, and label 0 takes the odd point
    assert numpy.abs(points).max() <= P.EXTENT


def test_labels_follow_each_data_set_rule_without_noise():
    points, labels = P.make_points("circle", 400, 0.0, rng())
    radius = numpy.hypot(points[:, 0], points[:, 1])
    assert (radius[labels == 1] <= 2.5 + 1e-5).all() and (radius[labels == 0] >= 3.5 - 1e-5).all()
    points, labels = P.make_points("xor", 400, 0.0, rng())
    assert ((points[:, 0] * points[:, 1] > 0) == (labels == 1)).all()
    assert numpy.abs(points).min() >= 0.3 - 1e-6
    points, labels = P.make_points("gauss", 400, 0.0, rng())
    assert (points[labels == 1].mean(axis=0) > 1.5).all() and (points[labels == 0].mean(axis=0) < -1.5).all()
    points, labels = P.make_points("spiral", 400, 0.0, rng())
    assert numpy.allclose(points[labels == 1].mean(axis=0), 0, atol=1.0)  # arms wind around the origin
    assert numpy.hypot(points[:, 0], points[:, 1]).max() <= 5 + 1e-5


def test_noise_moves_points_and_grows_the_overlap():
    clean, labels = P.make_points("circle", 400, 0.0, rng(1))
    noisy, noisy_labels = P.make_points("circle", 400, 0.5, rng(1))
    assert not numpy.allclose(clean, noisy)
    inside = lambda p, y: ((numpy.hypot(p[:, 0], p[:, 1]) < 3) == (y == 1)).mean()  # noqa: E731
    assert inside(clean, labels) == 1.0 and inside(noisy, noisy_labels) < 0.9


@pytest.mark.parametrize("name", P.DATASETS)
def test_no_training_point_is_also_a_test_point(name):
    for noise in (0.0, 0.2):
        points, labels = P.make_split(P.Config(dataset=name, noise=noise), seed=3)
        train_set = {tuple(p) for p in points["train"]}
        assert len(train_set) == 250 and not train_set & {tuple(p) for p in points["test"]}
        assert labels["train"].sum() == 125 and labels["test"].sum() == 125


def test_noise_scale_depends_on_the_data_set():
    """Offsets of standard deviation noise * NOISE_SCALE: 3 for the Gaussian clouds, 1 for the spiral."""
    points, labels = P.make_points("gauss", 2000, 0.5, rng(5))
    assert 1.7 < points[labels == 1].std(axis=0).mean() < 1.9  # sqrt(1 + (3 * 0.5)^2) = 1.80
    clean, clean_labels = P.make_points("spiral", 2000, 0.0, rng(5))
    noisy, noisy_labels = P.make_points("spiral", 2000, 0.5, rng(6))
    arm = clean[clean_labels == 1]
    nearest = numpy.sqrt(((noisy[noisy_labels == 1][:, None, :] - arm[None]) ** 2).sum(-1)).min(axis=1)
    assert 0.3 < nearest.mean() < 0.55  # offsets of about 0.5 per coordinate, not 2 as with the circle's scale


def test_data_is_reproducible_from_the_seed():
    a = P.make_points("spiral", 50, 0.2, rng(3))
    b = P.make_points("spiral", 50, 0.2, rng(3))
    c = P.make_points("spiral", 50, 0.2, rng(4))
    assert numpy.array_equal(a[0], b[0]) and numpy.array_equal(a[1], b[1])
    assert not numpy.array_equal(a[0], c[0])
    config = P.Config(dataset="gauss", noise=0.1, **TINY)
    first, second = P.make_split(config, 5), P.make_split(config, 5)
    assert all(numpy.array_equal(first[0][k], second[0][k]) for k in ("train", "test"))
    assert first[0]["train"].shape == (40, 2) and first[1]["test"].sum() == 20


@pytest.mark.parametrize("name, args, message", [
    ("dataset", ("moons", 10, 0.0), "dataset must be one of circle, xor, gauss, spiral"),
    ("noise", ("xor", 10, 0.7), r"noise must be a number in \[0, 0.5\]"),
    ("noise", ("xor", 10, -0.1), "noise must be"),
    ("num_points", ("xor", 1, 0.0), "num_points must be an int of at least 2"),
])
def test_make_points_rejects_bad_arguments(name, args, message):
    with pytest.raises(ValueError, match=message):
        P.make_points(*args, rng())


# --- features ---------------------------------------------------------------------------------------

def test_feature_columns_equal_their_formulas():
    points = numpy.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -1.5]], dtype=numpy.float32)
    x1, x2 = points[:, 0], points[:, 1]
    expected = {"x1": x1, "x2": x2, "x1^2": x1 ** 2, "x2^2": x2 ** 2, "x1*x2": x1 * x2,
                "sin(x1)": numpy.sin(x1), "sin(x2)": numpy.sin(x2)}
    table = P.features(points, tuple(expected))
    assert table.shape == (3, 7)
    for j, column in enumerate(expected.values()):
        assert numpy.allclose(table[:, j], column)
    assert numpy.allclose(P.features(points, ("x1*x2", "x1")), numpy.stack([x1 * x2, x1], axis=1))


@pytest.mark.parametrize("names", [("x3",), (), ("x1", "x1"), "x1"])
def test_unknown_or_repeated_features_are_rejected(names):
    with pytest.raises(ValueError, match="features must"):
        P.features(numpy.zeros((2, 2)), names)


def test_regression_targets_follow_the_original_formulas():
    points = numpy.array([[1.0, 2.0], [-6.0, -6.0], [-4.0, 2.5], [0.0, 2.5], [4.0, -1.5], [-2.0, 0.0]])
    assert numpy.allclose(P.regression_target("plane", points)[:2], [0.3, -1.2])
    # at a bump's center its sign; 2 from the center (and from every other bump) zero; linear in between
    assert numpy.allclose(P.regression_target("multigauss", points)[2:], [1.0, -1.0, -0.5, 0.0])
    xy, values = P.make_points("multigauss", 400, 0.0, rng())
    assert xy.shape == (400, 2) and numpy.abs(xy).max() <= 6 and -1 <= values.min() < 0 < values.max() <= 1
    assert numpy.allclose(values, P.regression_target("multigauss", xy), atol=1e-6)  # no noise: exact targets
    with pytest.raises(ValueError, match="name must be one of plane, multigauss"):
        P.regression_target("circle", points)


def test_regression_trains_on_half_the_squared_error_and_has_no_accuracy():
    pg = P.Playground(P.Config(dataset="plane", hidden=(), lr=0.01, **TINY), seed=3)
    assert pg.config.problem == "regression" and P.Config().problem == "classification"
    assert pg.points["train"].shape == (40, 2) and pg.points["test"].shape == (40, 2)
    scores = pg.scores(pg.points["test"])
    assert math.isclose(pg.evaluate()["test loss"], 0.5 * ((scores - pg.labels["test"]) ** 2).mean(), rel_tol=1e-5)
    first = pg.evaluate()["test loss"]
    record = pg.train(20)[-1]
    assert set(record) == {"epoch", "train loss", "test loss"}
    assert record["test loss"] < 0.05 * first  # a plane is a linear model's exact fit
    with pytest.raises(ValueError, match="accuracy needs a classification data set"):
        pg.accuracy()


def test_evaluate_scores_each_part_on_its_own_points():
    pg = P.Playground(P.Config(noise=0.3, **TINY), seed=5)
    pg.train(3)
    record = pg.evaluate()
    for part in ("train", "test"):
        scores, labels = pg.scores(pg.points[part]), pg.labels[part]
        logistic = numpy.logaddexp(0, scores) - labels * scores  # -log sigmoid of the signed score
        assert math.isclose(record[f"{part} loss"], logistic.mean(), rel_tol=1e-5)
        assert math.isclose(record[f"{part} acc"], ((scores > 0) == (labels > 0.5)).mean(), rel_tol=1e-6)
    assert record["train loss"] != record["test loss"]  # two different sets of points


def test_an_epochs_minibatches_use_every_training_point_once():
    pg = P.Playground(P.Config(**{**TINY, "batch_size": 7}), seed=4)
    batches = list(pg.batches())
    assert [X.shape[0] for X, _ in batches] == [7] * 5 + [5]  # 40 training points
    X = numpy.concatenate([X.asnumpy() for X, _ in batches])
    y = numpy.concatenate([y.asnumpy() for _, y in batches])
    order = numpy.lexsort(X.T)
    expected = numpy.lexsort(pg.points["train"].T)
    assert numpy.allclose(X[order], pg.points["train"][expected]) and numpy.array_equal(
        y[order], pg.labels["train"][expected])
    assert not numpy.allclose(X, pg.points["train"])  # in a new random order


def test_adjust_changes_training_settings_without_starting_again():
    pg = P.Playground(P.Config(**TINY), seed=1)
    pg.train(2)
    weights = pg.weights()
    pg.adjust(lr=0.5, regularization="L2", reg_rate=0.1, batch_size=20)
    assert pg.epochs == 2 and all(numpy.array_equal(a, b) for a, b in zip(weights, pg.weights(), strict=True))
    assert pg.loop.updater.learning_rate == 0.5 and pg.config.reg_rate == 0.1
    assert next(pg.batches())[0].shape[0] == 20
    with pytest.raises(ValueError, match=r"adjust\(\) can change lr.*for dataset, hidden use reset"):
        pg.adjust(hidden=(3,), dataset="xor")
    with pytest.raises(ValueError, match="lr"):
        pg.adjust(lr=-1)
    assert pg.config.lr == 0.5  # a rejected change leaves the setting as it was


def test_an_adjusted_rate_is_the_rate_the_updates_use():
    adjusted = P.Playground(P.Config(lr=0.03, **TINY), seed=2)
    adjusted.adjust(lr=0.7)
    direct = P.Playground(P.Config(lr=0.7, **TINY), seed=2)
    unchanged = P.Playground(P.Config(lr=0.03, **TINY), seed=2)
    for run in (adjusted, direct, unchanged):
        run.train(2)
    assert all(numpy.allclose(a, b, atol=1e-6) for a, b in zip(adjusted.weights(), direct.weights(), strict=True))
    assert not numpy.allclose(adjusted.weights()[0], unchanged.weights()[0], atol=1e-3)


# --- configuration and model ----------------------------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    (dict(dataset="moons"), "dataset must be one of"),
    (dict(noise=0.6), "noise must be a number in"),
    (dict(features=("x1", "cos(x1)")), "features must name one or more of x1, x2"),
    (dict(hidden=(4,) * 7), "hidden must list 0 to 6 layer widths"),
    (dict(hidden=(65,)), "every layer must have 1 to 64 units"),
    (dict(hidden=(0,)), "every layer must have 1 to 64 units"),
    (dict(activation="softplus"), "activation must be one of relu, tanh, sigmoid, linear"),
    (dict(lr=0), r"lr \(the learning rate\) must be a positive number"),
    (dict(lr=-0.1), "lr"),
    (dict(lr=True), "lr"),
    (dict(reg_rate=True), "reg_rate"),
    (dict(regularization="L3"), "regularization must be one of none, L1, L2"),
    (dict(reg_rate=-1), "reg_rate must be a number >= 0"),
    (dict(batch_size=0), "batch_size must be a positive int"),
    (dict(train_fraction=1.0), "train_fraction must be strictly between 0 and 1"),
    (dict(train_fraction=0), "train_fraction"),
    (dict(num_points=4, train_fraction=0.1), "fewer than 2 training or test points"),
])
def test_config_rejects_bad_settings_naming_the_argument(changes, message):
    with pytest.raises(ValueError, match=message):
        P.Config(**changes)


def test_playground_without_numpy_mode_says_what_to_call():
    from mxnet import npx
    npx.reset_np()
    try:
        with pytest.raises(RuntimeError, match=r"npx.set_np\(\) first"):
            P.Playground(P.Config(**TINY))
    finally:
        npx.set_np()
    assert P.Playground(P.Config(**TINY)).epochs == 0


def test_code_may_go_wider_than_the_original_and_the_widgets_follow():
    pg = P.Playground(P.Config(hidden=(44,), **TINY))
    assert pg.net[0].weight.shape == (44, 2)
    ui = P.PlaygroundUI(P.Config(hidden=(44, 3), **TINY))
    assert [u.value for u in ui.units[:2]] == [44, 3]  # shown as it is, not clipped to the original's 8
    assert ui.units[0].max == 44 and ui.units[1].max == 8


def test_six_hidden_layers_as_in_the_original():
    pg = P.Playground(P.Config(hidden=(8,) * 6, **TINY))
    assert len(pg.net) == 7 and len(pg.unit_grids(4)) == 8


def test_build_net_shapes():
    net = P.build_net(3, (5, 2), "relu")
    net.initialize()
    from mxnet import np
    assert net(np.zeros((7, 3))).shape == (7, 1)
    assert [layer.weight.shape for layer in net] == [(5, 3), (2, 5), (1, 2)]
    assert len(P.build_net(2, (), "linear")) == 1
    with pytest.raises(ValueError, match="activation must be one of"):
        P.build_net(2, (3,), "gelu")


def test_penalties():
    pg = P.Playground(P.Config(hidden=(3,), **TINY))
    weights = pg.weights()
    l1 = sum(numpy.abs(w).sum() for w in weights)
    l2 = sum((w ** 2).sum() for w in weights)
    assert math.isclose(P.penalty(pg.net, "L1", 0.5).item(), 0.5 * l1, rel_tol=1e-5)
    assert math.isclose(P.penalty(pg.net, "L2", 0.5).item(), 0.25 * l2, rel_tol=1e-5)
    with pytest.raises(ValueError, match="kind must be 'L1' or 'L2'"):
        P.penalty(pg.net, "none", 1.0)


# --- training ---------------------------------------------------------------------------------------

def test_training_goes_through_the_shared_loop(monkeypatch):
    calls = []
    real_step = train.Loop.step
    monkeypatch.setattr(train.Loop, "step", lambda self, X, y: calls.append(X.shape[0]) or real_step(self, X, y))
    pg = P.Playground(P.Config(num_points=60, batch_size=8, train_fraction=0.5))
    assert isinstance(pg.loop, train.Loop)
    pg.epoch()
    assert calls == [8, 8, 8, 6]  # 30 training points in minibatches of 8
    pg.update()
    assert pg.epochs == 1 and pg.steps == 5
    record = pg.epoch()  # finishes the epoch under way
    assert pg.epochs == 2 and pg.steps == 8 and record["epoch"] == 2
    assert set(record) == {"epoch", "train loss", "test loss", "train acc", "test acc"}


def test_same_seed_same_run_other_seed_other_run():
    config = P.Config(dataset="circle", **TINY)
    runs = [P.Playground(config, seed=s).train(3) for s in (1, 1, 2)]
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_reset_starts_again_from_new_weights_on_the_same_data():
    pg = P.Playground(P.Config(**TINY))
    start, points = pg.weights(), pg.points["train"].copy()
    pg.train(2)
    assert not numpy.allclose(start[0], pg.weights()[0])
    pg.reset()
    assert pg.epochs == 0 and pg.history == [] and pg.start == 1
    assert not numpy.allclose(start[0], pg.weights()[0]) and numpy.array_equal(points, pg.points["train"])
    again = P.Playground(P.Config(**TINY), start=1)  # the same start gives the same weights
    assert all(numpy.array_equal(a, b) for a, b in zip(again.weights(), pg.weights(), strict=True))


def test_a_hidden_layer_learns_xor_and_a_linear_model_cannot():
    hidden = P.Playground(P.preset("xor hidden", num_points=200), seed=1)
    hidden.train(40)
    linear = P.Playground(P.preset("xor linear", num_points=200), seed=1)
    linear.train(40)
    product = P.Playground(P.preset("xor product", num_points=200), seed=1)
    product.train(200)  # full-batch steps: cheap
    assert hidden.accuracy() > 0.9
    assert linear.accuracy() < 0.65
    assert product.accuracy() > 0.95


def test_l1_drives_weights_to_zero_and_l2_shrinks_them():
    base = dict(dataset="gauss", features=tuple(P.FEATURES), hidden=(4,), lr=0.03, **TINY)
    norms = {}
    for kind, rate in (("none", 0.0), ("L1", 0.03), ("L2", 0.03)):
        pg = P.Playground(P.Config(regularization=kind, reg_rate=rate, **base), seed=2)
        pg.train(30)
        w = numpy.concatenate([w.ravel() for w in pg.weights()])
        norms[kind] = (numpy.abs(w).sum(), (numpy.abs(w) < 0.01).mean())
    assert norms["L1"][0] < norms["none"][0] and norms["L2"][0] < norms["none"][0]
    assert norms["L1"][1] > norms["none"][1]  # more weights (near) zero


@pytest.mark.parametrize("kind", ["L1", "L2"])
def test_one_regularized_step(kind):
    """One SGD step: w - eta * (gradient of the mean data loss + gradient of the penalty)."""
    from mxnet import autograd, gluon

    lr, rate = 0.1, 0.3
    pg = P.Playground(P.Config(hidden=(), regularization=kind, reg_rate=rate, lr=lr, **TINY), seed=4)
    X, y = next(pg.batches())
    before = pg.weights()[0]
    with autograd.record():  # the data loss alone (the loop's backward pass overwrites these gradients)
        data_loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()(pg.net(X), y).mean()
    data_loss.backward()
    grad = pg.net[0].weight.grad().asnumpy()
    pg.loop.step(X, y)
    shrink = rate * numpy.sign(before) if kind == "L1" else rate * before
    expected = before - lr * (grad + shrink)
    if kind == "L2":  # the weight decay form of chapter 2
        assert numpy.allclose(expected, before * (1 - lr * rate) - lr * grad, atol=1e-6)
    assert numpy.allclose(pg.weights()[0], expected, atol=1e-5)


def test_penalty_is_not_in_the_reported_loss():
    config = P.Config(regularization="L2", reg_rate=1.0, **TINY)
    pg = P.Playground(config)
    plain = P.Playground(P.Config(**TINY))
    assert pg.evaluate() == plain.evaluate()  # same weights, so the same data loss


# --- pictures -----------------------------------------------------------------------------------------

def test_unit_grids_and_scores_agree():
    pg = P.Playground(P.Config(features=("x1", "x2", "x1*x2"), hidden=(3, 2), **TINY))
    grids = pg.unit_grids(resolution=5)
    assert [g.shape for g in grids] == [(3, 5, 5), (3, 5, 5), (2, 5, 5), (1, 5, 5)]
    coords, points = P.grid(5)
    assert numpy.allclose(grids[0][0][0], coords) and numpy.allclose(grids[0][1][:, 0], coords)
    assert numpy.allclose(grids[-1][0].ravel(), pg.scores(points), atol=1e-5)


def test_network_drawing_has_one_line_per_weight_colored_by_sign():
    pg = P.Playground(P.Config(features=("x1", "x2", "x1*x2"), hidden=(3, 2), **TINY), seed=2)
    snap = pg.snapshot(resolution=4)
    fig = Figure()
    ax = fig.subplots()
    P.draw_network(ax, pg.config.features, snap)
    weights = numpy.concatenate([w.T.ravel() for w in snap.weights])  # drawn input by input within each output
    (lines,) = ax.collections  # the weights' lines, drawn as one collection
    assert len(lines.get_segments()) == 3 * 3 + 3 * 2 + 2 * 1 == weights.size
    pairs = zip(lines.get_linewidths(), lines.get_colors(), strict=True)
    drawn = sorted((round(float(w), 4), to_hex(c)) for w, c in pairs)
    largest = numpy.abs(weights).max()
    wanted = sorted((round(0.3 + 3 * abs(w) / largest, 4), to_hex(P.BLUE if w > 0 else P.ORANGE)) for w in weights)
    assert drawn == wanted  # width grows with the magnitude; blue positive, orange negative
    assert len(ax.images) == 3 + 3 + 2 + 1  # one picture per unit


def test_still_pictures_use_a_finer_boundary_grid():
    pg = P.Playground(P.Config(**TINY))
    fig = Figure()
    ax = fig.subplots()
    P.draw_boundary(ax, pg)
    assert ax.images[0].get_array().shape == (P.STILL_RESOLUTION, P.STILL_RESOLUTION)
    P.draw_boundary(ax, pg, pg.snapshot(), show_test=False)
    assert ax.images[0].get_array().shape == (48, 48)
    assert len(scatters(ax)) == 1  # training points only


def scatters(ax):
    """The point clouds among an axes' collections (the boundary line has no face color)."""
    return [c for c in ax.collections if len(c.get_facecolor())]


def test_a_black_line_marks_the_decision_boundary_for_classification_only():
    pg = P.Playground(P.Config(**TINY))  # zero biases and tanh: the score is odd in x, so it changes sign
    ax = Figure().subplots()
    P.draw_boundary(ax, pg)
    lines = [c for c in ax.collections if not len(c.get_facecolor())]
    assert len(lines) == 1 and len(scatters(ax)) == 2
    assert numpy.allclose(lines[0].get_edgecolor()[0][:3], 0)  # black
    for other in (dict(unit=(1, 0)), dict(discretize=True)):
        P.draw_boundary(ax, pg, **other)
        assert len(ax.collections) - len(scatters(ax)) == (1 if "discretize" in other else 0)
    regression = P.Playground(P.Config(dataset="plane", **TINY))
    P.draw_boundary(ax, regression)
    assert len(ax.collections) == len(scatters(ax)) == 2


def test_drawing_and_animation_frames_differ():
    pg = P.Playground(P.Config(dataset="xor", hidden=(3,), activation="relu", lr=0.1, **TINY), seed=1)
    snaps = P.record(pg, num_epochs=6, num_frames=3, resolution=8)
    assert [s.epoch for s in snaps] == [0, 3, 6]
    fig = P.draw(pg, snaps[1], num_epochs=6)
    assert isinstance(fig, Figure) and len(fig.axes) >= 3
    frames = [P.png_bytes(P.draw(pg, s), dpi=30) for s in snaps]
    assert frames[0] != frames[1] != frames[2]
    html = P.animation_html(pg, snaps, figsize=(4, 1.5), dpi=30)
    assert html.count("data:image/jpeg;base64") == 3 and "play_animation" in html
    assert "https://" not in html and "font-awesome" not in html  # plays offline
    with pytest.raises(ValueError, match="num_frames"):
        P.record(pg, num_epochs=2, num_frames=4)


# --- live controls ------------------------------------------------------------------------------------

@pytest.fixture
def ui():
    return P.PlaygroundUI(P.Config(**TINY), seed=1, dpi=20)


def test_ui_controls_change_the_configuration(ui):
    first_image = ui.image.value
    ui.controls["dataset"].value = "spiral"
    assert ui.playground.config.dataset == "spiral" and ui.image.value != first_image
    ui.feature_boxes["x1*x2"].value = True
    ui.controls["layers"].value = 3
    ui.units[2].value = 7
    ui.controls["activation"].value = "relu"
    ui.controls["regularization"].value = "L1"
    ui.controls["reg_rate"].value = 0.01
    ui.controls["noise"].value = 0.2
    ui.controls["lr"].value = 0.3
    ui.controls["batch_size"].value = 4
    ui.controls["train_percent"].value = 70
    config = ui.playground.config
    assert config.features == ("x1", "x2", "x1*x2") and config.hidden == (4, 2, 7)
    assert (config.activation, config.regularization, config.reg_rate) == ("relu", "L1", 0.01)
    assert (config.noise, config.lr, config.batch_size, config.train_fraction) == (0.2, 0.3, 4, 0.7)
    assert ui.playground.points["train"].shape == (56, 2) and ui.playground.points["test"].shape == (24, 2)
    ui.playground.update()
    assert ui.playground.steps == 1 and ui.playground.batches().__next__()[0].shape == (4, 3)
    assert [row.layout.display for row in ui.unit_rows] == [None] * 3 + ["none"] * 3
    assert [layer.weight.shape[0] for layer in ui.playground.net] == [4, 2, 7, 1]


def test_ui_reports_an_invalid_choice_and_keeps_the_last_valid_one(ui):
    for name in ("x1", "x2"):
        ui.feature_boxes[name].value = False
    assert "features must name one or more" in ui.status.value
    assert ui.playground.config.features == ("x2",)  # the last valid configuration (x2 only)


def test_ui_show_test_data_only_changes_the_picture(ui):
    ui.step_button.click()
    image, epochs = ui.image.value, ui.playground.epochs
    ui.show_test.value = False
    assert ui.image.value != image and ui.playground.epochs == epochs == 1


def test_ui_accepts_a_learning_rate_that_is_not_on_the_menu():
    ui = P.PlaygroundUI(P.Config(lr=0.05, reg_rate=0.02, **TINY), dpi=20)
    assert ui.controls["lr"].value == 0.05 and ui.current_config().reg_rate == 0.02


def test_ui_step_reset_buttons(ui):
    ui.step_button.click()
    ui.step_button.click()
    assert ui.playground.epochs == 2 and "epoch 2" in ui.status.value
    ui.reset_button.click()
    assert ui.playground.epochs == 0 and "epoch 0" in ui.status.value


def test_ui_plays_in_the_background_and_pauses(ui):
    async def scenario():
        ui.play_button.click()  # play
        assert ui.playing and ui.play_button.description == "pause"
        for _ in range(3):
            await asyncio.sleep(0)  # the training task runs an epoch each time we yield
        ui.play_button.click()  # pause
        stopped_at = ui.playground.epochs
        for _ in range(3):
            await asyncio.sleep(0)
        return stopped_at

    stopped_at = asyncio.run(scenario())
    assert stopped_at >= 1 and ui.playground.epochs == stopped_at
    assert not ui.playing and ui.play_button.description == "play"
    asyncio.run(ui.run(2))  # in the foreground, a fixed number of epochs
    assert ui.playground.epochs == stopped_at + 2
    with pytest.raises(RuntimeError, match="running event loop"):
        ui.play()  # no event loop runs here


def test_ui_shows_an_error_of_the_background_training(ui, monkeypatch):
    def broken():
        raise FloatingPointError("the loss is nan")

    monkeypatch.setattr(ui.playground, "epoch", broken)

    async def scenario():
        task = ui.play()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)  # done callbacks run on the next turn of the loop

    asyncio.run(scenario())
    assert "training stopped: FloatingPointError: the loss is nan" in ui.status.value
    assert not ui.playing


def test_presets():
    assert P.preset("spiral").dataset == "spiral"
    assert P.preset("xor hidden", noise=0.1).noise == 0.1
    with pytest.raises(ValueError, match="name must be one of"):
        P.preset("moons")


def test_discretize_and_unit_views():
    pg = P.Playground(P.Config(hidden=(3,), **TINY), seed=1)
    pg.train(2)
    fig = Figure()
    ax = fig.subplots()
    P.draw_boundary(ax, pg)
    smooth = numpy.unique(ax.images[0].get_array())
    P.draw_boundary(ax, pg, discretize=True)
    assert len(smooth) > 10 and set(numpy.unique(ax.images[0].get_array())) <= {-1.0, 0.0, 1.0}
    P.draw_boundary(ax, pg, unit=(1, 2))
    assert ax.get_title() == "layer 1, unit 3"
    unit_output = pg.unit_grids(P.STILL_RESOLUTION // 2)[1][2]  # tanh outputs: drawn as they are
    assert numpy.allclose(ax.images[0].get_array(), unit_output, atol=1e-6)
    assert P.unit_name(("x1", "x2"), 1, (0, 1)) == "input x2" and P.unit_name(("x1",), 1, (2, 0)) == "output"
    with pytest.raises(ValueError, match="unit must be \\(column, index\\)"):
        P.draw_boundary(ax, pg, unit=(1, 3))


def test_regression_pictures_color_points_by_value():
    pg = P.Playground(P.Config(dataset="multigauss", **TINY), seed=1)
    fig = P.draw(pg)
    assert len(fig.axes) >= 3
    colors = fig.axes[1].collections[0].get_facecolors()
    assert len({tuple(c) for c in numpy.round(colors, 3)}) > 2  # shades, not two label colors


def test_ui_problem_switches_to_the_regression_data_sets(ui):
    ui.controls["problem"].value = "regression"
    assert ui.controls["dataset"].options == P.REGRESSION_DATASETS and ui.playground.config.dataset == "plane"
    ui.controls["dataset"].value = "multigauss"
    assert ui.playground.config.problem == "regression" and "test loss" in ui.status.value
    ui.step_button.click()
    assert ui.playground.epochs == 1 and "acc" not in " ".join(ui.playground.history[-1])


def test_ui_training_settings_change_without_a_restart(ui):
    ui.step_button.click()
    ui.step_button.click()
    weights = ui.playground.weights()
    ui.controls["lr"].value = 0.3
    ui.controls["regularization"].value = "L2"
    ui.controls["reg_rate"].value = 0.01
    ui.controls["batch_size"].value = 5
    pg = ui.playground
    assert pg.epochs == 2 and all(numpy.array_equal(a, b) for a, b in zip(weights, pg.weights(), strict=True))
    assert (pg.config.lr, pg.config.regularization, pg.config.reg_rate, pg.config.batch_size) == (0.3, "L2", 0.01, 5)
    assert pg.loop.updater.learning_rate == 0.3 and ui.config == pg.config
    ui.controls["noise"].value = 0.1  # a data setting starts again, keeping the new training settings
    assert ui.playground.epochs == 0 and ui.playground.config.lr == 0.3


def test_ui_regenerate_draws_new_data(ui):
    ui.step_button.click()
    points, seed = ui.playground.points["train"].copy(), ui.seed
    ui.regenerate_button.click()
    assert ui.seed == seed + 1 and ui.playground.epochs == 0
    assert not numpy.array_equal(points, ui.playground.points["train"])


def test_ui_share_line_builds_the_same_playground_again(ui):
    ui.controls["dataset"].value = "xor"
    ui.controls["layers"].value = 5
    ui.reset_button.click()  # a later start: other initial weights
    ui.regenerate_button.click()
    ui.reset_button.click()
    line = ui.share.value
    assert line == ui.code() and line.startswith("playground.PlaygroundUI(playground.Config(")
    again = eval(line, {"playground": P})  # what a reader pasting the line into a cell gets
    assert again.config == ui.config and (again.seed, again.playground.start) == (ui.seed, ui.playground.start)
    assert numpy.array_equal(again.playground.points["test"], ui.playground.points["test"])
    assert all(numpy.array_equal(a, b) for a, b in zip(again.playground.weights(), ui.playground.weights(),
                                                      strict=True))
    assert P.PlaygroundUI(dpi=20).code() == "playground.PlaygroundUI(playground.Config(), seed=0, start=0)"


def test_ui_displays_as_its_controls(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    ui = P.PlaygroundUI(P.Config(**TINY), dpi=20)
    ui._ipython_display_()  # what Jupyter calls when a cell ends with the object
    assert shown == [ui.widget]


def test_ui_picture_controls_change_only_the_picture(ui):
    ui.step_button.click()
    image = ui.image.value
    ui.discretize.value = True
    discrete = ui.image.value
    assert discrete != image
    labels = [label for label, _ in ui.show_unit.options]
    assert labels == ["decision boundary", "input x1", "input x2", "layer 1, unit 1", "layer 1, unit 2",
                      "layer 1, unit 3", "layer 1, unit 4", "layer 2, unit 1", "layer 2, unit 2", "output"]
    ui.show_unit.value = labels.index("layer 2, unit 1") - 1
    assert ui.shown_unit == (2, 0) and ui.image.value != discrete and ui.playground.epochs == 1
    ui.controls["layers"].value = 1  # a new network: its own units, the boundary shown again
    assert len(ui.show_unit.options) == 1 + 2 + 4 + 1 and ui.shown_unit is None


def test_png_bytes_is_a_palette_picture_of_the_figure():
    fig = Figure(figsize=(4, 2))
    fig.subplots().imshow(numpy.linspace(0, 1, 16).reshape(4, 4), cmap=P.COLORS, interpolation="nearest")
    picture = PIL.Image.open(io.BytesIO(P.png_bytes(fig, dpi=50)))
    assert picture.format == "PNG" and picture.mode == "P" and picture.size == (200, 100)
    colors = numpy.asarray(picture.convert("RGB"), dtype=float).reshape(-1, 1, 3)
    shades = numpy.asarray(P.COLORS(numpy.linspace(0, 1, 16)))[:, :3] * 255
    assert numpy.abs(colors - shades).max(axis=2).min(axis=0).max() <= 2  # each of the 16 shades is still there


def test_log_loss_axis_writes_its_ticks_plainly():
    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2, 3], [0.3, 0.1, 0.03])
    P.log_loss_axis(ax)
    fig.canvas.draw()
    low, high = ax.get_ylim()
    labels = [t.get_text() for t in ax.get_yticklabels() if low <= t.get_position()[1] <= high]
    assert ax.get_yscale() == "log" and {"0.05", "0.1", "0.2"} <= set(labels)


def test_network_drawing_spreads_its_columns_for_wide_layers():
    narrow = P.draw(P.Playground(P.Config(hidden=(4, 2), **TINY)))
    wide = P.draw(P.Playground(P.Config(hidden=(8, 8), **TINY)))

    def column_spacing(fig):
        xs = sorted({round(float(numpy.mean(im.get_extent()[:2])), 6) for im in fig.axes[0].images})
        return xs[1] - xs[0]

    assert column_spacing(narrow) == pytest.approx(1.6) and column_spacing(wide) > 2
