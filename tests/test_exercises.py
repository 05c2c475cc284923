"""The exercises' checks: a right solution passes, the student edition's stub is "not done
yet", and a wrong solution (one a student might write) fails with feedback that says why;
no check raises, whatever the student's code does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp

from labkit.exercises import ch00, ch01, ch02, ch03, ch04, ch05
from labkit.exercises.feedback import FAILED, MIME, NOT_DONE, PASSED, Result


def stub(*args):  # what nbgrader's stub leaves: `...` in the body returns None
    ...


def raises_stub(*args):
    raise NotImplementedError()


def crashes(*args):
    raise ZeroDivisionError("division by zero")


# (check, right solution, wrong solution, a phrase the wrong one's feedback holds)
FUNCTIONS = {
    "00.1": (
        ch00.class_counts,
        lambda y, n: np.bincount(y, minlength=n),
        lambda y, n: np.unique(y, return_counts=True)[1],  # skips absent classes
        "counts 0",
    ),
    "01.1": (
        ch01.dense_parameters,
        lambda s: sum(a * b + b for a, b in zip(s[:-1], s[1:], strict=False)),
        lambda s: sum(a * b for a, b in zip(s[:-1], s[1:], strict=False)),  # no biases
        "bias",
    ),
    "01.5": (
        ch01.l2_penalty,
        lambda ws, f: f * sum(float(np.sum(np.square(w))) for w in ws),
        lambda ws, f: 0.5 * f * sum(float(np.sum(np.square(w))) for w in ws),
        "no 1/2",
    ),
    "01.2": (
        ch01.steepest_rate,
        lambda lrs, loss: lrs[
            np.argmin(
                np.diff(loss[: np.argmin(loss) + 1]) / np.diff(np.log(lrs[: np.argmin(loss) + 1]))
            )
        ],
        lambda lrs, loss: lrs[np.argmin(loss)],  # the minimum, not the steepest fall
        "steepest",
    ),
    "02.1": (
        ch02.permute,
        lambda x, p: x.reshape(len(x), -1)[:, p].reshape(x.shape),
        lambda x, p: x.reshape(len(x), -1)[:, np.argsort(p)].reshape(x.shape),  # the inverse
        "perm[j]",
    ),
    "02.2": (
        ch02.inverse,
        lambda p: np.argsort(p),
        lambda p: p[::-1],
        "inverse[perm[j]]",
    ),
    "02.4": (
        ch02.unpermute_weights,
        lambda k, p: k[np.argsort(p)],
        lambda k, p: k[p],
        "inverse permutation",
    ),
    "03.1": (
        ch03.common_sense_error,
        lambda h, m, hp, mp: min(
            abs((h % 12) * 60 + m - (hp % 12) * 60 - mp),
            720 - abs((h % 12) * 60 + m - (hp % 12) * 60 - mp),
        ),
        lambda h, m, hp, mp: abs(h * 60 + m - hp * 60 - mp),  # no wrap-around
        "716, expected 4: wrap around the dial",
    ),
    "03.4": (
        ch03.read_hands,
        lambda ha, ma: (
            int(round(ha / (2 * np.pi) * 12 - round(ma / (2 * np.pi) * 60) % 60 / 60)) % 12,
            int(round(ma / (2 * np.pi) * 60)) % 60,
        ),
        lambda ha, ma: (int(ha / (2 * np.pi) * 12) % 12, int(round(ma / (2 * np.pi) * 60)) % 60),
        "2:59",
    ),
    "04.2": (
        ch04.reparameterise,
        lambda m, lv, e: m + np.exp(0.5 * lv) * e,
        lambda m, lv, e: m + np.exp(lv) * e,
        "exp(log_var / 2)",
    ),
    "04.1": (
        ch04.kl_to_prior,
        lambda m, lv: 0.5 * np.sum(np.exp(lv) + m**2 - 1 - lv, axis=-1),
        lambda m, lv: np.sum(np.exp(lv) + m**2 - 1 - lv, axis=-1),
        "0.5 * sum",
    ),
    "04.3": (
        ch04.iwae_bound,
        lambda lw: logsumexp(lw, axis=0) - np.log(len(lw)),
        lambda lw: np.log(np.mean(np.exp(lw), axis=0)),  # underflows to -inf
        "log-sum-exp",
    ),
    "05.1": (
        ch05.variance_share,
        lambda t, b: b.var(axis=0).sum() / t.var(axis=0).sum(),
        lambda t, b: b.var(axis=1).sum() / t.var(axis=1).sum(),  # across pixels
        "axis 0",
    ),
    "05.2": (
        ch05.mmd,
        lambda a, b, s: float(
            np.mean(np.exp(-((a[:, None] - a[None]) ** 2).sum(-1) / (2 * a.shape[1] * s**2)))
            + np.mean(np.exp(-((b[:, None] - b[None]) ** 2).sum(-1) / (2 * a.shape[1] * s**2)))
            - 2 * np.mean(np.exp(-((a[:, None] - b[None]) ** 2).sum(-1) / (2 * a.shape[1] * s**2)))
        ),
        lambda a, b, s: float(  # the kernel without the dimension
            np.mean(np.exp(-((a[:, None] - a[None]) ** 2).sum(-1) / (2 * s**2)))
            + np.mean(np.exp(-((b[:, None] - b[None]) ** 2).sum(-1) / (2 * s**2)))
            - 2 * np.mean(np.exp(-((a[:, None] - b[None]) ** 2).sum(-1) / (2 * s**2)))
        ),
        "2 * d * scale**2",
    ),
}


@pytest.mark.parametrize("exercise", sorted(FUNCTIONS))
def test_a_right_solution_passes(exercise):
    check, right, _, _ = FUNCTIONS[exercise]
    for _ in range(3):  # the hidden cases are drawn afresh on every call
        result = check(right)
        assert result.status == PASSED, str(result)
    assert result.exercise == exercise
    assert result.hidden and result.hidden[0] == result.hidden[1] > 0


@pytest.mark.parametrize("exercise", sorted(FUNCTIONS))
def test_a_wrong_solution_fails_and_says_why(exercise):
    check, _, wrong, phrase = FUNCTIONS[exercise]
    result = check(wrong)
    assert result.status == FAILED, str(result)
    assert phrase in str(result)


@pytest.mark.parametrize("exercise", sorted(FUNCTIONS))
@pytest.mark.parametrize("student", [stub, raises_stub, None, ...])
def test_the_student_editions_stub_is_not_done_yet(exercise, student):
    result = FUNCTIONS[exercise][0](student)
    assert result.status == NOT_DONE, str(result)


@pytest.mark.parametrize("exercise", sorted(FUNCTIONS))
def test_code_that_crashes_is_reported_not_raised(exercise):
    result = FUNCTIONS[exercise][0](crashes)
    assert result.status == FAILED
    assert "raised ZeroDivisionError: division by zero" in str(result)


def test_hard_coding_the_visible_answers_fails():
    visible = {(11, 58, 0, 2): 4.0, (3, 15, 3, 45): 30.0, (1, 0, 11, 0): 120.0, (0, 0, 6, 0): 360.0}
    result = ch03.common_sense_error(lambda *t: visible.get(t, 0.0))
    assert result.status == FAILED
    assert "a hidden case" in str(result) and result.hidden[0] < result.hidden[1]
    assert all(line.endswith("right") for line in result.lines[:4])


def test_the_feedback_names_the_case_and_the_remedy():
    wrong = FUNCTIONS["03.1"][2]
    text = str(ch03.common_sense_error(wrong))
    assert "your error for 11:58 vs 0:02: yours is 716, expected 4: wrap around the dial" in text


def test_a_result_shows_as_markdown_and_carries_a_record():
    result = Result("03.1", PASSED, ["a line"], (3, 3))
    bundle = result._repr_mimebundle_()
    assert bundle["text/markdown"].startswith("**✓ Exercise 03.1: passed (hidden cases: 3 of 3")
    assert bundle[MIME] == {"exercise": "03.1", "status": PASSED, "lines": ["a line"],
                            "hidden": [3, 3]}  # fmt: skip
    with pytest.raises(ValueError, match="status must be one of"):
        Result("03.1", "done", [])


def test_answers_read_off_the_chapter():
    activations = pd.DataFrame(
        {
            "dataset": ["mnist"] * 4 + ["fashion_mnist"] * 2,
            "model": ["cnn"] * 6,
            "config": ["relu", "relu", "tanh", "tanh", "tanh", "relu"],
            "val_accuracy": [0.99, 0.98, 0.97, 0.96, 0.99, 0.5],
        }  # fmt: skip
    )
    assert ch01.best_activation("relu", activations).status == PASSED
    assert "lead over tanh is 0.0200 against a seeds' sd of up to 0.0071: a ranking" in str(
        ch01.best_activation("relu", activations)
    )
    assert ch01.best_activation("tanh", activations).status == FAILED
    assert ch01.best_activation(None, activations).status == NOT_DONE
    assert "not one of" in str(ch01.best_activation("elu", activations))
    summary = {("mnist", "cnn"): {"difference": {"mean": -0.0123}}}
    assert ch02.cnn_cost(-0.0121, summary).status == PASSED
    assert ch02.cnn_cost(0.0123, summary).status == FAILED
    assert ch02.cnn_cost("a lot", summary).status == FAILED
    baselines = {"best_constant_time": 180.04}
    assert ch03.best_constant(180.0, baselines).status == PASSED
    assert ch03.best_constant(360, baselines).status == FAILED
    cue = {"no_cue": 0, "flag_at_12": 150, "numerals": 900}
    assert ch03.mirror_face("no_cue", cue).status == PASSED
    assert ch03.mirror_face("numerals", cue).status == FAILED
    assert ch04.active_units(7, 7, 32).status == PASSED
    assert ch04.active_units(8, 7, 32).status == FAILED
    separation = pd.DataFrame(
        {"knn_accuracy": [0.5, 0.85, 0.3]},
        index=pd.MultiIndex.from_tuples(
            [("plain", "z"), ("cvae", "s"), ("cvae", "z")], names=["model", "code"]
        ),  # fmt: skip
    )
    assert ch05.digit_code("s", separation, "cvae").status == PASSED
    assert ch05.digit_code("z", separation, "cvae").status == FAILED


def test_a_prediction_against_a_measurement():
    measured = pd.Series([0.91, 0.11], index=[1e-3, 1.0])
    assert ch01.rate_prediction("lower", measured).status == PASSED
    result = ch01.rate_prediction("higher", measured)
    assert result.status == FAILED and "near chance" in str(result)
    assert ch01.rate_prediction(None, measured).status == NOT_DONE


def test_the_permutation_predicted_against_a_measurement():
    measured = pd.DataFrame(
        {"original": [0.88, 0.86], "permuted": [0.878, 0.70]}, index=["mlp", "cnn"]
    ).assign(difference=lambda f: f["permuted"] - f["original"])
    assert ch02.permutation_prediction("same", "lower", measured).status == PASSED
    wrong = ch02.permutation_prediction("lower", "same", measured)
    assert wrong.status == FAILED
    assert "every pixel alike" in str(wrong) and "neighbouring pixels" in str(wrong)
    assert ch02.permutation_prediction("same", None, measured).status == NOT_DONE


@pytest.mark.slow
def test_the_permutation_in_small_shows_the_chapters_finding():
    measured = ch02.compare_arms(images=3_000)
    assert abs(measured.loc["mlp", "difference"]) < ch02.SAME_WITHIN
    assert measured.loc["cnn", "difference"] < -ch02.SAME_WITHIN


@pytest.mark.slow
def test_the_rate_comparison_runs_apart_from_the_notebook():
    state = np.random.get_state()[1].copy()
    measured = ch01.compare_rates([1e-3, 1.0], images=2_000)
    assert measured.loc[1e-3] > 0.7 > measured.loc[1.0]
    assert np.array_equal(np.random.get_state()[1], state)
