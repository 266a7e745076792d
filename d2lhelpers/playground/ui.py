"""Live controls for the playground (ipywidgets), whose callbacks can also be called from code."""
from __future__ import annotations

import asyncio

import ipywidgets as widgets
import mxnet as mx

from d2lhelpers.checks import positive_int
from d2lhelpers.playground.data import DATASETS, FEATURES, MAX_NOISE
from d2lhelpers.playground.drawing import draw, png_bytes
from d2lhelpers.playground.model import ACTIVATIONS, MAX_HIDDEN_LAYERS, MAX_UNITS, REGULARIZATIONS, Config, Playground

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


class PlaygroundUI:
    """Live controls for a ``Playground`` (ipywidgets), redrawn as it trains.

    Changing the data set, noise, share of training points, features,
    network or training settings starts again with the new configuration;
    the "test data" button only changes the picture. ``play()`` trains in a
    background task that gives control back to the kernel after every epoch
    (so a click on pause is handled while it trains); ``step()`` trains one
    epoch; ``reset()`` starts again with new initial weights. Each button's
    handler is such a method, so code can drive the playground exactly as
    clicks do; ``await ui.run(n)`` trains n epochs in the foreground.
    ``device`` is the ``Playground``'s.
    """

    def __init__(self, config: Config | None = None, seed: int = 0, redraw_every: int = 1, dpi: int = 64,
                 device: mx.Context | None = None):
        positive_int("redraw_every", redraw_every)
        positive_int("dpi", dpi)
        self.config = cfg = config or Config()
        self.seed, self.redraw_every, self.dpi = seed, redraw_every, dpi
        self.playground = Playground(cfg, seed, device=device)
        self.task: asyncio.Task | None = None
        self.controls = {
            "dataset": widgets.Dropdown(options=DATASETS, value=cfg.dataset),
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
        self.units = [widgets.IntSlider(value=w, min=1, max=MAX_UNITS) for w in widths]
        self.feature_boxes = {name: widgets.ToggleButton(value=name in cfg.features, description=name,
                                                         layout=widgets.Layout(width="76px"))
                              for name in FEATURES}
        self.show_test = widgets.ToggleButton(value=True, description="show")  # a Checkbox would break MathJax
        labels = {"dataset": "data set", "noise": "noise", "train_percent": "% training data",
                  "layers": "hidden layers", "activation": "activation", "lr": "learning rate",
                  "regularization": "regularization", "reg_rate": "reg. rate", "batch_size": "batch size"}
        # Labels are HTML widgets beside the controls, not the controls' descriptions: in the HTML book,
        # widgets hand descriptions to an old MathJax interface that the book's MathJax 3 lacks.
        self.rows = {key: _row(labels[key], control) for key, control in self.controls.items()}
        self.rows["show_test"] = _row("test data", self.show_test)
        self.unit_rows = [_row(f"units, layer {i + 1}", slider) for i, slider in enumerate(self.units)]
        for control in [*self.controls.values(), *self.units, *self.feature_boxes.values()]:
            control.observe(self.on_change, names="value")
        self.show_test.observe(lambda _: self.redraw(), names="value")
        self.play_button = widgets.Button(description="play", icon="play", layout=widgets.Layout(width="90px"))
        self.step_button = widgets.Button(description="step", icon="step-forward", layout=widgets.Layout(width="90px"))
        self.reset_button = widgets.Button(description="reset", icon="refresh", layout=widgets.Layout(width="90px"))
        self.play_button.on_click(lambda _: self.toggle())
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")
        self._show_units()
        settings = widgets.VBox([self.rows[k] for k in ("dataset", "noise", "train_percent", "activation", "lr",
                                                        "regularization", "reg_rate", "batch_size")])
        network = widgets.VBox([self.rows["layers"], *self.unit_rows, self.rows["show_test"]])
        self.widget = widgets.VBox([
            widgets.HBox([self.play_button, self.step_button, self.reset_button, self.status]),
            widgets.HBox([widgets.HTML("features:"), *self.feature_boxes.values()]),
            widgets.HBox([settings, network]),
            self.image,
        ])
        self.redraw()

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

    def _show_units(self) -> None:
        for i, row in enumerate(self.unit_rows):
            row.layout.display = None if i < self.controls["layers"].value else "none"

    # callbacks
    def on_change(self, change: dict | None = None) -> None:
        """A control changed: stop, and start again with the configuration the controls now show."""
        self._show_units()
        try:
            config = self.current_config()
        except ValueError as err:
            self.pause()
            self.status.value = f"<b>{err}</b>"
            return
        self.config = config
        self.reset()

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
        fig = draw(pg, figsize=(9, 3), show_test=self.show_test.value)
        self.image.value = png_bytes(fig, self.dpi)
        last = pg.history[-1] if pg.history else pg.evaluate()
        self.status.value = (f"epoch {pg.epochs} &nbsp; train loss {last['train loss']:.3f} &nbsp; "
                             f"test loss {last['test loss']:.3f}")


def _row(label: str, control: widgets.Widget) -> widgets.HBox:
    """``control`` with ``label`` on its left, as one row."""
    control.layout = widgets.Layout(width="170px")
    return widgets.HBox([widgets.HTML(label, layout=widgets.Layout(width="110px")), control])
