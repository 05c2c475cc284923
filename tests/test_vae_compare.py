"""Chapter 04's comparisons in words: each sentence follows the numbers it is given."""

from __future__ import annotations

import pandas as pd
import pytest

from labkit.vae import compare


def _table(base: tuple, variant: tuple) -> pd.DataFrame:
    cols = ["iwae_nll", "elbo_nll", "kl", "reconstruction"]
    tables = {
        "VAE": pd.DataFrame([dict(zip(cols, base, strict=True))]),
        "AR": pd.DataFrame([dict(zip(cols, variant, strict=True))]),
    }
    return compare.side_by_side(tables)


def test_side_by_side_means_and_gap():
    t = _table((90.0, 94.0, 24.0, 70.0), (90.05, 92.0, 12.0, 80.0))
    assert t.loc["VAE", "gap"] == pytest.approx(4.0) and t.loc["AR", "seeds"] == 1
    with pytest.raises(ValueError, match="no seeds"):
        compare.side_by_side({"x": pd.DataFrame(columns=["iwae_nll"])})


def test_a_tighter_elbo_with_the_same_bound_is_called_a_closed_gap_and_a_tie():
    t = _table((90.0, 94.0, 24.0, 70.0), (90.05, 92.0, 12.0, 80.0))
    text = compare.variant_text(t, "VAE", "AR", k=100, images=5000)
    assert "a tie" in text and "keeps the simpler model, the VAE" in text
    assert "2.00 nats tighter" in text and "0.50 times" in text
    assert "gap between the ELBO and log p(x) closing" in text


def test_a_lower_bound_is_chosen_and_a_bound_that_moves_with_the_elbo_said_so():
    t = _table((90.0, 94.0, 24.0, 70.0), (88.0, 92.0, 20.0, 72.0))
    text = compare.variant_text(t, "VAE", "AR", k=100, images=5000)
    assert "the AR's bound is lower by 2.00 nats: validation chooses it" in text
    assert "closing" not in text and "changes the model's likelihood" in text
    worse = compare.variant_text(_table((88.0, 92.0, 20, 72), (90.0, 94.0, 24, 70)), "VAE",
                                 "AR", k=100, images=10)  # fmt: skip
    assert "the VAE's bound is lower" in worse and "though the headline" not in worse


def test_headline_text_against_the_anchor():
    below = compare.headline_text([86.5, 86.6, 86.7], {1000: [86.8, 86.9, 87.0]}, k=5000,
                                  anchor=86.76, anchor_k=5000, images=10_000)  # fmt: skip
    assert "**below it** by 0.16 nats" in below and "every seed is below it" in below
    assert "like for like in k" in below and "k = 1,000 from the same draws 86.90" in below
    above = compare.headline_text([86.9, 86.7], {}, k=1000, anchor=86.76, anchor_k=5000,
                                  images=10_000)  # fmt: skip
    assert "**not below it**" in above and "conservative" in above
    assert "1 of 2 seeds is below it" in above
    # [86.9, 86.7]: sd 0.141, twice the standard error 0.20 > the gap of 0.04; (2 sd / 0.04)^2
    assert "**not decided** at 2 seeds; about 50 seeds would tell" in above
    assert "**decided** at 3 seeds" in below  # 0.16 nats apart, twice the se 0.12
    near = compare.headline_text([86.80, 86.68, 86.81], {}, k=5000, anchor=86.76,
                                 anchor_k=5000, images=10_000)  # fmt: skip
    # mean 86.763, sd 0.072: (2 sd / 0.003)^2 is about 2 300 seeds
    assert (
        "**not decided** at 3 seeds; a difference of 0.003 nats would take more than 1,000" in near
    )


def test_flat_text_says_whether_the_rule_or_the_ceiling_ended_the_fit():
    stopped = compare.flat_text({"val_loss": [5.0, 4.0, 3.99, 3.98]}, 10, 2, 0.05)
    assert "flattened" in stopped and "after 4 of at most 10" in stopped
    ceiling = compare.flat_text({"val_loss": [5.0, 4.0, 3.0]}, 3, 1, 0.05)
    assert "still falling" in ceiling and "1.00 nats" in ceiling


def test_cost_table_sums_parts_and_names_the_costliest() -> None:
    table = compare.cost_table({"training": [600.0, 600.0], "scoring": 1_200.0, "designs": 0.0})
    assert table.loc["training", "minutes"] == pytest.approx(20.0)
    assert table.loc["all the parts", "minutes"] == pytest.approx(40.0)
    assert table.loc["scoring", "share"] == pytest.approx(0.5)
    over = compare.cost_text(table, 30, profile="full")
    assert "over the full profile's budget of 30 min by 10 min" in over
    assert "within" in compare.cost_text(table, 45, profile="full")
    # fits made two at a time: the parts' 40 min of fit time are not the wall clock
    shared = compare.cost_text(table, 30, profile="full", at_once=2, wall_minutes=27.4)
    assert "40 min of fit time" in shared and "**27 min**" in shared
    assert "within the full profile's budget of 30 min" in shared
    late = compare.cost_text(table, 25, profile="full", at_once=2, wall_minutes=27.4)
    assert "over the full profile's budget of 25 min by 2 min" in late
    with pytest.raises(ValueError, match="wall_minutes"):
        compare.cost_text(table, 30, profile="full", at_once=2)
    with pytest.raises(ValueError, match="finite"):
        compare.cost_table({"broken": float("nan")})
