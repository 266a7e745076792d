"""bench.modern_cnn_recipe: it runs chapter 5's own code, each variant changes one thing, and a run is reported."""
import math

import pytest
from mxnet.gluon import nn

from bench import modern_cnn_recipe as recipe


def test_each_variant_changes_one_setting_of_its_networks_chapter_choice():
    base = {network: (lr, dropout) for network, lr, dropout, what in recipe.VARIANTS.values()
            if what.startswith("the chapter's")}
    assert base == {"alexnet": (0.003, 0.5), "vgg": (0.01, 0.2)}
    for name, (network, lr, dropout, what) in recipe.VARIANTS.items():
        changed = [lr != base[network][0], dropout != base[network][1]]
        assert sum(changed) == (0 if what.startswith("the chapter's") else 1), name
        assert name.startswith(network)


@pytest.fixture(scope="module")
def chapter():
    return recipe.chapter_code()


def test_the_chapter_code_is_executed_and_the_test_set_left_out(chapter):
    assert {"fit", "alexnet", "vgg", "conv_bn", "train_batches", "validation_batches"} <= set(chapter)
    assert chapter["NUM_EPOCHS"] == 4
    assert all(math.isnan(a) for a in chapter["test_accuracy"](None))


def test_with_dropout_replaces_every_dropout_layer_and_nothing_else(chapter):
    net = recipe.with_dropout(chapter["alexnet"](), 0.2)
    rates = [block._rate for block in net if isinstance(block, nn.Dropout)]
    assert rates == [0.2, 0.2]
    assert [type(block) for block in net] == [type(block) for block in chapter["alexnet"]()]
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\), got 1.5"):
        recipe.with_dropout(chapter["alexnet"](), 1.5)


def test_unknown_variants_and_missing_cells_are_named():
    with pytest.raises(ValueError, match="variant must be one of alexnet, alexnet-lr-0.001"):
        recipe.train_variant("resnet", {})
    with pytest.raises(ValueError, match=r"has no cells \['nosuchcell'\]"):
        recipe.chapter_code(("nosuchcell",))


def test_the_report_has_one_row_per_variant():
    row = {"network": "vgg", "lr": 0.03, "dropout": 0.2, "val_acc": 0.91234, "best_val_acc": 0.915,
           "train_loss": 0.2, "seconds": 41.2}
    report = recipe.markdown({"date": "2026-12-06", "seed": 5, "cpus": 2, "variants": {"vgg-lr-0.03": row}})
    assert "| vgg-lr-0.03 | vgg | peak rate 0.03 instead of 0.01 | 0.03 | 0.2 | 0.9123 | 0.9150 | 0.200 | 41 |" \
        in report
    assert "The test set is not used." in report
