"""What the book promises: the bounds each chapter's results must meet, written only here and read by the
results cells (``d2lhelpers.results``), the README and ``bench/``. Accuracy and perplexity bounds are the
design document's targets; the others hold at any seed. Plain data and functions; no side effect on import."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from d2lhelpers import manifest

CHAPTER_SECONDS: dict[str, float] = {c.name: c.seconds for c in manifest.CHAPTERS}
"""Notebook name without .ipynb -> time budget in seconds (from ``manifest``)."""

BOOK_SECONDS = manifest.BOOK_SECONDS

LOOP_OVER_BARE_AT_LEAST = 0.90
"""The book's training loop keeps at least this share of a bare forward/backward/update loop's examples/s."""

# How bounds of common metrics are written (0.90, 5.0, 1e-5); others set ``Expectation.fmt`` or use "g".
METRIC_FORMATS: dict[str, str] = {
    "test accuracy": ".2f",
    "validation perplexity": ".1f",
    "largest error": ".2f",
    "largest relative error": ".0e",
    "largest difference": ".0e",
}


@dataclass(frozen=True)
class Expectation:
    """The bound one result must meet: ``description`` (the model) and ``metric`` (what is measured); bounds
    ``at_least``, ``at_most`` (failing at the bound with ``strict``), multiples of a reference given in words with
    ``relative_to``; ``usually``, what a run typically gives; ``fmt``, the bounds' format (else ``METRIC_FORMATS``)."""

    chapter: str
    description: str
    metric: str
    at_least: float | None = None
    at_most: float | None = None
    strict: bool = False
    usually: str = ""
    relative_to: str = ""
    fmt: str = ""

    def __post_init__(self) -> None:
        if self.at_least is None and self.at_most is None:
            raise ValueError(f"{self.description}: an expectation needs at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError(f"{self.description}: at_least {self.at_least} exceeds at_most {self.at_most}")
        try:
            format(1.0, self.bound_format)
        except ValueError:
            raise ValueError(f"fmt must be a format spec for floats, such as '.2f', got {self.fmt!r}") from None
        manifest.chapter(self.chapter)  # rejects chapters the book does not list

    @property
    def bound_format(self) -> str:
        """The format spec the bounds are written with."""
        return self.fmt or METRIC_FORMATS.get(self.metric, "g")


def _accuracy(chapter: str, description: str, at_least: float, usually: str = "") -> Expectation:
    """A test accuracy of at least ``at_least``, the most common expectation."""
    return Expectation(chapter, description, "test accuracy", at_least=at_least, usually=usually)


EXPECTATIONS: dict[str, Expectation] = {  # result name -> its expectation, in the order of the book
    "intro_gemm_gflops": Expectation("00_introduction", "1024x1024 matrix product", "GFLOP/s",
                                     at_least=1, strict=True, usually="20 to a few hundred on a laptop CPU"),
    "linreg_max_stable_lr": Expectation(
        "01_basics", "linear regression, gradient descent", "2 / largest Hessian eigenvalue", at_least=0.4,
        at_most=0.6, usually="0.47 to 0.53; 0.5 for the distribution the feature is drawn from"),
    "linreg_diverged_lr": Expectation(
        "01_basics", "linear regression, gradient descent", "smallest rate of the sweep that diverged", at_least=1,
        at_most=1.1, strict=True, relative_to="2 / largest Hessian eigenvalue",
        usually="1.0 to 1.05 times it: the first rate of the sweep above it"),
    "linreg_noise_floor": Expectation(
        "01_basics", "linear regression, SGD with batch 10 at rate 0.2", "noise floor, mean of epochs 6-10",
        at_least=0.7, at_most=1.4, usually="0.94 to 1.10 times it at six seeds", relative_to="the formula's"),
    "linreg_sgd_gap": Expectation("01_basics", "linear regression, SGD with a decaying rate",
        "largest difference from least squares", at_most=0.05, strict=True, fmt=".2f", usually="a few thousandths"),
    "ce_gradient_error": Expectation("01_basics", "cross-entropy's gradient, autograd against the formula",
                                     "largest difference", at_most=1e-6, strict=True),
    "softmax_scratch_test_acc": _accuracy("01_basics", "softmax regression, from scratch", 0.84, "about 0.845"),
    "softmax_concise_test_acc": _accuracy("01_basics", "softmax regression, Gluon", 0.84, "about 0.845"),
    "mlp_scratch_test_acc": _accuracy("01_basics", "MLP, from scratch", 0.86, "about 0.87"),
    "mlp_concise_test_acc": _accuracy("01_basics", "MLP, Gluon", 0.86, "about 0.87"),
    "mlp_upper_body_removed": Expectation(
        "01_basics", "MLP against softmax: mistakes between upper-body garments", "share removed", at_most=1.2,
        fmt=".2f", usually="0.5 to 0.8 times it at three seeds", relative_to="all other mistakes' share"),
    "poly_overfit_test_loss": Expectation(
        "02_overfitting", "degree 19 on 3 examples (overfit)", "test loss", at_least=10,
        usually="far more: 89 to 400,000 times at three seeds", relative_to="its training loss"),
    "poly_fit_test_loss": Expectation(
        "02_overfitting", "degree 3 on 100 examples (fit)", "test loss", at_most=2,
        usually="about equal to it", relative_to="its training loss"),
    "poly_exact_degree10_test_loss": Expectation(
        "02_overfitting", "exact least squares on 20 examples, degree 10", "test loss", at_least=10,
        usually="millions of times more or above (bench/seeds-02_overfitting.md)", relative_to="degree 3's"),
    "cv_degree": Expectation("02_overfitting", "5-fold cross-validation", "degree chosen", at_least=3,
                             usually="3; never 1 or 2, which cannot follow a cubic"),
    "wd_test_loss_vs_mean": Expectation(
        "02_overfitting", "ridge regression on 150 examples, lambda chosen by cross-validation", "test loss",
        at_most=0.9, fmt=".2f", usually="0.5 to 0.65 times it at three seeds", relative_to="predicting the mean of y"),
    "wd_test_loss_vs_min_norm": Expectation(
        "02_overfitting", "ridge regression on 150 examples, lambda chosen by cross-validation", "test loss",
        at_most=0.9, fmt=".2f", usually="0.55 to 0.8 times it at three seeds",
        relative_to="the minimum-norm exact fit"),
    "dropout_scratch_test_acc": _accuracy("02_overfitting", "MLP with dropout, from scratch", 0.87,
                                          "about 0.88"),
    "dropout_demo_no_dropout_train_acc": Expectation(
        "02_overfitting", "the same MLP without dropout, 100 epochs on 1,000 images", "training accuracy",
        at_least=0.98, fmt=".2f", usually="about 0.99"),
    "dropout_demo_gain_paired_se": Expectation(
        "02_overfitting", "dropout chosen by validation loss, 100 epochs on 1,000 images",
        "test accuracy gain over no dropout, in paired standard errors", at_least=-2, fmt=".1f",
        usually="positive, 0.7 to 3 at three seeds; the bound only rules out a clear loss"),
    "random_labels_train_acc": Expectation(
        "02_overfitting", "the same MLP on 1,000 images with random labels", "training accuracy", at_least=0.95,
        fmt=".2f", usually="about 0.99: it memorizes them"),
    "random_labels_test_acc": Expectation(
        "02_overfitting", "the same MLP on 1,000 images with random labels", "test accuracy", at_most=0.15,
        usually="about 0.1, chance"),
    "random_features_threshold_test_loss": Expectation(
        "02_overfitting", "least squares on m = n = 400 random ReLU features", "test loss", at_least=10,
        usually="350 to 1,100 times it at three seeds", relative_to="the test loss at m = 4,000"),
    "random_features_wide_test_loss": Expectation(
        "02_overfitting", "minimum-norm least squares on m = 4,000 random ReLU features", "test loss", at_most=1,
        strict=True, fmt=".2f", usually="about 0.75 times it", relative_to="the best with m < 400"),
    "backprop_max_rel_err_autograd": Expectation("03_backprop", "hand-derived gradients against autograd (float32)",
        "largest relative error", at_most=1e-5, strict=True, usually="a few times 1e-7"),
    "backprop_max_rel_err_numeric": Expectation(
        "03_backprop", "hand-derived gradients against finite differences (float64)", "largest relative error",
        at_most=1e-6, strict=True, usually="around 1e-9"),
    "backprop_forgotten_penalty_err": Expectation(
        "03_backprop", "W1's penalty term forgotten", "relative error of W1 against finite differences", fmt=".0e",
        at_least=1e-2, usually="far above the others: the check catches the bug"),
    "backprop_handmade_test_acc": _accuracy("03_backprop", "MLP trained with hand-derived gradients", 0.85,
                                            "about 0.88"),
    "backprop_autograd_test_acc": _accuracy("03_backprop", "MLP trained with autograd", 0.85, "about 0.88"),
    "backprop_copies_param_gap": Expectation(
        "03_backprop", "hand-derived and autograd copies after training, parameters", "largest relative error",
        at_most=1e-3, strict=True, usually="1e-6 to 1e-4: float32 rounding, grown over 10 epochs"),
    "backprop_sigmoid_grad_var": Expectation("03_backprop", "20 sigmoid layers, weights of variance 1/256",
        "gradient variance at layer 1", fmt=".0e", at_most=1e-10, strict=True, usually="vanished"),
    "backprop_tanh_grad_var": Expectation(
        "03_backprop", "20 tanh layers, weights of variance 1/256", "gradient variance at layer 1", fmt=".0e",
        at_least=1e-10, strict=True, usually="about 0.1: it does not vanish"),
    "backprop_n01_gain": Expectation(
        "03_backprop", "20 tanh layers from N(0, 1): gradient variance gain per layer", "observed", at_least=0.9,
        at_most=1.2, usually="1.0 to 1.03 times it", relative_to="the predicted 256 E[tanh'²]"),
    "backprop_relu_xavier_grad_ratio": Expectation(
        "03_backprop", "20 ReLU layers, Xavier weights", "gradient variance, layer 1 over layer 20", fmt=".0e",
        at_most=1e-3, usually="about 2e-6: halved at every layer"),
    "backprop_relu_he_grad_ratio": Expectation("03_backprop", "20 ReLU layers, He weights",
        "gradient variance, layer 1 over layer 20", fmt="g", at_least=0.05, at_most=20, usually="about 1: kept"),
    "backprop_deep_small_init_loss": Expectation("03_backprop", "10 tanh layers from N(0, 0.01²), 200 SGD steps",
        "training loss, last 20 steps", fmt=".2f", at_least=2.2, usually="2.30 = ln 10: it does not train"),
    "backprop_deep_xavier_loss": Expectation("03_backprop", "10 tanh layers from Xavier, 200 SGD steps",
        "training loss, last 20 steps", fmt=".2f", at_most=1.0, usually="about 0.5"),
    "backprop_deep_relu_he_loss": Expectation(
        "03_backprop", "20 ReLU layers from He, 200 SGD steps (the higher start)", "training loss, last 20 steps",
        at_most=0.6, usually="about a third of it", relative_to="Xavier's (its lower start)"),
    "lenet_classic_test_acc": _accuracy("04_cnn", "LeNet, classic (sigmoid, average pooling)", 0.83,
                                        "about 0.85"),
    "lenet_modern_test_acc": _accuracy("04_cnn", "LeNet, modernized", 0.89, "about 0.91"),
    "lenet_shift_loss": Expectation(
        "04_cnn", "LeNet, modernized, test images shifted by 1 pixel", "accuracy lost", at_most=1, strict=True,
        usually="well below it", relative_to="what the MLP loses"),
    "lenet_ablation_sgd_val_acc": Expectation(
        "04_cnn", "LeNet, classic, SGD at 0.1 (section 4.7, best of three seeds)", "validation accuracy", at_most=0.6,
        relative_to="run 6's worst seed (the same SGD, with ReLU)", usually="about 0.13 times it: on the plateau"),
    "lenet_ablation_relu_sgd_val_acc": Expectation(
        "04_cnn", "LeNet, classic but with ReLU, SGD at 0.1 (section 4.7, worst of three seeds)",
        "validation accuracy", at_least=0.7, usually="about 0.75: off the plateau"),
    "lenet_ablation_relu_val_acc": Expectation(
        "04_cnn", "LeNet, max pooling and ReLU (section 4.7, worst of three seeds)", "validation accuracy",
        at_least=0.83, usually="about 0.84"),
    "lenet_ablation_bn_val_acc": Expectation(
        "04_cnn", "LeNet, modernized (section 4.7, median of three seeds)", "validation accuracy", at_least=1,
        relative_to="the ReLU network's median", usually="2 to 4 points higher"),
    "conv_max_difference": Expectation(
        "04_cnn", "our cross-correlations and layer, against nn.Conv2D", "largest difference", at_most=1e-4,
        strict=True, usually="about 1e-6"),
    "conv_kernel_error": Expectation("04_cnn", "1x2 kernel learned by gradient descent",
                                     "largest distance from [1, -1]", fmt=".2f", at_most=0.01, strict=True),
    "conv_shape_mismatches": Expectation(
        "04_cnn", "output-size formula and pool2d against Gluon", "settings that disagree", at_most=0),
    "alexnet_test_acc": _accuracy("05_modern_cnn", "AlexNet-style", 0.89, "about 0.91"),
    "bn_scratch_test_acc": _accuracy("05_modern_cnn", "deep MLP with batch normalization from scratch", 0.87,
                                     "about 0.88"),
    "vgg_test_acc": _accuracy("05_modern_cnn", "VGG-style", 0.91, "about 0.92"),
    "nin_test_acc": _accuracy("05_modern_cnn", "NiN-style", 0.88, "about 0.91"),
    "googlenet_test_acc": _accuracy("05_modern_cnn", "GoogLeNet-style", 0.90, "about 0.91"),
    "resnet_test_acc": _accuracy("05_modern_cnn", "ResNet-style", 0.92, "about 0.93"),
    "bn_max_difference": Expectation("05_modern_cnn", "BatchNormScratch against nn.BatchNorm",
                                     "largest difference", at_most=1e-4, strict=True, usually="a few times 1e-6"),
    "lenet_recipe_test_acc": _accuracy("05_modern_cnn", "LeNet (chapter 4), flips only", 0.89, "about 0.91"),
    "lenet_crops_test_acc": Expectation(
        "05_modern_cnn", "LeNet, flips and crops", "test accuracy", at_least=0.97,
        relative_to="the LeNet trained without crops", usually="about a point lower: 0.98 to 1 times it"),
    "shift2_acc_without_crops": Expectation(
        "05_modern_cnn", "LeNet (chapter 4), flips only, test images shifted 2 pixels", "test accuracy",
        at_least=0.5, usually="about 0.8, far below its accuracy on the unshifted images"),
    "shift2_acc_with_crops": Expectation(
        "05_modern_cnn", "LeNet, flips and crops, test images shifted 2 pixels", "test accuracy", at_least=1.05,
        relative_to="the LeNet trained without crops", usually="about its accuracy on the unshifted images"),
    "plain_deep_train_loss": Expectation(
        "05_modern_cnn", "plain stack of 32 weight layers, 6 epochs on 4,000 images", "final training loss",
        at_least=1.2, strict=True, relative_to="the 8-layer plain stack's", usually="about 1.45 to 1.85 times it"),
    "residual_deep_train_loss": Expectation(
        "05_modern_cnn", "residual stack of 32 weight layers, the same training", "final training loss",
        at_most=0.8, strict=True, relative_to="the 32-layer plain stack's", usually="0.45 to 0.6 times it"),
    "bn_lr1_val_acc_gain": Expectation(
        "05_modern_cnn", "4-hidden-layer MLP, SGD at learning rate 1",
        "validation accuracy with batch normalization minus without", at_least=0.1,
        usually="0.55 to 0.7: 0.65 to 0.8 with it, chance (0.1) or near it without", fmt=".1f"),
    "rnn_scratch_val_ppl": Expectation("06_rnn_lstm", "character-level RNN, from scratch", "validation perplexity",
                                       at_most=1, strict=True, usually="about 5", relative_to="the unigram model's"),
    "rnn_gluon_tanh_val_ppl": Expectation(
        "06_rnn_lstm", "RNN (tanh, 128 units), Gluon: our RNN in a fused layer", "validation perplexity",
        at_least=0.9, at_most=1.1, relative_to="the from-scratch RNN's", usually="about the same (1.00 to 1.01)"),
    "rnn_concise_val_ppl": Expectation("06_rnn_lstm", "character-level RNN (ReLU, 256 units), Gluon",
                                       "validation perplexity", at_most=6.0, usually="about 4.2"),
    "rnn_gluon_tanh256_val_ppl": Expectation(
        "06_rnn_lstm", "RNN (tanh, 256 units), Gluon, at the same rate", "validation perplexity", at_least=1.5,
        relative_to="the ReLU RNN's", usually="about 2.2 to 2.3: near the bigram's 9.6, it stalls"),
    "gru_concise_val_ppl": Expectation("06_rnn_lstm", "character-level GRU, Gluon", "validation perplexity",
                                       at_most=5.0, usually="about 4.4"),
    "lstm_concise_val_ppl": Expectation("06_rnn_lstm", "character-level LSTM, Gluon", "validation perplexity",
                                        at_most=5.0, usually="about 4.35"),
    "rnn_clipped_val_ppl": Expectation(
        "06_rnn_lstm", "RNN, one epoch at learning rate 4, with clipping", "validation perplexity", at_most=1,
        strict=True, usually="7 to 9", relative_to="the unigram model's"),
    "rnn_scratch_max_difference": Expectation("06_rnn_lstm", "RNN from scratch against Gluon's (tanh) layer",
                                              "largest difference", at_most=1e-5, strict=True),
    "lstm_scratch_max_difference": Expectation("06_rnn_lstm", "LSTM from scratch against Gluon's layer",
                                               "largest difference", at_most=1e-5, strict=True),
    "gru_scratch_max_difference": Expectation(
        "06_rnn_lstm", "GRU from scratch (MXNet's variant) against Gluon's layer", "largest difference", at_most=1e-5,
        strict=True),
    "ngram_best_val_ppl": Expectation(
        "06_rnn_lstm", "character n-gram, interpolated absolute discounting (d = 0.75), best order",
        "validation perplexity", at_most=4.5,
        usually="4.19, the same at every seed (counting draws no random numbers)"),
    "ngram_best_order": Expectation("06_rnn_lstm", "the best n-gram model", "order n", at_least=3, at_most=7,
                                    usually="5", fmt="g"),
    "lstm_gradient_reach_16": Expectation(
        "06_rnn_lstm", "LSTM, Gluon: gradient 16 characters back, relative to the last character's",
        "gradient norm", at_least=0.1, at_most=10, relative_to="the Gluon RNN's",
        usually="about the same: both have all but vanished by then"),
    "lstm_forget_gate_mean": Expectation(
        "06_rnn_lstm", "LSTM, Gluon, trained: forget gate over validation pieces", "mean", at_most=0.6,
        usually="about 0.46, below its start near 0.5", fmt=".2f"),
    "lstm_forget_bias1_gradient_reach_16": Expectation(
        "06_rnn_lstm", "LSTM, Gluon, forget bias 1 at the start: gradient 16 characters back", "gradient norm",
        at_least=1.2, relative_to="the LSTM's with bias 0", usually="two to three times it (2.0 to 2.8)"),
    "lstm_forget_bias1_val_ppl": Expectation(
        "06_rnn_lstm", "LSTM, Gluon, forget bias 1 at the start", "validation perplexity", at_least=0.97,
        at_most=1.1, relative_to="the LSTM's with bias 0", usually="about the same (1.01 to 1.02)"),
    "best_network_val_ppl": Expectation(
        "06_rnn_lstm", "2-layer LSTM on an embedding, with dropout and Adam", "validation perplexity", at_most=0.9,
        usually="about 3.7", relative_to="the best n-gram model's"),
    "playground_xor_linear_test_acc": Expectation("07_playground", "XOR, linear model on x1, x2", "test accuracy",
        at_most=0.65, strict=True, usually="about 0.5"),
    "playground_xor_hidden_test_acc": Expectation(
        "07_playground", "XOR, one hidden layer of 4 ReLU units (of 3 starts, the lowest training loss)",
        "test accuracy", at_least=0.95, strict=True),
    "playground_xor_unit_cosine": Expectation("07_playground", "the same network's 4 units",
        "smallest cosine to the formula's directions", at_least=0.9, usually="0.98 or more", fmt=".3f"),
    "playground_spiral_deep_test_acc": Expectation(
        "07_playground", "spiral on x1, x2: three hidden layers of 8 ReLU units (median of 3 starts)",
        "test accuracy", at_least=0.70, strict=True, usually="0.8 to 0.97"),
    "playground_spiral_wide_test_acc": Expectation(
        "07_playground", "the same, one hidden layer of 44 ReLU units (as many parameters)", "test accuracy",
        at_most=0.85, usually="0.6 to 0.7 of it", relative_to="the three layers'"),
    "playground_lr_small_test_acc": Expectation(
        "07_playground", "circle, hidden layers of 4 and 2 tanh units, learning rate 0.03", "test accuracy",
        at_least=0.9, usually="0.99 or more"),
    "playground_lr_too_large_test_acc": Expectation("07_playground", "the same network at learning rate 3",
        "test accuracy", at_most=1, strict=True, usually="0.5 to 0.8", relative_to="the rate 0.03's"),
    "playground_lr_saturated_share": Expectation(
        "07_playground", "the rate-3 network, first layer after the 100 epochs at 0.03",
        "share of saturated outputs", at_least=0.8, usually="0.95 or more", fmt=".2f"),
    "playground_lr_rescaled_test_acc": Expectation(
        "07_playground", "the rate-3 network shrunk to its starting weight norms, then 100 epochs at 0.03",
        "test accuracy", at_least=0.75, usually="0.82 to 1.0 at seeds 3, 4, 7, 101 and 202"),
    "playground_linear_activation_circle_acc": Expectation(
        "07_playground", "circle, hidden layers of 4 and 2 linear units", "test accuracy", at_most=0.7,
        usually="about 0.5"),
    "playground_overfit_gap": Expectation(
        "07_playground", "noisy circle, 100 training points, 3 layers of 8 tanh units", "train minus test accuracy",
        at_least=0, strict=True, usually="0.06 to 0.16", fmt=".3f"),
    "playground_overfit_test_loss_rise": Expectation("07_playground", "the noisy circle's network without a penalty",
        "final test loss", at_least=1, strict=True, usually="well above it", relative_to="its lowest during training"),
    "playground_l2_gap": Expectation(
        "07_playground", "the same with an L2 penalty of rate 0.03", "train minus test accuracy", at_most=1,
        strict=True, usually="0.8 of it or less", relative_to="the gap without a penalty"),
    "playground_lr_recovered_test_acc": Expectation(
        "07_playground", "the rate-3 network after 100 more epochs at 0.03", "test accuracy", at_most=0.9,
        usually="within 0.01 of where the rate 3 left it", relative_to="the rate 0.03's"),
    "playground_l2_test_loss": Expectation(
        "07_playground", "the noisy circle's network with L2 0.03", "final test loss", at_most=1, strict=True,
        usually="0.65 to 0.8 of it", relative_to="its test loss without a penalty"),
    "playground_multigauss_test_loss": Expectation("07_playground", "multigauss, 2 layers of 8 tanh units, 200 epochs",
        "test loss", at_most=0.5, usually="0.25 to 0.35 of it", relative_to="the loss of predicting 0 everywhere"),
}


def expectation(name: str) -> Expectation:
    """The expectation of the result ``name``; ValueError if it has none."""
    if name not in EXPECTATIONS:
        raise ValueError(f"name must be a result with an expectation ({', '.join(EXPECTATIONS)}), got {name!r}")
    return EXPECTATIONS[name]


def for_chapter(chapter: str) -> dict[str, Expectation]:
    """The expectations of one chapter's results, by name (empty for a chapter with none)."""
    manifest.chapter(chapter)  # rejects unknown chapters
    return {name: e for name, e in EXPECTATIONS.items() if e.chapter == chapter}


def time_budget(chapter: str) -> float:
    """Seconds the chapter (notebook name without .ipynb) may take, top to bottom in a fresh kernel."""
    return manifest.chapter(chapter).seconds


def _number(name: str, value) -> float:
    """``value`` as a float; ValueError naming ``name`` if it is not a number (``True`` is not)."""
    if isinstance(value, bool) or not hasattr(value, "__float__"):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


def meets(name: str, value: float, reference: float | None = None) -> bool:
    """Whether ``value`` meets the expectation of ``name`` (NaN never does); a relative one needs ``reference``."""
    e = expectation(name)
    x = _number("value", value)
    if e.relative_to and reference is None:
        raise ValueError(f"reference must be given for {name}, whose bound is relative to {e.relative_to}")
    if not e.relative_to and reference is not None:
        raise ValueError(f"reference must be None for {name}, whose bound is absolute, got {reference!r}")
    scale = 1.0 if reference is None else _number("reference", reference)
    if math.isnan(x) or math.isnan(scale):
        return False
    if e.at_least is not None and (x <= e.at_least * scale if e.strict else x < e.at_least * scale):
        return False
    return not (e.at_most is not None and (x >= e.at_most * scale if e.strict else x > e.at_most * scale))


def _written(value: float, e: Expectation) -> str:
    """A bound as the book writes it: 0.84, 5.0, 1e-5; a relative bound's factor as 1, 10, 0.1."""
    text = format(value, "g" if e.relative_to else e.bound_format)
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{'-' if m.group(1) == '-' else ''}{m.group(2)}", text)


def describe(name: str) -> str:
    """The bound of the result ``name`` in symbols: ``">= 0.84"``, ``"<= 5.0"``, ``"< 1 x the unigram model's"``."""
    e = expectation(name)
    of = f" x {e.relative_to}" if e.relative_to else ""
    parts = []
    if e.at_least is not None:
        parts.append(f"{'>' if e.strict else '>='} {_written(e.at_least, e)}{of}")
    if e.at_most is not None:
        parts.append(f"{'<' if e.strict else '<='} {_written(e.at_most, e)}{of}")
    return " and ".join(parts)


def _relative_words(e: Expectation) -> str:
    """A relative bound for readers: "below the unigram model's", "at least 10 times its training loss"."""
    bound, above = (e.at_least, True) if e.at_least is not None else (e.at_most, False)
    if bound == 1:
        word = ("above" if above else "below") if e.strict else ("at least" if above else "at most")
        return f"{word} {e.relative_to}"
    word = ("more than" if above else "less than") if e.strict else ("at least" if above else "at most")
    return f"{word} {_written(bound, e)} times {e.relative_to}"


def in_words(name: str) -> str:
    """The bound of the result ``name`` for readers: ``"0.84 or more"``, ``"at most 5.0"``, ``"below 0.65"``."""
    e = expectation(name)
    if e.relative_to:
        if e.at_least is not None and e.at_most is not None:
            return (f"between {_written(e.at_least, e)} and {_written(e.at_most, e)} times "
                    f"{e.relative_to}")
        return _relative_words(e)
    low = None if e.at_least is None else _written(e.at_least, e)
    high = None if e.at_most is None else _written(e.at_most, e)
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f"above {low}" if e.strict else f"{low} or more"
    if e.at_most == 0 and not e.strict:
        return "none"
    return f"below {high}" if e.strict else f"at most {high}"
