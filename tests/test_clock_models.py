"""Chapter 03's networks, the circular loss, and resumable training runs."""

from __future__ import annotations

import math
from dataclasses import replace

import keras
import numpy as np
import pytest

from labkit import PACKAGE_DIR, clocks, stores
from labkit.clocks import labels as L
from labkit.clocks import models as M
from labkit.clocks import training as T


def test_circular_loss_is_the_angle_between_directions_in_half_turns():
    def loss(true_turns, pred_turns, length=1.0):
        t = L.angle_targets(np.array(true_turns)).astype("float32")
        p = (length * L.angle_targets(np.array(pred_turns))).astype("float32")
        return np.asarray(M.circular_loss(t, p))

    np.testing.assert_allclose(loss([0.1], [0.1]), [0.0], atol=1e-3)
    np.testing.assert_allclose(loss([0.0], [0.5]), [1.0], atol=1e-3)  # opposite
    np.testing.assert_allclose(loss([0.01], [0.99]), [0.04], atol=1e-3)  # across 12, short way
    np.testing.assert_allclose(loss([0.25], [0.125]), [0.25], atol=1e-3)
    # the length of the prediction barely matters (a small pull towards 1)
    assert abs(loss([0.0], [0.125], 3.0)[0] - loss([0.0], [0.125])[0]) < 0.05
    # finite gradients, also at a perfect prediction
    import tensorflow as tf

    p = tf.Variable(L.angle_targets(np.array([0.2, 0.3])).astype("float32"))
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(M.circular_loss(tf.constant(p.numpy()), p))
    assert np.isfinite(tape.gradient(value, p).numpy()).all()


def test_the_expected_cse_loss_is_the_common_sense_error_in_expectation():
    """One-hot on the truth: 0; all mass 30 minutes off, across 12: 30/360; spread evenly:
    the mean error of a guess, 180/360; a wrong head is refused; the reading is the time of
    least expected error, not the likeliest."""
    true = L.get("class_720_cse").encode(np.array([[11, 50], [0, 0]]))["time"]
    off = L.get("class_720_cse").encode(np.array([[0, 20], [0, 0]]))["time"]
    even = np.full_like(true, 1 / 720)
    np.testing.assert_allclose(np.asarray(M.expected_cse_loss(true, true)), [0, 0], atol=1e-6)
    np.testing.assert_allclose(np.asarray(M.expected_cse_loss(true, off)), [30 / 360, 0])
    np.testing.assert_allclose(np.asarray(M.expected_cse_loss(true, even)), [0.5, 0.5])
    with pytest.raises(ValueError, match="expected_cse loss needs a softmax head"):
        L.Head("time", 60, "softmax", "expected_cse")
    wide = np.zeros((1, 720), "float32")
    wide[0, 100], wide[0, 110], wide[0, 120] = 0.34, 0.33, 0.33  # argmax 1:40; least error 1:50
    assert L.get("class_720_cse").decode(wide) == (np.array([1]), np.array([50]))


def test_the_report_final_model_has_figure_5s_size():
    model = M.build("report_final", L.get("two_head"), size=150)
    assert model.count_params() == 624_392  # Figure 5's total
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 4 and kinds.count("Dropout") == 8  # as the figure lists
    assert [layer.kernel_size for layer in model.layers if isinstance(layer, keras.layers.Conv2D)
            ] == [(4, 4), (4, 4), (3, 3), (3, 3)]  # fmt: skip
    assert model.get_layer("hour_dense").units == 64
    assert model.get_layer("minute_dense").units == 256
    assert model.get_layer("hour").units == 12 and model.get_layer("minute").units == 60


@pytest.mark.parametrize("body", list(M.BODIES))
def test_every_body_gives_every_head(body):
    rep = L.get("image_angles")
    model = M.build(body, rep, size=64 if body != "report_final" else 96)
    out = model(np.zeros((2, *model.input_shape[1:]), "float32"))
    assert {k: tuple(v.shape) for k, v in out.items()} == {h.name: (2, h.units) for h in rep.heads}


def test_relative_heads_turn_the_hands_back_by_a_learned_mark():
    """Hand less mark, in (sin, cos): a hand at 0.3 turn and the mark at 0.1 read 0.2 turn
    whatever the mark's length; turning both alike changes nothing."""
    layer = M.TurnBack()
    for turn in (0.0, 0.37):
        hand = L.angle_targets(np.array([0.3 + turn, 0.05 + turn]))
        mark = 2.5 * L.angle_targets(np.array([0.1 + turn, 0.9 + turn]))
        out = keras.ops.convert_to_numpy(layer(hand.astype("float32"), mark.astype("float32")))
        np.testing.assert_allclose(L.read_angle(out), [0.2, 0.15], atol=1e-5)
    model = M.build("reader", L.get("hand_angles"), size=32, relative=True)
    assert set(model.output_names) == {"hour_hand", "minute_hand"}
    assert model.get_layer("mark_in_image").units == 2
    out = model(np.zeros((3, 32, 32, 1), "float32"))
    assert out["hour_hand"].shape == (3, 2)
    for name in ("two_head", "image_angles"):
        with pytest.raises(ValueError, match="relative heads read dial angles"):
            M.build("reader", L.get(name), size=32, relative=True)


def test_the_report_final_model_needs_94_pixels():
    with pytest.raises(ValueError, match="at least 94 pixels"):
        M.build("report_final", L.get("two_head"), size=64)


def test_the_augmentation_flips_only_when_asked():
    names = [type(layer).__name__ for layer in M.augmentation(0).layers]
    assert "RandomFlip" not in names and "RandomRotation" in names
    assert "RandomFlip" in [type(layer).__name__ for layer in M.augmentation(0, flip=True).layers]


def test_bad_choices_are_named():
    with pytest.raises(ValueError, match="must be one of report_base"):
        M.build("vgg", L.get("two_head"))
    with pytest.raises(ValueError, match="augmentation would move"):
        M.build("reader", L.get("image_angles"), augment=True)
    with pytest.raises(ValueError, match="optimizer"):
        M.compile_for(M.build("reader", L.get("two_head"), size=32), L.get("two_head"),
                      optimizer="lbfgs")  # fmt: skip


def test_contrast_darkens_dark_pixels_more():
    x = np.array([0.3, 0.8], "float32")
    y = T.contrast(x)
    np.testing.assert_allclose(y, [0.09, 0.64], rtol=1e-6)
    assert (x - y)[0] / x[0] > (x - y)[1] / x[1]


def test_resize_keeps_the_scale_and_shape():
    images = np.full((3, 40, 40), 255, np.uint8)
    x = T.resize(images, 20)
    assert x.shape == (3, 20, 20, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x, 1.0)
    with pytest.raises(ValueError, match="shape"):
        T.resize(np.zeros((2, 3)), 20)


def _tiny_inputs(tmp_path_factory, difficulty: str) -> T.ClockInputs:
    """60 clocks at ``difficulty``, 48 px, split 60/20/20, as training inputs."""
    folder = tmp_path_factory.mktemp("clocks")
    data = clocks.generate(60, difficulty=difficulty, size=48, seed=0, folder=folder)
    parts = clocks.split(data, seed=0, val=0.2, test=0.2)
    return T.inputs(parts, seed=0, difficulty=difficulty)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return _tiny_inputs(tmp_path_factory, "leiden")


@pytest.fixture(scope="module")
def tiny_mirrored(tmp_path_factory):
    return _tiny_inputs(tmp_path_factory, "mirrored")


def test_inputs_carry_the_generators_aux_labels(tiny):
    index = tiny.split.index["test"]
    expect = L.aux_labels(0, index, "leiden")
    np.testing.assert_array_equal(tiny.aux["test"]["rotation"], expect["rotation"])
    assert tiny.x("train", 32).shape == (36, 32, 32, 1)
    assert tiny.x("train", 32, True).max() <= tiny.x("train", 32).max()


def test_a_run_is_scored_stored_and_read_back(tiny, tmp_path, monkeypatch):
    store = tmp_path / "runs.jsonl"
    kw = dict(body="reader", size=32, epochs=2, batch_size=8, store=store,
              body_options={"filters": (8, 8), "stem": 8, "dense": 16})  # fmt: skip
    run = T.train("tiny", "hand_angles", tiny, **kw)
    assert len(run.epoch_seconds) == 2 and len(run.history["val_cse"]) == 2
    assert run.pred.shape == (12, 2) and 0 <= run.cse <= 360
    expect = clocks.common_sense_error(*run.true.T, *run.pred.T)
    assert math.isclose(run.cse, expect)
    assert not list(tmp_path.glob(".backup-*"))  # removed once the run is stored

    def no_fit(*a, **k):
        raise AssertionError("a stored run must not train again")

    monkeypatch.setattr(keras.Model, "fit", no_fit)
    again = T.train("tiny", "hand_angles", tiny, **kw)
    assert again.resumed and again.cse == run.cse and again.history == run.history
    with pytest.raises(AssertionError, match="must not train"):
        T.train("tiny", "hand_angles", tiny, **{**kw, "epochs": 3})  # another budget trains
    # other code (e.g. symmetry.py) trains too
    monkeypatch.setitem(stores.CLOCK_READER._code, PACKAGE_DIR, "edited")
    with pytest.raises(AssertionError, match="must not train"):
        T.train("tiny", "hand_angles", tiny, **kw)


def test_a_kept_model_is_saved_and_loaded_not_retrained(tiny, tmp_path, monkeypatch):
    kw = dict(body="reader", size=32, epochs=1, batch_size=8, store=tmp_path / "r.jsonl",
              keep_model=True, weights_dir=tmp_path / "w",
              body_options={"filters": (8,), "stem": 8, "dense": 8})  # fmt: skip
    run = T.train("kept", "two_head", tiny, **kw)
    x = tiny.x("test", 32)
    first = T.predict(run.model, L.get("two_head"), x)
    monkeypatch.setattr(keras.Model, "fit", lambda *a, **k: 1 / 0)
    again = T.train("kept", "two_head", tiny, **kw)
    np.testing.assert_array_equal(T.predict(again.model, L.get("two_head"), x), first)


def test_an_interrupted_run_resumes_from_its_last_epoch(tiny, tmp_path):
    """Stop a run after its first epoch; the rerun trains only the remaining epochs and its
    history still holds all of them."""
    store = tmp_path / "runs.jsonl"
    kw = dict(body="reader", size=32, epochs=3, batch_size=8, store=store,
              body_options={"filters": (8,), "stem": 8, "dense": 8})  # fmt: skip

    class Stop(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    original = keras.Model.fit

    def fit_then_stop(self, *a, callbacks=(), **k):
        return original(self, *a, callbacks=[*callbacks, Stop()], **k)

    keras.Model.fit = fit_then_stop
    try:
        with pytest.raises(KeyboardInterrupt):
            T.train("cut", "two_head", tiny, **kw)
    finally:
        keras.Model.fit = original
    assert not store.exists() and list(tmp_path.glob(".backup-cut-*"))
    epochs_run = []

    class Count(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epochs_run.append(epoch)

    def fit_counting(self, *a, callbacks=(), **k):
        return original(self, *a, callbacks=[*callbacks, Count()], **k)

    keras.Model.fit = fit_counting
    try:
        run = T.train("cut", "two_head", tiny, **kw)
    finally:
        keras.Model.fit = original
    assert epochs_run == [1, 2]
    assert len(run.history["loss"]) == 3 and len(run.epoch_seconds) == 3


def test_a_curve_is_flat_after_patience_epochs_without_a_better_value():
    curve = [180, 170, 120, 121, 119.5, 125, 126]
    assert not T.flat(curve[:3], patience=2)
    assert not T.flat(curve[:5], patience=2)  # 119.5 beat 120
    assert T.flat(curve, patience=2)
    assert not T.flat(curve, patience=2, min_epochs=8)  # too early to judge
    assert T.flat(curve[:5], patience=2, min_delta=0.05)  # 119.5 is not 5 % better
    assert not T.flat([5.0], patience=1)  # nothing before the last value
    for bad in (dict(patience=0), dict(patience=1, min_epochs=-1), dict(patience=1, min_delta=1)):
        with pytest.raises(ValueError, match="need patience >= 1"):
            T.flat(curve, **bad)


def test_until_flat_counts_the_epochs_before_an_interruption(tmp_path):
    """Resumed after 3 epochs whose log holds 100, 90, 95 (the backup's last epoch is 3; a
    fourth line, of an epoch cut before its backup, is not counted): one more epoch at 96
    makes two without beating 90, and the fit ends after epoch 4."""
    import types

    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,val_cse\n0,1,100\n1,1,90\n2,1,95\n3,1,50\n")
    cb = T.UntilFlat(patience=2, log=log)
    cb.set_model(types.SimpleNamespace(_initial_epoch=3, stop_training=False))
    cb.on_train_begin()
    assert cb.values == [100.0, 90.0, 95.0]
    cb.on_epoch_end(3, {"val_cse": 96.0})
    assert cb.model.stop_training and cb.stopped == 4
    fresh = T.UntilFlat(patience=2, log=log)  # a fit from its first epoch ignores the log
    fresh.set_model(types.SimpleNamespace(_initial_epoch=0, stop_training=False))
    fresh.on_train_begin()
    assert fresh.values == []


def test_a_run_with_patience_ends_when_its_curve_is_flat(tiny, monkeypatch):
    monkeypatch.setattr(T, "flat", lambda values, *a, **k: len(values) >= 2)  # flat at epoch 2
    run = T.train("flat", "two_head", tiny, body="reader", size=32, epochs=6, batch_size=8,
                  patience=1, body_options={"filters": (8,), "stem": 8, "dense": 8})  # fmt: skip
    assert len(run.epoch_seconds) == 2 and len(run.history["val_cse"]) == 2
    assert run.settings["until_flat"] == {"patience": 1, "min_epochs": 0}
    assert run.settings["epochs"] == 6  # the ceiling


def test_a_subset_trains_on_the_first_clocks_only(tiny, monkeypatch):
    seen = []
    original = keras.Model.fit

    def fit_recording(self, x, y, **k):
        seen.append((len(x), {name: len(v) for name, v in y.items()}))
        return original(self, x, y, **k)

    monkeypatch.setattr(keras.Model, "fit", fit_recording)
    run = T.train("sub", "two_head", tiny, size=32, epochs=1, subset=10,
                  body_options={"filters": (8,), "stem": 8, "dense": 8})  # fmt: skip
    assert seen == [(10, {"hour": 10, "minute": 10})] and run.settings["subset"] == 10
    with pytest.raises(ValueError, match="subset must be a positive"):
        T.train("sub", "two_head", tiny, subset=0)


def test_head_errors_score_each_head_alone(tiny_mirrored):
    rep = L.get("image_angles_mirror")
    model = M.build("reader", rep, size=32, filters=(8,), stem=8, dense=8)
    targets = tiny_mirrored.targets(rep, "test")
    x = tiny_mirrored.x("test", 32)

    perfect = T.head_errors(rep, targets, targets)  # outputs that are the targets
    assert perfect == {"mark (degrees)": pytest.approx(0, abs=1e-3),
                       "hour_hand (degrees)": pytest.approx(0, abs=1e-3),
                       "minute_hand (degrees)": pytest.approx(0, abs=1e-3),
                       "mirror (accuracy)": 1.0}  # fmt: skip
    untrained = T.head_errors(rep, T.outputs(model, rep, x), targets)
    assert all(0 <= v <= 180 for k, v in untrained.items() if "degrees" in k)
    # opposite directions are 180 degrees apart
    flipped = {k: (-v if k != "mirror" else 1 - v) for k, v in targets.items()}
    worst = T.head_errors(rep, flipped, targets)
    assert worst["minute_hand (degrees)"] == pytest.approx(180, abs=1e-3)
    assert worst["mirror (accuracy)"] == 0.0


def test_oracle_errors_name_the_head_that_fails(tiny_mirrored):
    """A reader that is right but for a wrong mirror flag: its error vanishes with the true
    flag and stays with any other head's truth."""
    rep = L.get("image_angles_mirror")
    targets = tiny_mirrored.targets(rep, "test")
    wrong = {**targets, "mirror": 1.0 - targets["mirror"]}
    true = tiny_mirrored.labels("test")

    errors = T.oracle_errors(rep, wrong, targets, true, extra=[("mark", "mirror")])
    assert set(errors) == {"as read", "true mark", "true hour_hand", "true minute_hand",
                           "true mirror", "true mark + mirror"}  # fmt: skip
    as_read = T.errors_of(true, np.stack(rep.decode(wrong), 1)).mean()
    assert errors["as read"] == pytest.approx(as_read) and as_read > 30
    assert errors["true mirror"] == 0 and errors["true mark + mirror"] == 0
    assert errors["true minute_hand"] > 30 and errors["true mark"] > 30
    with pytest.raises(ValueError, match="no head"):
        T.oracle_errors(rep, wrong, targets, true, extra=[("hour",)])


def test_the_cosine_schedule_warms_up_then_decays_and_bad_names_are_refused(tiny):
    rate = T._learning_rate("cosine", 2e-3, steps_per_epoch=10, epochs=5)
    at = [float(rate(step)) for step in (0, 10, 30, 50)]
    assert at[0] == pytest.approx(2e-4) and at[1] == pytest.approx(2e-3)
    assert at[1] > at[2] > at[3] and at[3] == pytest.approx(2e-5, rel=1e-3)
    assert T._learning_rate("constant", 1e-3, 10, 5) == 1e-3
    with pytest.raises(ValueError, match="constant, cosine"):
        T.train("bad", "two_head", tiny, schedule="step")


@pytest.mark.parametrize(("name", "mirrored"), [("image_angles", False),
                                                ("image_angles_mirror", True)])  # fmt: skip
def test_a_symmetric_run_trains_on_moved_targets_and_reads_in_four_or_eight_views(
    name, mirrored, tiny, tiny_mirrored
):
    """Quarter turns for a set without mirror images; turns and flips for one with them."""
    data = tiny_mirrored if mirrored else tiny
    kw = dict(size=32, epochs=1, batch_size=8, schedule="cosine", symmetry=True,
              body_options={"filters": (8,), "stem": 8, "dense": 8}, keep_model=True)  # fmt: skip
    run = T.train("sym", name, data, **kw)
    assert run.settings["symmetry"] and run.settings["schedule"] == "cosine"
    assert np.isfinite(run.history["loss"]).all() and 0 <= run.cse <= 360
    x = data.x("test", 32)
    rep = L.get(name)
    views = T.predict(run.model, rep, x, averaged=True, flips=mirrored)
    np.testing.assert_array_equal(run.pred, views)
    other = T.predict(run.model, rep, x, averaged=True, flips=not mirrored)
    assert not np.array_equal(run.pred, other)  # the check can fail


def test_more_training_adds_clocks_to_the_training_part_only(tiny, tmp_path):
    extra = clocks.generate(10, difficulty="leiden", size=48, seed=7, folder=tmp_path)
    more = T.more_training(tiny, extra, seed=7)
    assert more.split.sizes() == {**tiny.split.sizes(), "train": 36 + 10}
    np.testing.assert_array_equal(more.labels("train")[36:], extra.labels)
    np.testing.assert_array_equal(more.split.val[0], tiny.split.val[0])
    np.testing.assert_array_equal(more.split.test[1], tiny.split.test[1])
    expect = L.aux_labels(7, np.arange(10), "leiden")["rotation"]
    np.testing.assert_array_equal(more.aux["train"]["rotation"][36:], expect)
    assert more.targets(L.get("image_angles"), "train")["mark"].shape == (46, 2)
    assert more.digest != tiny.digest
    assert T.more_training(tiny, extra, seed=7).digest == more.digest
    with pytest.raises(ValueError, match="pixels"):
        T.more_training(tiny, clocks.generate(4, size=32, seed=1, folder=tmp_path), seed=1)


def test_a_second_phase_starts_from_the_first_runs_weights_and_is_keyed_on_it(
    tiny, tmp_path, monkeypatch
):
    kw = dict(body="reader", size=32, epochs=1, batch_size=8, store=tmp_path / "r.jsonl",
              keep_model=True, weights_dir=tmp_path / "w",
              body_options={"filters": (8,), "stem": 8, "dense": 8, "relative": True})  # fmt: skip
    first = T.train("phase1", "hand_angles", tiny, **kw)
    assert first.key and first.settings["precision"] in ("float32", "mixed_bfloat16")
    with pytest.raises(ValueError, match="stored run kept with its model"):
        T.train("phase2", "hand_angles", tiny, **kw, start_from=replace(first, model=None))
    seen = {}
    fit = keras.Model.fit

    def record_start(model, *a, **k):  # the weights training starts from
        seen["weights"] = [w.copy() for w in model.get_weights()]
        return fit(model, *a, **k)

    monkeypatch.setattr(keras.Model, "fit", record_start)
    second = T.train("phase2", "hand_angles", tiny, **kw, start_from=first)
    for a, b in zip(seen["weights"], first.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert second.settings["start_from"] == first.key and second.key != first.key
    monkeypatch.setattr(keras.Model, "fit", lambda *a, **k: 1 / 0)  # stored: read back
    again = T.train("phase2", "hand_angles", tiny, **kw, start_from=first)
    assert again.resumed and again.key == second.key


def test_decoders_and_a_reread_with_the_chosen_one(tiny, tmp_path):
    kw = dict(body="reader", size=32, epochs=1, batch_size=8, store=tmp_path / "r.jsonl",
              keep_model=True, weights_dir=tmp_path / "w",
              body_options={"filters": (8,), "stem": 8, "dense": 8})  # fmt: skip
    run = T.train("angles", "image_angles", tiny, **kw)
    rep = L.get("image_angles")
    ways = T.decoders(run.model, rep, tiny, 32, averaged=False)
    assert set(ways) == {"hand less mark", "joint fit"}
    again = T.reread(run, rep, tiny, 32, False, "hand less mark")
    np.testing.assert_array_equal(again.pred, run.pred)  # the run itself read hand less mark
    joint = T.reread(run, rep, tiny, 32, False, "joint fit")
    assert joint.pred.shape == run.pred.shape and joint.key == run.key
    assert set(T.decoders(run.model, L.get("hand_angles"), tiny, 32, False)) == {"hand less mark"}
    with pytest.raises(ValueError, match="decoder must be one of"):
        T.reread(run, rep, tiny, 32, False, "best guess")
    with pytest.raises(ValueError, match="not kept with its model"):
        T.reread(replace(run, model=None), rep, tiny, 32, False, "joint fit")
