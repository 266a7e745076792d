"""d2l 1.0.3's own recipes run here, so that the book compares itself with numbers measured on the same machine.

For every model of the book that has a counterpart in *Dive into Deep
Learning* 1.0.3 (MXNet tab), this module trains d2l's model with d2l's
training code (``d2l.Trainer.fit``, ``d2l.FashionMNIST``,
``d2l.TimeMachine``) and d2l's hyperparameters, and measures the final test
accuracy (validation perplexity for the language models), the wall time of
``fit`` and the examples per second. Where d2l 1.0.3 keeps a model in the
package (``SoftmaxRegression``, ``LeNet``, ``RNN``, ``GRU``, ``RNNLM``) the
package's class is used; where it defines the model only in its text (the
MLPs, the batch-normalized LeNet, the LSTM layer, the modern CNNs) the
network below is built to the same layer list, sizes and initialization.

The changes needed to run offline and on the same files (``CHANGES``) are
the only ones. The language models run on two splits of The Time Machine:

* d2l's own: windows of 33 characters starting at each of the first 10,000
  positions train, the next 5,000 validate (d2l's ``num_train`` and
  ``num_val``), scored as d2l scores them: every window from a zero state;
* the book's (chapter 6): the first 90% of the characters train, the last
  10% validate, scored as chapter 6 scores them: consecutive 32 x 32
  minibatches carrying the state (the characters that fill whole
  minibatches, 16,384 of the 17,343). d2l's
  recipe runs there on the same number of training windows as on its own
  split (rounded to whole epochs), since its 100 epochs over 150,000
  windows would take hours.

The modern CNNs are too slow on a CPU at d2l's resolutions (224x224, 96x96)
to train for d2l's 10 epochs: a few minibatches are timed instead and the
epoch extrapolated (``extrapolate``), marked as such.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import mxnet as mx
from d2l import mxnet as d2l
from mxnet import init, np, npx
from mxnet.gluon import nn, rnn

from bench import d2l_loop
from d2lhelpers import data, text
from d2lhelpers.checks import positive_int

CHANGES = (
    "Gluon's FashionMNIST reads the verified official files through `d2lhelpers.data.fetch` (it checks the SHA-1 "
    "of an older release and would download), and d2l's TimeMachine reads the verified `timemachine.txt` the same "
    "way (the same file d2l downloads: same SHA-1); d2l's code parses both",
    "the loader's worker processes hand out minibatches in shared memory, which `prepare_batch` copies to "
    "`cpu(0)`, as d2l's own does for a GPU",
    "the ProgressBoard records its points (a host synchronization per minibatch, as in d2l) without drawing them",
    "the final accuracy and perplexity are computed once after `fit` over the whole validation set "
    "(d2l draws per-minibatch averages)",
)
FASHION_EXAMPLES = 60_000
D2L_TRAIN_WINDOWS = 10_000  # d2l's TimeMachine: num_train
BOOK_TRAIN_SHARE = 0.9  # chapter 6's split: the first 90% of the characters train, the rest validate
BOOK_BATCH, BOOK_STEPS = 32, 32  # chapter 6's validation minibatches


@dataclass(frozen=True)
class Recipe:
    """One of d2l's trained models: how to build it, d2l's settings, and the book's results it compares with."""

    name: str
    section: str  # d2l 1.0.3's section
    book_results: tuple[str, ...]  # glue names of the book's matching results (d2lhelpers.expectations)
    settings: str  # d2l's hyperparameters, for the report
    batch_size: int
    max_epochs: int
    build: Callable[..., d2l.Module]  # a language model's takes the vocabulary's size
    clip: float = 0.0  # d2l's gradient_clip_val
    language_model: bool = False


# ------------------------------------------------------------------ models d2l defines only in its text

class Network(d2l.Classifier):
    """A d2l classifier around a Gluon network, trained by minibatch SGD at rate ``lr`` (d2l's optimizer)."""

    def __init__(self, net: nn.Block, lr: float, initializer: init.Initializer | None = None):
        super().__init__()
        self.save_hyperparameters()
        self.net.initialize(initializer or init.Uniform())  # Gluon's default, which d2l's initialize() uses


def sequential(*layers: nn.Block) -> nn.Sequential:
    net = nn.Sequential()
    net.add(*layers)
    return net


def mlp() -> d2l.Module:
    """d2l 5.2's concise MLP: 256 ReLU units, SGD at 0.1."""
    return Network(sequential(nn.Dense(256, activation="relu"), nn.Dense(10)), lr=0.1)


def dropout_mlp() -> d2l.Module:
    """d2l 5.6's concise dropout MLP: two layers of 256 ReLU units, dropout 0.5 after each, SGD at 0.1."""
    return Network(sequential(nn.Dense(256, activation="relu"), nn.Dropout(0.5),
                              nn.Dense(256, activation="relu"), nn.Dropout(0.5), nn.Dense(10)), lr=0.1)


def bn_lenet() -> d2l.Module:
    """d2l 8.5's concise BNLeNet: LeNet with batch normalization before every sigmoid, SGD at 0.1."""
    def normalized(layer: nn.Block) -> list[nn.Block]:
        return [layer, nn.BatchNorm(), nn.Activation("sigmoid")]
    pool = lambda: nn.AvgPool2D(pool_size=2, strides=2)  # noqa: E731
    return Network(sequential(*normalized(nn.Conv2D(6, kernel_size=5)), pool(),
                              *normalized(nn.Conv2D(16, kernel_size=5)), pool(),
                              *normalized(nn.Dense(120)), *normalized(nn.Dense(84)), nn.Dense(10)), lr=0.1)


class LSTM(d2l.RNN):
    """d2l 10.1's concise LSTM layer: Gluon's ``rnn.LSTM``, its state the pair (H, C)."""

    def __init__(self, num_hiddens: int):
        d2l.Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = rnn.LSTM(num_hiddens)

    def forward(self, inputs, H_C=None):
        if H_C is None:
            H_C = self.rnn.begin_state(inputs.shape[1], ctx=inputs.ctx)
        outputs, H_C = self.rnn(inputs, H_C)
        return outputs, H_C


def language_model(layer: Callable[[], d2l.Module], lr: float) -> Callable[[int], d2l.Module]:
    """d2l's RNNLM (one-hot inputs, a dense output layer) around a fresh ``layer()``."""
    return lambda vocab_size: d2l.RNNLM(layer(), vocab_size=vocab_size, lr=lr)


RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("softmax regression", "4.5", ("softmax_scratch_test_acc", "softmax_concise_test_acc"),
           "batch 256, SGD 0.1, 10 epochs", 256, 10, lambda: d2l.SoftmaxRegression(num_outputs=10, lr=0.1)),
    Recipe("MLP", "5.2", ("mlp_scratch_test_acc", "mlp_concise_test_acc"),
           "256 hidden units, batch 256, SGD 0.1, 10 epochs", 256, 10, mlp),
    Recipe("dropout MLP", "5.6", ("dropout_scratch_test_acc",),
           "256-256, dropout 0.5 and 0.5, batch 256, SGD 0.1, 10 epochs", 256, 10, dropout_mlp),
    Recipe("LeNet", "7.6", ("lenet_classic_test_acc",),
           "sigmoid, average pooling, Xavier, batch 128, SGD 0.1, 10 epochs", 128, 10, lambda: d2l.LeNet(lr=0.1)),
    Recipe("batch-normalized LeNet", "8.5", ("lenet_modern_test_acc",),
           "sigmoid, average pooling, batch norm, batch 128, SGD 0.1, 10 epochs", 128, 10, bn_lenet),
    Recipe("RNN", "9.6", ("rnn_scratch_val_ppl", "rnn_concise_val_ppl"),
           "32 hidden units, batch 1024 x 32 steps, SGD 1, clipping 1, 100 epochs", 1024, 100,
           language_model(lambda: d2l.RNN(num_hiddens=32), lr=1), clip=1.0, language_model=True),
    Recipe("GRU", "10.2", (),
           "32 hidden units, batch 1024 x 32 steps, SGD 4, clipping 1, 50 epochs", 1024, 50,
           language_model(lambda: d2l.GRU(num_hiddens=32, num_layers=1), lr=4), clip=1.0, language_model=True),
    Recipe("LSTM", "10.1", ("lstm_concise_val_ppl", "best_network_val_ppl"),
           "32 hidden units, batch 1024 x 32 steps, SGD 4, clipping 1, 50 epochs", 1024, 50,
           language_model(lambda: LSTM(num_hiddens=32), lr=4), clip=1.0, language_model=True),
)}


# ------------------------------------------------------------------ data

class TimeMachine(d2l.TimeMachine):
    """d2l's TimeMachine reading the verified local file; ``split="book"`` uses chapter 6's 90% / 10% split."""

    def __init__(self, batch_size: int, num_steps: int = 32, split: str = "d2l"):
        if split not in ("d2l", "book"):
            raise ValueError(f"split must be 'd2l' or 'book', got {split!r}")
        super().__init__(batch_size, num_steps)
        self.split = split
        if split == "book":
            self.boundary = int(BOOK_TRAIN_SHARE * (len(self.X) + num_steps))  # first validation character
            self.num_train = self.boundary - num_steps  # windows whose targets end inside the training part
            self.num_val = len(self.X) - self.boundary  # windows that start inside the validation part

    def get_dataloader(self, train: bool):
        """d2l's loaders; on the book's split, validation windows start at the boundary, not at ``num_train``."""
        if train or self.split == "d2l":
            return super().get_dataloader(train)
        return self.get_tensorloader([self.X, self.Y], False, slice(self.boundary, None))

    def _download(self) -> str:
        return data.fetch("timemachine/timemachine.txt").read_text()

    def validation_characters(self) -> list[int]:
        """The book split's validation part, as indices of d2l's vocabulary."""
        corpus, _ = self.build(self._download(), self.vocab)
        return corpus[self.boundary:]


def fashion_mnist(batch_size: int, resize: tuple[int, int] = (28, 28)) -> d2l.FashionMNIST:
    """d2l's FashionMNIST, read from the verified files."""
    with d2l_loop.gluon_reads_verified_files():
        return d2l.FashionMNIST(batch_size=batch_size, resize=resize)


# ------------------------------------------------------------------ scoring

def accuracy(model: d2l.Classifier, loader) -> float:
    """Share of correctly classified examples over a whole loader (predict mode)."""
    correct, count = 0.0, 0
    for X, y in loader:
        X, y = X.as_in_ctx(mx.cpu()), y.as_in_ctx(mx.cpu())
        correct += float(model.accuracy(model(X), y, averaged=False).sum().item())  # d2l's own accuracy
        count += y.shape[0]
    return correct / count


def window_perplexity(model: d2l.RNNLMScratch, loader) -> float:
    """d2l's scoring: exp of the mean cross-entropy over every position of every window, each from a zero state."""
    total, count = 0.0, 0
    for X, Y in loader:
        total += float(model.loss(model(X), Y, averaged=False).sum().item())
        count += Y.size
    return math.exp(total / count)


def carried_perplexity(model: d2l.RNNLMScratch, characters: list[int]) -> float:
    """Chapter 6's scoring: consecutive 32 x 32 minibatches of ``characters``, the state carried across them."""
    batches = text.SubsequenceBatches(characters, BOOK_BATCH, BOOK_STEPS, sampling="sequential",
                                      random_offset=False)
    total, count, state = 0.0, 0, None
    for X, Y in batches:
        X, Y = X.astype("float32"), Y.astype("float32")
        outputs, state = model.rnn(model.one_hot(X), state)
        total += float(model.loss(model.output_layer(outputs), Y, averaged=False).sum().item())
        count += Y.size
    return math.exp(total / count)


# ------------------------------------------------------------------ running

def fit(model: d2l.Module, data_module: d2l.DataModule, max_epochs: int, clip: float) -> float:
    """d2l's ``Trainer.fit`` (board not drawn); returns its wall time in seconds."""
    model.board.display = False
    trainer = d2l_loop.CPUTrainer(max_epochs=max_epochs, gradient_clip_val=clip)
    start = time.perf_counter()
    trainer.fit(model, data_module)
    npx.waitall()
    return time.perf_counter() - start


def book_split_epochs(recipe: Recipe, num_train: int) -> int:
    """Whole epochs over ``num_train`` windows closest to d2l's epochs over its own 10,000 (at least one)."""
    return max(1, round(recipe.max_epochs * D2L_TRAIN_WINDOWS / positive_int("num_train", num_train)))


def run(recipe: Recipe, num_train: int | None = None, max_epochs: int | None = None,
        splits: tuple[str, ...] = ("d2l", "book")) -> dict:
    """Train d2l's ``recipe`` and score it; ``num_train`` and ``max_epochs`` shrink it for tests.

    Returns a dictionary for results.json: for a classifier its test
    accuracy, seconds and examples/s; for a language model the same (with
    perplexity) for each split in ``splits``.
    """
    epochs = recipe.max_epochs if max_epochs is None else positive_int("max_epochs", max_epochs)
    if num_train is not None:
        positive_int("num_train", num_train)
    found = {"name": recipe.name, "section": recipe.section, "settings": recipe.settings,
             "book_results": list(recipe.book_results)}
    if not recipe.language_model:
        fashion = fashion_mnist(recipe.batch_size)
        if num_train is not None:
            fashion.train = fashion.train.take(num_train)
        model = recipe.build()
        seconds = fit(model, fashion, epochs, recipe.clip)
        examples = epochs * len(fashion.train)
        return found | {"epochs": epochs, "test_accuracy": accuracy(model, fashion.val_dataloader()),
                        "seconds": seconds, "examples_per_second": examples / seconds}
    for split in splits:
        corpus = TimeMachine(recipe.batch_size, split=split)
        corpus.num_train = min(corpus.num_train, num_train or corpus.num_train)
        split_epochs = epochs if split == "d2l" or max_epochs else book_split_epochs(recipe, corpus.num_train)
        model = recipe.build(len(corpus.vocab))
        seconds = fit(model, corpus, split_epochs, recipe.clip)
        if split == "d2l":
            ppl = window_perplexity(model, corpus.val_dataloader())
        else:
            ppl = carried_perplexity(model, corpus.validation_characters())
        found[f"{split}_split"] = {"epochs": split_epochs, "training_windows": corpus.num_train,
                                   "validation_perplexity": ppl, "seconds": seconds,
                                   "examples_per_second": split_epochs * corpus.num_train / seconds}
    return found


# ------------------------------------------------------------------ modern CNNs, timed and extrapolated

def vgg() -> nn.Sequential:
    """d2l 8.2's VGG-11 as trained there, with a quarter of the channels: ((1, 16), (1, 32), (2, 64), (2, 128) x 2)."""
    net = nn.Sequential()
    for num_convs, channels in ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128)):
        for _ in range(num_convs):
            net.add(nn.Conv2D(channels, kernel_size=3, padding=1, activation="relu"))
        net.add(nn.MaxPool2D(pool_size=2, strides=2))
    net.add(nn.Dense(4096, activation="relu"), nn.Dropout(0.5), nn.Dense(4096, activation="relu"),
            nn.Dropout(0.5), nn.Dense(10))
    return net


def alexnet() -> nn.Sequential:
    """d2l 8.1's AlexNet: 96-256-384-384-256 channels, two dense layers of 4096 with dropout 0.5."""
    pool = lambda: nn.MaxPool2D(pool_size=3, strides=2)  # noqa: E731
    return sequential(nn.Conv2D(96, kernel_size=11, strides=4, activation="relu"), pool(),
                      nn.Conv2D(256, kernel_size=5, padding=2, activation="relu"), pool(),
                      nn.Conv2D(384, kernel_size=3, padding=1, activation="relu"),
                      nn.Conv2D(384, kernel_size=3, padding=1, activation="relu"),
                      nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"), pool(),
                      nn.Dense(4096, activation="relu"), nn.Dropout(0.5),
                      nn.Dense(4096, activation="relu"), nn.Dropout(0.5), nn.Dense(10))


def nin() -> nn.Sequential:
    """d2l 8.3's NiN: blocks of 96, 256, 384 and 10 channels, each a convolution and two 1x1 convolutions."""
    def block(channels: int, kernel: int, stride: int, padding: int) -> list[nn.Block]:
        return [nn.Conv2D(channels, kernel, stride, padding, activation="relu"),
                nn.Conv2D(channels, 1, activation="relu"), nn.Conv2D(channels, 1, activation="relu")]
    pool = lambda: nn.MaxPool2D(pool_size=3, strides=2)  # noqa: E731
    return sequential(*block(96, 11, 4, 0), pool(), *block(256, 5, 1, 2), pool(), *block(384, 3, 1, 1), pool(),
                      nn.Dropout(0.5), *block(10, 3, 1, 1), nn.GlobalAvgPool2D(), nn.Flatten())


class Inception(nn.Block):
    """Four paths, concatenated: 1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3 max pooling then 1x1."""

    def __init__(self, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int):
        super().__init__()
        relu = {"activation": "relu"}
        self.paths = [nn.Conv2D(c1, 1, **relu),
                      sequential(nn.Conv2D(c2[0], 1, **relu), nn.Conv2D(c2[1], 3, padding=1, **relu)),
                      sequential(nn.Conv2D(c3[0], 1, **relu), nn.Conv2D(c3[1], 5, padding=2, **relu)),
                      sequential(nn.MaxPool2D(3, 1, 1), nn.Conv2D(c4, 1, **relu))]
        for i, path in enumerate(self.paths):
            self.register_child(path, f"path{i}")

    def forward(self, X):
        return np.concatenate([path(X) for path in self.paths], axis=1)


def googlenet() -> nn.Sequential:
    """d2l 8.4's GoogLeNet: a 7x7 stem, 1x1 and 3x3 convolutions, nine Inception blocks, global pooling."""
    pool = lambda: nn.MaxPool2D(pool_size=3, strides=2, padding=1)  # noqa: E731
    blocks = [((64, (96, 128), (16, 32), 32), (128, (128, 192), (32, 96), 64)),
              ((192, (96, 208), (16, 48), 64), (160, (112, 224), (24, 64), 64), (128, (128, 256), (24, 64), 64),
               (112, (144, 288), (32, 64), 64), (256, (160, 320), (32, 128), 128)),
              ((256, (160, 320), (32, 128), 128), (384, (192, 384), (48, 128), 128))]
    net = sequential(nn.Conv2D(64, 7, 2, 3, activation="relu"), pool(),
                     nn.Conv2D(64, 1, activation="relu"), nn.Conv2D(192, 3, padding=1, activation="relu"), pool())
    for i, stage in enumerate(blocks):
        net.add(*(Inception(*sizes) for sizes in stage))
        net.add(pool() if i < 2 else nn.GlobalAvgPool2D())
    net.add(nn.Dense(10))
    return net


def resnet18() -> nn.Sequential:
    """d2l 8.6's ResNet-18: a 7x7 stem, four stages of two residual blocks (64 to 512 channels)."""
    net = sequential(nn.Conv2D(64, 7, 2, 3), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(3, 2, 1))
    for stage, channels in enumerate((64, 128, 256, 512)):
        for block in range(2):
            downsample = stage > 0 and block == 0
            net.add(d2l.Residual(channels, use_1x1conv=downsample, strides=2 if downsample else 1))
    net.add(nn.GlobalAvgPool2D(), nn.Dense(10))
    return net


@dataclass(frozen=True)
class Extrapolated:
    """A modern CNN of d2l timed on a few minibatches: d2l's settings and the book's matching result."""

    name: str
    section: str
    book_result: str
    resize: int
    lr: float
    build: Callable[[], nn.Block]
    max_epochs: int = 10
    batch_size: int = 128


CNNS: dict[str, Extrapolated] = {c.name: c for c in (
    Extrapolated("AlexNet", "8.1", "alexnet_test_acc", 224, 0.01, alexnet),
    Extrapolated("VGG", "8.2", "vgg_test_acc", 224, 0.01, vgg),
    Extrapolated("NiN", "8.3", "nin_test_acc", 224, 0.05, nin),
    Extrapolated("GoogLeNet", "8.4", "googlenet_test_acc", 96, 0.01, googlenet),
    Extrapolated("ResNet-18", "8.6", "resnet_test_acc", 96, 0.01, resnet18),
)}


def extrapolate(cnn: Extrapolated, batches: int = 2) -> dict:
    """Time ``batches`` of d2l's training minibatches (after one untimed) and extrapolate d2l's epochs."""
    positive_int("batches", batches)
    fashion = fashion_mnist(cnn.batch_size, resize=(cnn.resize, cnn.resize))
    full = fashion.train
    model = Network(cnn.build(), cnn.lr, init.Xavier())
    model.board.display = False
    trainer = d2l_loop.CPUTrainer(max_epochs=1)
    fashion.train = full.take(cnn.batch_size)
    trainer.prepare_data(fashion)
    trainer.val_dataloader = None
    trainer.prepare_model(model)
    trainer.optim = model.configure_optimizers()
    trainer.epoch = trainer.train_batch_idx = trainer.val_batch_idx = 0
    trainer.fit_epoch()  # warm-up: shapes inferred, parameters allocated
    npx.waitall()
    fashion.train = full.take(batches * cnn.batch_size)
    trainer.train_dataloader = fashion.train_dataloader()
    start = time.perf_counter()
    trainer.fit_epoch()
    npx.waitall()
    per_batch = (time.perf_counter() - start) / batches
    epoch = per_batch * math.ceil(FASHION_EXAMPLES / cnn.batch_size)
    return {"name": cnn.name, "section": cnn.section, "book_result": cnn.book_result,
            "settings": f"{cnn.resize}x{cnn.resize}, batch {cnn.batch_size}, SGD {cnn.lr}, {cnn.max_epochs} epochs",
            "batches_timed": batches, "seconds_per_batch": per_batch, "epochs": cnn.max_epochs,
            "extrapolated_epoch_seconds": epoch,
            "extrapolated_training_seconds": epoch * cnn.max_epochs,
            "examples_per_second": cnn.batch_size / per_batch}
