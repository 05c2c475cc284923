"""Chapter 03's claims: each verdict follows the rules, on hand-made tables (no training)."""

from __future__ import annotations

import math

import pandas as pd

from labkit.classifiers import verdicts as v
from labkit.clocks import claims as C


def _table(rows: dict, by: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index")
    if len(by) > 1:
        frame.index = pd.MultiIndex.from_tuples(frame.index, names=by)
    else:
        frame.index.name = by[0]
    return frame


def _row(cse, sd, later=5.0, later_sd=0.1, seeds=2, se=0.5):
    return {"cse_minutes": cse, "cse_sd": sd, "later_epoch_s": later, "later_epoch_sd": later_sd,
            "seeds": seeds, "test_se": se}  # fmt: skip


def _evidence(**changes) -> C.Evidence:
    base = _table(
        {
            ("classifier", "sgd"): _row(172.0, 0.5, later=4.0),
            ("classifier", "adam"): _row(10.0, 3.0, later=3.0),
            ("classifier", "adadelta"): _row(15.0, 4.0, later=3.05),
            ("regression", "sgd"): _row(171.0, 0.5, later=4.0),
            ("regression", "adam"): _row(48.0, 5.0, later=4.1),
            ("regression", "adadelta"): _row(60.0, 0.5, later=3.0),
        },
        ("model", "optimizer"),
    )
    outputs = _table(
        {
            "two_head_equal": _row(10.0, 3.0),
            "two_head": _row(10.2, 3.0),
            "class_720": _row(172.0, 0.2),
            "class_720_cse": _row(40.0, 2.0),
            "one_value": _row(55.0, 1.2),
            "two_values": _row(60.0, 1.0),
            "sincos": _row(20.0, 1.0),
        },
        ("representation",),
    )
    figure5 = _table(
        {
            "contrast (the report)": _row(5.0, 0.3),
            "no contrast": _row(5.1, 0.3),
            "contrast + augmentation": _row(9.0, 0.3),
        },
        ("arm",),
    )
    curves = {0: [185, 184, 183] + [182] * 15 + [60, 20, 10], 1: [185] * 19 + [40, 12]}
    record = {"seeds": [0, 1], "cse_mean": 1.5, "cse_sd": 0.1, "test_se": 0.1}
    ev = C.Evidence(base, outputs, figure5, curves, record,
                    {"one view": [3.4, 3.2], "four views": [1.9, 2.0]})  # fmt: skip
    for k, val in changes.items():
        setattr(ev, k, val)
    return ev


def _by_id(found):
    return {c.id: c for c in found}


def test_each_claim_gets_the_verdict_its_numbers_call_for():
    found = _by_id(C.task3(_evidence()))
    # 3.0 s against 4.0 and 4.1: faster beyond the spread; against 3.05 with sd 0.1: inside it
    assert found["fastest_regression"].verdict == v.CONFIRMED
    assert found["fastest_classifier"].verdict == v.UNDECIDED
    assert "seeds per row" in found["fastest_classifier"].to_decide
    assert found["adam_reads_best"].verdict == v.CONFIRMED  # 10 vs 172
    assert found["adam_vs_adadelta"].verdict == v.UNDECIDED  # 10 ± 3 vs 15 ± 4 on 2 seeds
    assert found["class_720"].verdict == v.CONFIRMED  # 172: at chance, as the report saw
    assert found["one_value"].verdict == v.REFUTED  # 55: it learns
    assert found["cse_loss"].verdict == v.REFUTED  # 40: it converges
    assert found["weights_6_4"].verdict == v.UNDECIDED
    assert found["wrap_around"].verdict == v.CONFIRMED  # (sin, cos) 20 vs 60
    assert found["contrast_helps"].verdict == v.UNDECIDED
    assert found["augment_not_needed"].verdict == v.CONFIRMED  # augmented reads worse
    assert found["figure5_jump"].verdict == v.CONFIRMED  # epochs 19 and 20
    assert found["time_labels"].verdict == v.CONFIRMED  # 1.5 + 2 x 0.12 < 1.89
    assert found["rotation_helps"].verdict == v.CONFIRMED


def test_a_reader_far_above_the_report_refutes_and_one_near_it_is_undecided():
    far = {"seeds": [0, 1], "cse_mean": 120.0, "cse_sd": 50.0, "test_se": 2.0}
    near = {"seeds": [0, 1], "cse_mean": 1.95, "cse_sd": 0.2, "test_se": 0.15}
    assert _by_id(C.task3(_evidence(time_labels=far)))["time_labels"].verdict == v.REFUTED
    assert _by_id(C.task3(_evidence(time_labels=near)))["time_labels"].verdict == v.UNDECIDED


def test_a_miss_while_the_curve_still_falls_is_not_decided():
    far = {"seeds": [0, 1], "cse_mean": 3.25, "cse_sd": 0.39, "test_se": 0.34,
           "one_view_cse": [5.36, 5.6]}  # fmt: skip
    flat = {0: [100, 20, 8, 5.05, 5.0, 5.02, 5.01], 1: [90, 30, 9, 5.3, 5.2, 5.25, 5.3]}
    falling = {0: [100, 20, 8, 6.3, 5.8, 5.7, 5.0], 1: flat[1]}
    found = _by_id(C.task3(_evidence(time_labels=far, time_label_curves=flat)))["time_labels"]
    assert found.verdict == v.REFUTED
    assert "read once per clock" in found.ours and "5.48" in found.ours
    found = _by_id(C.task3(_evidence(time_labels=far, time_label_curves=falling)))["time_labels"]
    assert found.verdict == v.UNDECIDED
    assert "seed 0: 6.30 -> 5.00" in found.to_decide and "seed 1" not in found.to_decide
    assert C.still_falling([10, 9]) and not C.still_falling([5.0])
    # a reader that reaches the report's number is confirmed whatever its curve does
    near = {"seeds": [0, 1], "cse_mean": 1.5, "cse_sd": 0.1, "test_se": 0.1}
    found = _by_id(C.task3(_evidence(time_labels=near, time_label_curves=falling)))
    assert found["time_labels"].verdict == v.CONFIRMED


def test_the_jump_is_none_at_chance_and_refuted_far_from_epoch_20():
    assert C.jump_epoch([185, 184, 183]) is None
    assert C.jump_epoch([185, 100, 90, 80]) == 2
    early = {0: [185, 50, 20, 10], 1: [185, 40, 30, 10]}
    assert _by_id(C.task3(_evidence(figure5_curves=early)))["figure5_jump"].verdict == v.REFUTED
    stuck = {0: [185] * 30, 1: [185] * 30}
    assert _by_id(C.task3(_evidence(figure5_curves=stuck)))["figure5_jump"].verdict == v.UNDECIDED


def test_the_test_clocks_floor_the_spread():
    row = _row(10.0, 0.01, se=0.5)
    est, floor = C.estimate(row)
    assert est.sd == 0.5 and floor == 0.5 and math.isclose(est.se(), 0.5 / math.sqrt(2))
    one = _row(10.0, float("nan"), seeds=1, se=0.5)
    est, floor = C.estimate(one)
    assert math.isnan(est.sd) and est.spread(floor) == 0.5


def test_one_output_is_judged_on_more_clocks_where_they_were_run():
    many = _table({"class_720": _row(30.0, 2.0)}, ("representation",))
    found = _by_id(C.task3(_evidence(many=many, budgets={"many": "24 000 clocks"})))
    assert found["class_720"].verdict == v.REFUTED  # at chance on few clocks, learns on many
    assert found["class_720"].evidence == "24 000 clocks"
    assert found["cse_loss"].verdict == v.REFUTED  # not in many: read from the outputs table


def test_a_missing_row_is_not_decided_and_the_table_has_every_claim():
    outputs = _evidence().outputs.drop(index="sincos")
    found = C.task3(_evidence(outputs=outputs))
    assert _by_id(found)["wrap_around"].verdict == v.UNDECIDED
    frame = C.table(found)
    assert len(frame) == len(found) and set(frame["verdict"]) <= set(v.VERDICTS)
