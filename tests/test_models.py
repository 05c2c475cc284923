"""Model builders: the keras-io shapes, every option applied, bad options named."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from labkit.classifiers import models


def test_defaults_are_the_reports_base_models():
    # Keras mnist_mlp: 784-512-512-10 -> 669 706 parameters; mnist_cnn: 1 199 882; keras-io
    # mnist_convnet: 34 826. The report trained both base models with RMSprop.
    assert models.mlp().count_params() == 669_706
    assert models.cnn().count_params() == 1_199_882
    assert models.cnn(**models.KERAS_IO_CONVNET).count_params() == 34_826
    assert isinstance(models.mlp().optimizer, keras.optimizers.RMSprop)
    assert isinstance(models.cnn().optimizer, keras.optimizers.RMSprop)
    assert isinstance(models.cnn(**models.KERAS_IO_CONVNET).optimizer, keras.optimizers.Adam)
    kinds = [type(layer).__name__ for layer in models.cnn().layers]
    assert kinds == [
        "Conv2D",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Flatten",
        "Dense",
        "Dropout",
        "Dense",
    ]


def test_cnn_levels_of_several_convolutions_with_batch_norm():
    m = models.cnn(filters=((8, 8), (16, 16)), padding="same", dense=32, batch_norm=True)
    assert [c.filters for c in _layers(m, keras.layers.Conv2D)] == [8, 8, 16, 16]
    assert len(_layers(m, keras.layers.MaxPooling2D)) == 2
    assert len(_layers(m, keras.layers.BatchNormalization)) == 5  # 4 convolutions + dense
    assert not any(c.use_bias for c in _layers(m, keras.layers.Conv2D))
    assert m.layers[-1].input.shape[-1] == 32
    m = models.mlp(depth=2, width=16, batch_norm=True)
    assert len(_layers(m, keras.layers.BatchNormalization)) == 2


def test_one_cycle_schedule_rises_then_falls():
    s = models.OneCycle(1e-2, steps=100, warmup=0.3)
    rates = [float(keras.ops.convert_to_numpy(s(step))) for step in (0, 15, 30, 65, 100, 200)]
    assert rates[0] == pytest.approx(1e-2 / 25)
    assert rates[0] < rates[1] < rates[2] == pytest.approx(1e-2)
    assert rates[2] > rates[3] > rates[4] == pytest.approx(1e-6, rel=1e-3)
    assert rates[5] == pytest.approx(rates[4])
    m = models.mlp(optimizer="adamw", schedule="one_cycle", learning_rate=3e-3, steps=10)
    assert isinstance(m.optimizer, keras.optimizers.AdamW)
    assert float(keras.ops.convert_to_numpy(m.optimizer.learning_rate)) == pytest.approx(3e-3 / 25)
    with pytest.raises(ValueError, match="'steps'"):
        models.mlp(schedule="one_cycle")
    with pytest.raises(ValueError, match="schedule"):
        models.mlp(schedule="cosine")


def test_augmentation_acts_in_training_only():
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    m = models.mlp(augment="shift_rotate", dropout=0.0)
    first = m.layers[0]
    assert isinstance(first, keras.layers.RandomTranslation)
    assert isinstance(m.layers[1], keras.layers.RandomRotation)
    np.testing.assert_allclose(first(x, training=False), x)
    assert not np.allclose(keras.ops.convert_to_numpy(first(x, training=True)), x)
    with pytest.raises(ValueError, match="augment"):
        models.cnn(augment="flip")


def test_outputs_are_class_probabilities():
    x = np.random.default_rng(0).random((5, 28, 28, 1)).astype("float32")
    for kind in models.KINDS:
        p = keras.ops.convert_to_numpy(models.build(kind)(x))
        assert p.shape == (5, 10)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def _layers(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


def test_mlp_depth_width_dropout_activation():
    m = models.mlp(depth=3, width=64, dropout=0.0, activation="tanh")
    dense = _layers(m, keras.layers.Dense)
    assert [d.units for d in dense] == [64, 64, 64, 10]
    assert all(d.activation.__name__ == "tanh" for d in dense[:-1])
    assert dense[-1].activation.__name__ == "softmax"
    assert not _layers(m, keras.layers.Dropout)
    assert [d.rate for d in _layers(models.mlp(dropout=0.3), keras.layers.Dropout)] == [0.3, 0.3]


def test_cnn_levels_and_filters():
    assert [c.filters for c in _layers(models.cnn(filters=10, levels=1), keras.layers.Conv2D)] == [
        10
    ]
    assert [c.filters for c in _layers(models.cnn(filters=100), keras.layers.Conv2D)] == [100, 100]
    assert [c.filters for c in _layers(models.cnn(filters=(8, 16, 32)), keras.layers.Conv2D)] == [
        8,
        16,
        32,
    ]
    with pytest.raises(ValueError, match="levels"):
        models.cnn(filters=(8, 16), levels=3)


def test_initialisers_are_applied():
    keras.utils.set_random_seed(0)
    sd = {
        name: float(np.std(models.mlp(initializer=name).layers[1].kernel.numpy()))
        for name in ("standard_normal", "glorot_uniform", "lecun_uniform")
    }
    assert 0.95 < sd["standard_normal"] < 1.05  # N(0, 1), not Keras' RandomNormal sd 0.05
    assert sd["glorot_uniform"] == pytest.approx(np.sqrt(2 / (784 + 512)), rel=0.05)
    assert sd["lecun_uniform"] == pytest.approx(np.sqrt(1 / 784), rel=0.05)


def test_regulariser_adds_a_penalty_to_every_kernel():
    x = np.zeros((2, 28, 28, 1), "float32")
    for kind in models.KINDS:
        assert models.build(kind).losses == []
        m = models.build(kind, regularizer="l2", strength=0.1)
        m(x)
        kernels = [w for w in m.trainable_weights if "kernel" in w.path]
        assert len(m.losses) == len(kernels)
        expected = sum(0.1 * float(np.sum(w.numpy() ** 2)) for w in kernels)
        assert float(sum(keras.ops.convert_to_numpy(v) for v in m.losses)) == pytest.approx(
            expected, rel=1e-4
        )


def test_optimizer_and_learning_rate():
    m = models.mlp(optimizer="sgd", learning_rate=0.05)
    assert isinstance(m.optimizer, keras.optimizers.SGD)
    assert float(m.optimizer.learning_rate) == pytest.approx(0.05)
    default = models.mlp(optimizer="adadelta", learning_rate=None).optimizer
    assert float(default.learning_rate) == pytest.approx(keras.optimizers.Adadelta().learning_rate)


@pytest.mark.parametrize(
    "kind, options, name",
    [
        ("mlp", {"activation": "relu6x"}, "activation"),
        ("mlp", {"initializer": "zeros!"}, "initializer"),
        ("cnn", {"optimizer": "adamw2"}, "optimizer"),
        ("cnn", {"regularizer": "l3"}, "regularizer"),
        ("mlp", {"dropout": 1.0}, "dropout"),
        ("cnn", {"conv_dropout": 1.5}, "conv_dropout"),
        ("mlp", {"learning_rate": -1.0}, "learning_rate"),
        ("rnn", {}, "kind"),
    ],
)
def test_bad_options_name_the_parameter(kind, options, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        models.build(kind, **options)


def test_prepare_scales_and_adds_a_channel():
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    out = models.prepare(x)
    assert out.shape == (1, 2, 2, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 0], [[0, 1], [0.2, 0.4]])
    with pytest.raises(ValueError, match="shape"):
        models.prepare(np.zeros((3, 3), np.uint8))


def test_describe_lists_layers_and_the_total():
    table = models.describe(models.cnn())
    assert list(table.columns) == ["layer", "type", "output shape", "parameters"]
    assert (
        table["type"].iloc[0] == "Conv2D" and table["output shape"].iloc[0] == "(None, 26, 26, 32)"
    )
    assert table["parameters"].iloc[-1] == 1_199_882 == table["parameters"].iloc[:-1].sum()


def test_initial_loss_splits_cross_entropy_and_penalty():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(64, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, size=64)
    plain = models.initial_loss(models.mlp(), x, y)
    assert plain["penalty"] == 0.0
    assert 1.0 < plain["cross_entropy"] < 5.0  # near log(10) = 2.3 for an untrained model
    keras.utils.set_random_seed(1)
    l1 = models.mlp(regularizer="l1", strength=0.01)
    expected = sum(0.01 * float(np.abs(w.numpy()).sum()) for w in l1.weights if "kernel" in w.path)
    assert models.initial_loss(l1, x, y)["penalty"] == pytest.approx(expected, rel=1e-4)


def test_canonical_options_name_one_model_once():
    assert models.canonical("mlp", {}) == models.canonical("mlp", {"activation": "relu"})
    assert models.canonical("cnn", {}) != models.canonical("cnn", {"dropout": 0.3})
    assert models.canonical("mlp", {})["precision"] == "float32"
    with pytest.raises(ValueError, match="unknown mlp option"):
        models.canonical("mlp", {"filters": 8})


def test_mixed_precision_keeps_the_softmax_in_float32():
    model = models.build("cnn", filters=(4, 8), dense=8, precision="mixed_bfloat16")
    assert model.layers[0].dtype_policy.name == "mixed_bfloat16"
    assert model.layers[-1].dtype_policy.name == "float32"
    out = model(models.prepare(np.zeros((2, 28, 28), "uint8")))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    assert models.build("mlp").layers[1].dtype_policy.name == "float32"  # global policy restored
    with pytest.raises(ValueError, match="precision"):
        models.build("mlp", precision="float16")


def test_auto_precision_is_one_this_machine_runs():
    assert models.resolve_precision("auto") in models.PRECISIONS
    assert models.resolve_precision("float32") == "float32"
    with pytest.raises(ValueError, match="precision"):
        models.resolve_precision("bf16")


def test_layers_text_reads_like_the_reports_table_3():
    text = models.layers_text(models.build("cnn"))
    assert text == (
        "Conv2D(32, 3x3, relu) · Conv2D(64, 3x3, relu) · MaxPool 2x2 · Dropout(0.25) · "
        "Flatten · Dense(128, relu) · Dropout(0.5) · Dense(10, softmax)"
    )
    bn = models.layers_text(models.build("mlp", depth=1, width=32, batch_norm=True,
                                         augment="shift"))  # fmt: skip
    assert bn == "Flatten · Dense(32) · BatchNorm · relu · Dropout(0.2) · Dense(10, softmax)"


def test_the_reports_keras_rates_and_the_random_normal_reading():
    assert models.REPORT_KERAS_RATES["adadelta"] == 1.0  # standalone Keras 2.3's default
    init = models.INITIALIZERS["random_normal"]()
    assert init.stddev == 0.05  # keras.initializers.RandomNormal()'s default
    assert models.INITIALIZERS["standard_normal"]().stddev == 1.0
