"""bench.language_model: each variant changes exactly what it says, and a run reports it."""
from dataclasses import asdict

import numpy
import pytest

from bench import language_model as lm
from d2lhelpers import text


def test_each_variant_changes_one_ingredient_of_the_recipe():
    recipe = asdict(lm.Recipe())
    assert lm.recipe_of("recipe") == lm.Recipe()
    for name, (_, changes) in lm.VARIANTS.items():
        variant = asdict(lm.recipe_of(name))
        changed = {key for key in recipe if variant[key] != recipe[key]}
        assert changed == set(changes), name
    assert lm.recipe_of("one-layer", epochs=2).epochs == 2
    with pytest.raises(ValueError, match="variant must be one of recipe, one-hot"):
        lm.recipe_of("two-layer")


def test_a_tiny_recipe_trains_and_is_reported():
    vocab = text.Vocab("abcdefgh")
    rng = numpy.random.default_rng(0)
    train_corpus, val_corpus = rng.integers(1, 9, size=2000), rng.integers(1, 9, size=1100)
    recipe = lm.Recipe(embed_size=4, num_hiddens=8, num_layers=1, dropout=0.1, batch_size=4, num_steps=8, epochs=1)
    row = lm.train_recipe(recipe, vocab, train_corpus, val_corpus)
    assert set(row) == {"val_ppl", "best_val_ppl", "train_ppl", "seconds"}
    assert 1 < row["val_ppl"] < 2 * len(vocab) and row["best_val_ppl"] == row["val_ppl"]  # one epoch
    results = {"date": "2026-12-05", "seed": 6, "cpus": 2, "ngram_order": 5, "ngram_ppl": 4.2,
               "variants": {"one-layer": {"recipe": asdict(recipe), **row}}}
    report = lm.markdown(results)
    assert "0.9 times that is 3.780" in report
    assert f"| one-layer | one LSTM layer instead of two | 1 | {row['val_ppl']:.3f} |" in report


def test_partial_runs_reject_bad_epochs(capsys):
    with pytest.raises(SystemExit):
        lm.main(["--epochs", "0"])
    assert "--epochs must be a positive integer, got 0" in capsys.readouterr().err
