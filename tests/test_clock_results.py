"""Chapter 03's tables and figures of trained readers, on hand-made runs (no training)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from labkit.clocks import results as R
from labkit.clocks.training import Run


def _run(true, pred, seconds=(2.0, 1.0), name="r") -> Run:
    history = {"loss": [1.0, 0.5], "hour_loss": [0.6, 0.3], "minute_loss": [0.4, 0.2],
               "val_cse": [100.0, 50.0]}  # fmt: skip
    return Run(name, {}, history, list(seconds), 123, np.array(pred), np.array(true))


TRUE = [[0, 0], [3, 58], [11, 59], [6, 30], [4, 5]]
PRED = [[0, 0], [2, 58], [0, 1], [6, 31], [5, 5]]  # errors 0, 60, 2, 1, 60


def test_compare_gives_one_row_per_run_with_its_scores():
    run = _run(TRUE, PRED)
    table = R.score_table({"a": run}, {"a": "title a"})
    row = table.loc["a"]
    assert row["what"] == "title a"
    assert row["cse_minutes"] == pytest.approx((0 + 60 + 2 + 1 + 60) / 5)
    assert row["hour_accuracy"] == pytest.approx(2 / 5)  # 0:00 and 6:31 have the right hour
    assert row["minute_accuracy"] == pytest.approx(3 / 5)
    assert (row["epochs"], row["first_epoch_seconds"], row["train_seconds"]) == (2, 2.0, 3.0)


def test_seed_table_gives_mean_and_spread_over_seeds_per_row():
    runs = {
        ("cnn", "sgd", 0): _run(TRUE, PRED, seconds=(2.0, 1.0)),
        ("cnn", "sgd", 1): _run(TRUE, TRUE, seconds=(4.0, 3.0, 2.0)),
        ("cnn", "adam", 0): _run(TRUE, TRUE, seconds=(3.0,)),
    }
    table = R.seed_table(runs, by=("model", "optimizer"))
    sgd = table.loc[("cnn", "sgd")]
    assert sgd["first_epoch_s"] == 3.0 and sgd["first_epoch_sd"] == pytest.approx(np.sqrt(2))
    # later epochs: seed 0 has 1.0, seed 1 the mean of 3.0 and 2.0; the epochs trained 2 and 3
    assert sgd["later_epoch_s"] == pytest.approx((1.0 + 2.5) / 2)
    assert sgd["later_epoch_sd"] == pytest.approx(np.std([1.0, 2.5], ddof=1))
    assert sgd["epochs"] == 2.5
    assert np.isnan(table.loc[("cnn", "adam"), "later_epoch_s"])  # one epoch: no later one
    assert sgd["cse_minutes"] == pytest.approx(123 / 5 / 2) and sgd["seeds"] == 2
    assert sgd["cse_sd"] == pytest.approx(np.std([123 / 5, 0.0], ddof=1))
    assert sgd["hour_accuracy"] == pytest.approx((2 / 5 + 1) / 2)
    assert np.isnan(table.loc[("cnn", "adam"), "cse_sd"])  # one seed: no spread
    assert list(table.index) == [("cnn", "sgd"), ("cnn", "adam")]  # in the order given


def test_ranking_text_ranks_only_beyond_the_spread_and_names_chance():
    import pandas as pd

    table = pd.DataFrame(
        {"cse_minutes": [5.0, 3.0, 40.0, 179.0], "cse_sd": [1.5, 1.0, 2.0, 1.0],
         "seeds": [2, 2, 2, 2]},
        index=["a", "b", "c", "d"],
    )  # fmt: skip
    text = R.ranking_text(table)
    assert text.startswith("**b** reads best: 3.0 ± 1.0 minutes (mean ± sd over 2 seeds).")
    assert "not ranked: a (5.0 ± 1.5)" in text  # 2.0 apart, inside 1.0 + 1.5
    assert "Worse by more than the spread: c (40.0 ± 2.0)" in text
    assert "At chance (above 150 minutes): d (179.0 ± 1.0)" in text
    at_chance = table.assign(cse_minutes=[170.0, 175.0, 180.0, 181.0])
    assert R.ranking_text(at_chance).startswith("Every row is at chance")
    one = table.assign(seeds=1, cse_sd=np.nan)
    assert "no spread" in R.ranking_text(one) and "Then: a (5.0)" in R.ranking_text(one)
    assert "Worse" not in R.ranking_text(one)


def test_mirror_table_scores_each_half_against_the_label_and_the_mirror_time():
    true = np.array([[3, 0], [3, 0], [11, 59], [0, 0]])
    # unmirrored read right; mirrored 3:00 read 9:00 (its mirror time), 11:59 read 0:01
    pred = np.array([[3, 0], [9, 0], [0, 1], [0, 0]])
    mirrored = np.array([False, True, True, False])
    table = R.mirror_table(true, pred, mirrored)
    assert table.loc["unmirrored"].tolist() == [2, 0.0, pytest.approx((360 + 0) / 2)]
    assert table.loc["mirrored", "clocks"] == 2
    assert table.loc["mirrored", "cse_minutes"] == pytest.approx((360 + 2) / 2)
    assert table.loc["mirrored", "cse_vs_mirror_time"] == 0.0
    assert table.loc["all clocks", "cse_minutes"] == pytest.approx(362 / 4)


def test_random_predictions_are_seeded_rows_of_table_6():
    run = _run(TRUE, PRED)
    table = R.random_predictions(run, k=3, seed=1)
    assert len(table) == 3 and list(table.columns) == ["predicted", "true", "error (min)"]
    assert table.equals(R.random_predictions(run, k=3, seed=1))
    errors = R.errors_of(TRUE, PRED)
    for i, row in table.iterrows():
        assert row["true"] == R.fmt_time(*TRUE[i]) and row["predicted"] == R.fmt_time(*PRED[i])
        assert row["error (min)"] == errors[i]
    assert len(R.random_predictions(run, k=50)) == 5  # never more than the test clocks


def test_off_by_one_hour_counts_wrong_hours_with_right_minutes_near_the_full_hour():
    counts = R.off_by_one_hour(_run(TRUE, PRED))
    # 3:58 read 2:58 (near the full hour) and 4:05 read 5:05 (near too: minute <= 10)
    assert counts == {"off_by_one_hour": 2, "near_full_hour": 2, "n_test": 5}
    far = R.off_by_one_hour(_run([[3, 30]], [[4, 30]]))
    assert far == {"off_by_one_hour": 1, "near_full_hour": 0, "n_test": 1}
    assert R.off_by_one_hour(_run([[3, 30]], [[3, 40]]))["off_by_one_hour"] == 0


def test_hour_slips_say_what_the_hours_read_one_off_cost():
    a, b = _run(TRUE, PRED), _run(TRUE, [[0, 0], [3, 58], [0, 1], [6, 31], [5, 5]])
    table = R.hour_slips({"time labels": {0: a, 1: b}, "generator labels": {0: b}})
    row = table.loc[("time labels", 0)]
    assert row["off_by_one_hour"] == 2 and row["cse_minutes"] == 24.6  # (60 + 2 + 1 + 60) / 5
    assert row["their_minutes"] == 24.0 and abs(row["without_them"] - 0.6) < 1e-12
    assert table.loc[("time labels", 1), "off_by_one_hour"] == 1
    text = R.hour_slips_text(table)
    assert text.startswith("**time labels** (2 seeds): 1-2 test clocks read an hour off")
    assert (
        "cost 12.00-24.00 min of its mean error (12.60-24.60); with those hours right it "
        "would read 0.60 min." in text
    )
    assert "**generator labels** (1 seed): 1 test clocks" in text


def test_errors_of_matches_the_metric():
    np.testing.assert_array_equal(R.errors_of(TRUE, PRED), [0, 60, 2, 1, 60])
    assert R.fmt_time(3, 7) == "3:07"


def test_figures_draw_what_they_are_given():
    run = _run(TRUE, PRED)
    ax = R.error_histogram({"final": run.errors})
    assert "mean 24.6" in ax.get_legend().get_texts()[0].get_text()
    fig = R.curves({"final": run})
    left, right = fig.axes[:2]
    assert [line.get_label() for line in left.get_lines()] == ["final", "hour", "minute"]
    np.testing.assert_array_equal(right.get_lines()[0].get_ydata(), [100.0, 50.0])
    images = np.zeros((5, 20, 20), np.uint8)
    worst = R.worst(run, images, k=2)
    titles = [a.get_title() for a in worst.axes if a.get_title()]
    assert titles[0].startswith("true 3:58\nread 2:58") or titles[0].startswith("true 4:05")
    assert len(titles) == 2
    plt.close("all")


def test_errors_by_group_counts_averages_and_names_a_mismatch():
    errors = [0, 60, 2, 1, 60]
    table = R.errors_by(errors, ["all", "none", "all", "all", "none"], "numerals")
    assert table.index.name == "numerals" and list(table.index) == ["all", "none"]
    assert table.loc["all", "clocks"] == 3 and table.loc["none", "clocks"] == 2
    assert table.loc["all", "cse_minutes"] == pytest.approx(1.0)
    assert table.loc["none", "cse_minutes"] == pytest.approx(60.0)
    assert table.loc["all", "within_1_min"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="5 errors but 4 group labels"):
        R.errors_by(errors, ["all"] * 4, "numerals")


def test_a_reader_over_seeds_is_recorded_with_its_spread_and_test_error():
    a = _run(TRUE, PRED)  # errors 0, 60, 2, 1, 60: mean 24.6
    b = _run(TRUE, TRUE)  # all read exactly
    record = R.reader_record({0: a, 1: b})
    assert record["seeds"] == [0, 1]
    assert record["per_seed"][0]["cse"] == pytest.approx(24.6)
    assert record["per_seed"][0]["within_1_min"] == pytest.approx(2 / 5)
    assert record["per_seed"][0]["exact"] == pytest.approx(1 / 5)
    assert record["per_seed"][0]["hour_accuracy"] == pytest.approx(2 / 5)  # 0:00 and 6:30
    assert record["per_seed"][1]["test_se"] == 0.0
    se = np.std([0, 60, 2, 1, 60], ddof=1) / np.sqrt(5)
    assert record["test_se"] == pytest.approx(se / 2)
    assert record["cse_mean"] == pytest.approx(12.3)
    assert record["cse_sd"] == pytest.approx(np.std([24.6, 0.0], ddof=1))
    assert record["within_1_min"] == pytest.approx((0.4 + 1.0) / 2)
    assert R.reader_record({3: b})["cse_sd"] is None
    with pytest.raises(ValueError, match="at least one run"):
        R.reader_record({})


def test_the_readings_of_table_6_are_told_and_a_collapsed_model_is_named():
    run = _run(TRUE, PRED)  # errors 0, 60, 2, 1, 60
    table = R.random_predictions(run, k=5)
    text = R.readings_text(table, run)
    assert "1 is read exactly, 2 within 5 minutes, 2 with the hour off by one" in text
    assert "0 further off" in text and "collapsed" not in text
    many = 100
    true = [[h % 12, (7 * h) % 60] for h in range(many)]
    stuck = _run(true, [[11, 56]] * 10 + true[10:])  # 10 % read 11:56
    text = R.readings_text(R.random_predictions(stuck, k=10), stuck)
    assert "collapsed: it reads 11:56 for 10 of its 100 test clocks (10%" in text
    fine = _run(true, true)
    assert "collapsed" not in R.readings_text(R.random_predictions(fine, k=10), fine)
