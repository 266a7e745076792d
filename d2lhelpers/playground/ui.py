"""Live controls for the playground (ipywidgets), whose callbacks can also be called from code."""
from __future__ import annotations

import asyncio
from dataclasses import fields

import ipywidgets as widgets
import mxnet as mx

from d2lhelpers.checks import positive_int
from d2lhelpers.playground.data import DATASETS, FEATURES, MAX_NOISE, REGRESSION_DATASETS
from d2lhelpers.playground.drawing import draw, png_bytes, unit_name
from d2lhelpers.playground.model import (
    ACTIVATIONS,
    ADJUSTABLE,
    MAX_HIDDEN_LAYERS,
    MAX_UNITS,
    REGULARIZATIONS,
    Config,
    Playground,
)

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
PROBLEMS = {"classification": DATASETS, "regression": REGRESSION_DATASETS}


class PlaygroundUI:
    """Live controls for a ``Playground`` (ipywidgets), redrawn as it trains.

    Changing the problem, data set, noise, share of training points,
    features or network starts again with the new configuration; the
    learning rate, regularization, its rate and the batch size change while
    training goes on (``Playground.adjust``); the "test data", "discretize"
    and "show unit" controls only change the picture. ``play()`` trains in a
    background task that gives control back to the kernel after every epoch
    (so a click on pause is handled while it trains); ``step()`` trains one
    epoch; ``reset()`` starts again with new initial weights;
    ``regenerate()`` draws new data (the next seed). Each button's handler is
    such a method, so code can drive the playground exactly as clicks do;
    ``await ui.run(n)`` trains n epochs in the foreground. The "share" box
    holds ``code()``, one line that builds this playground again.
    ``seed``, ``start`` and ``device`` are the ``Playground``'s.
    """

    def __init__(self, config: Config | None = None, seed: int = 0, start: int = 0, redraw_every: int = 1,
                 dpi: int = 64, device: mx.Context | None = None):
        positive_int("redraw_every", redraw_every)
        positive_int("dpi", dpi)
        self.config = cfg = config or Config()
        self.redraw_every, self.dpi, self.device = redraw_every, dpi, device
        self.playground = Playground(cfg, seed, start=start, device=device)
        self.task: asyncio.Task | None = None
        self._quiet = False  # True while code sets several controls at once
        self.controls = {
            "problem": widgets.Dropdown(options=tuple(PROBLEMS), value=cfg.problem),
            "dataset": widgets.Dropdown(options=PROBLEMS[cfg.problem], value=cfg.dataset),
            "noise": widgets.FloatSlider(value=cfg.noise, min=0, max=MAX_NOISE, step=0.05),
            "train_percent": widgets.IntSlider(value=round(100 * cfg.train_fraction), min=10, max=90, step=10),
            "layers": widgets.IntSlider(value=len(cfg.hidden), min=0, max=MAX_HIDDEN_LAYERS),
            "activation": widgets.Dropdown(options=ACTIVATIONS, value=cfg.activation),
            # a configuration's own rate joins the menu, so any valid Config can be shown
            "lr": widgets.Dropdown(options=sorted({*LEARNING_RATES, cfg.lr}), value=cfg.lr),
            "regularization": widgets.Dropdown(options=REGULARIZATIONS, value=cfg.regularization),
            "reg_rate": widgets.Dropdown(options=sorted({*REG_RATES, cfg.reg_rate}), value=cfg.reg_rate),
            "batch_size": widgets.IntSlider(value=cfg.batch_size, min=1, max=max(30, cfg.batch_size)),
        }
        widths = list(cfg.hidden) + [4] * (MAX_HIDDEN_LAYERS - len(cfg.hidden))
        # a configuration made in code may have wider layers than the original's 8: its width joins the slider
        self.units = [widgets.IntSlider(value=w, min=1, max=max(MAX_UNITS, w)) for w in widths]
        self.feature_boxes = {name: widgets.ToggleButton(value=name in cfg.features, description=name,
                                                         layout=widgets.Layout(width="76px"))
                              for name in FEATURES}
        # picture-only controls; ToggleButtons, since a Checkbox would break MathJax in the HTML book
        self.show_test = widgets.ToggleButton(value=True, description="show")
        self.discretize = widgets.ToggleButton(value=False, description="discretize")
        self.show_unit = widgets.Dropdown()
        self.share = widgets.Text(layout=widgets.Layout(width="98%"))
        labels = {"problem": "problem", "dataset": "data set", "noise": "noise", "train_percent": "% training data",
                  "layers": "hidden layers", "activation": "activation", "lr": "learning rate",
                  "regularization": "regularization", "reg_rate": "reg. rate", "batch_size": "batch size"}
        # Labels are HTML widgets beside the controls, not the controls' descriptions: in the HTML book,
        # widgets hand descriptions to an old MathJax interface that the book's MathJax 3 lacks.
        self.rows = {key: _row(labels[key], control) for key, control in self.controls.items()}
        self.rows["show_test"] = _row("test data", self.show_test)
        self.rows["discretize"] = _row("output", self.discretize)
        self.rows["show_unit"] = _row("show unit", self.show_unit)
        self.unit_rows = [_row(f"units, layer {i + 1}", slider) for i, slider in enumerate(self.units)]
        self.controls["problem"].observe(self.on_problem, names="value")
        restarting = [key for key in self.controls if key not in ADJUSTABLE and key != "problem"]
        for control in [*(self.controls[k] for k in restarting), *self.units, *self.feature_boxes.values()]:
            control.observe(self.on_change, names="value")
        for key in ADJUSTABLE:
            self.controls[key].observe(self.on_adjust, names="value")
        for control in (self.show_test, self.discretize, self.show_unit):
            control.observe(lambda _: None if self._quiet else self.redraw(), names="value")
        buttons = {}
        for name, icon, handler in (("play", "play", self.toggle), ("step", "step-forward", self.step),
                                    ("reset", "refresh", self.reset), ("regenerate", "random", self.regenerate)):
            buttons[name] = widgets.Button(description=name, icon=icon, layout=widgets.Layout(width="110px"))
            buttons[name].on_click(lambda _, handler=handler: handler())
        self.play_button, self.step_button = buttons["play"], buttons["step"]
        self.reset_button, self.regenerate_button = buttons["reset"], buttons["regenerate"]
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")
        self._show_units()
        self._list_units()
        settings = widgets.VBox([self.rows[k] for k in ("problem", "dataset", "noise", "train_percent", "activation",
                                                        "lr", "regularization", "reg_rate", "batch_size")])
        network = widgets.VBox([self.rows["layers"], *self.unit_rows])
        view = widgets.VBox([self.rows[k] for k in ("show_test", "discretize", "show_unit")])
        self.widget = widgets.VBox([
            widgets.HBox([*buttons.values(), self.status]),
            widgets.HBox([widgets.HTML("features:"), *self.feature_boxes.values()]),
            widgets.HBox([settings, network, view]),
            self.image,
            widgets.HBox([widgets.HTML("share:", layout=widgets.Layout(width="50px")), self.share],
                         layout=widgets.Layout(width="100%")),
        ])
        self.redraw()

    @property
    def seed(self) -> int:
        return self.playground.seed

    def _ipython_display_(self) -> None:
        """Shown in Jupyter as its controls, so a cell that ends with a ``PlaygroundUI`` displays them."""
        from IPython.display import display

        display(self.widget)

    # the configuration the controls describe
    def current_config(self) -> Config:
        """The ``Config`` the controls show (raises ``ValueError`` if it is not valid, e.g. no feature)."""
        c = self.controls
        return Config(dataset=c["dataset"].value, noise=round(c["noise"].value, 2),
                      features=tuple(name for name, box in self.feature_boxes.items() if box.value),
                      hidden=tuple(s.value for s in self.units[:c["layers"].value]),
                      activation=c["activation"].value, lr=c["lr"].value,
                      regularization=c["regularization"].value, reg_rate=c["reg_rate"].value,
                      batch_size=c["batch_size"].value, num_points=self.config.num_points,
                      train_fraction=c["train_percent"].value / 100)

    def code(self) -> str:
        """One line of Python that builds this playground again: its data, network and initial weights.

        The line rebuilds the start, not the training since: settings changed
        while training ran (``Playground.adjust``) apply from epoch 0.
        """
        defaults = Config()
        changed = ", ".join(f"{f.name}={getattr(self.config, f.name)!r}" for f in fields(Config)
                            if getattr(self.config, f.name) != getattr(defaults, f.name))
        pg = self.playground
        return f"playground.PlaygroundUI(playground.Config({changed}), seed={pg.seed}, start={pg.start})"

    def _show_units(self) -> None:
        for i, row in enumerate(self.unit_rows):
            row.layout.display = None if i < self.controls["layers"].value else "none"

    def _list_units(self) -> None:
        """The "show unit" menu: the decision boundary, then every unit of the current network."""
        cfg = self.config
        self._units = [(column, index) for column, width in enumerate([len(cfg.features), *cfg.hidden, 1])
                       for index in range(width)]
        names = [unit_name(cfg.features, len(cfg.hidden), unit) for unit in self._units]
        self._quiet, quiet = True, self._quiet
        self.show_unit.options = [("decision boundary", -1), *((name, k) for k, name in enumerate(names))]
        self.show_unit.value = -1
        self._quiet = quiet

    @property
    def shown_unit(self) -> tuple[int, int] | None:
        """The unit (column, index) the middle picture shows, or None for the decision boundary."""
        return None if self.show_unit.value in (None, -1) else self._units[self.show_unit.value]

    # callbacks
    def on_problem(self, change: dict | None = None) -> None:
        """Classification or regression: offer that problem's data sets and start again with the first."""
        self._quiet = True
        datasets = PROBLEMS[self.controls["problem"].value]
        self.controls["dataset"].options = datasets
        self.controls["dataset"].value = datasets[0]
        self._quiet = False
        self.on_change()

    def on_adjust(self, change: dict | None = None) -> None:
        """Learning rate, regularization, its rate or batch size changed: go on training with it."""
        if self._quiet:
            return
        self.playground.adjust(**{key: self.controls[key].value for key in ADJUSTABLE})
        self.config = self.playground.config
        self.redraw()

    def on_change(self, change: dict | None = None) -> None:
        """A control changed: stop, and start again with the configuration the controls now show."""
        if self._quiet:
            return
        self._show_units()
        try:
            config = self.current_config()
        except ValueError as err:
            self.pause()
            self.status.value = f"<b>{err}</b>"
            return
        self.config = config
        self._list_units()
        self.reset()

    def regenerate(self) -> None:
        """Stop, and start again on new data: the next seed's points, and its initial weights (start 0).

        (The original keeps training the same network on the new points.)
        """
        self.pause()
        self.playground = Playground(self.config, self.playground.seed + 1, device=self.device)
        self.redraw()

    def reset(self) -> None:
        """Stop, and start again from new initial weights (the data stay the same)."""
        self.pause()
        self.playground.reset(self.config)
        self.redraw()

    def step(self) -> None:
        """Train one epoch and redraw."""
        self.playground.epoch()
        self.redraw()

    def toggle(self) -> None:
        """Play if paused, pause if playing."""
        if self.playing:
            self.pause()
        else:
            self.play()

    @property
    def playing(self) -> bool:
        return self.task is not None and not self.task.done()

    def play(self, max_epochs: int | None = None) -> asyncio.Task:
        """Train in a background task of the running event loop (the kernel's) until ``pause()`` or ``max_epochs``."""
        if not self.playing:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError("play() needs a running event loop, as in a Jupyter kernel; outside one, "
                                   "use step() or asyncio.run(ui.run(num_epochs))") from None
            self.task = loop.create_task(self.run(max_epochs))
            self.task.add_done_callback(self._report_failure)
            self.play_button.description, self.play_button.icon = "pause", "pause"
        return self.task

    def _report_failure(self, task: asyncio.Task) -> None:
        """Show an error of the background training in the status line (it would otherwise go unseen)."""
        if not task.cancelled() and task.exception() is not None:
            err = task.exception()
            self.status.value = f"<b>training stopped: {type(err).__name__}: {err}</b>"

    def pause(self) -> None:
        """Stop the background training after the current epoch."""
        if self.playing:
            self.task.cancel()
        self.task = None
        self.play_button.description, self.play_button.icon = "play", "play"

    async def run(self, max_epochs: int | None = None) -> None:
        """Train epoch after epoch (``max_epochs`` of them, or until cancelled), yielding after each."""
        done = 0
        try:
            while max_epochs is None or done < max_epochs:
                self.playground.epoch()
                done += 1
                if done % self.redraw_every == 0:
                    self.redraw()
                await asyncio.sleep(0)  # let the kernel handle clicks, e.g. on pause
        finally:
            self.redraw()
            if self.task is not None and self.task is asyncio.current_task():
                self.task = None
                self.play_button.description, self.play_button.icon = "play", "play"

    def redraw(self) -> None:
        """Draw the current state into the image widget and update the epoch counter."""
        pg = self.playground
        fig = draw(pg, figsize=(9, 3), show_test=self.show_test.value, discretize=self.discretize.value,
                   unit=self.shown_unit)
        self.image.value = png_bytes(fig, self.dpi)
        last = pg.history[-1] if pg.history else pg.evaluate()
        self.status.value = (f"epoch {pg.epochs} &nbsp; train loss {last['train loss']:.3f} &nbsp; "
                             f"test loss {last['test loss']:.3f}")
        self.share.value = self.code()


def _row(label: str, control: widgets.Widget) -> widgets.HBox:
    """``control`` with ``label`` on its left, as one row."""
    control.layout = widgets.Layout(width="170px")
    return widgets.HBox([widgets.HTML(label, layout=widgets.Layout(width="110px")), control])
