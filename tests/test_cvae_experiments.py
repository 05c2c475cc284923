"""Chapter 05's experiments on tiny data: seeds kept, codes scored, the opacity curve's rows."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.cvae import experiments as cx
from labkit.cvae import model as cvae

CFG = {
    "salient_dim": 2, "background_dim": 2, "hidden": (16,), "conv": False, "batch": 32,
    "learning_rate": 1e-3, "cosine_decay": True, "epochs": 1, "gradient": 0.0, "shading": 0.2,
    "contrast": (0.1, 0.4), "brightness": (-0.3, 0.0),
}  # fmt: skip


def _digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fake digits: class c lights row band c of a 28 x 28 image."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    digits = np.zeros((n, 28, 28), np.uint8)
    for i, c in enumerate(labels):
        digits[i, 4 + 5 * c : 8 + 5 * c, 6:22] = 255
    return digits, labels


def test_models_over_seeds_are_kept_and_scored(tmp_path):
    digits, labels = _digits(64)
    comp = cx.cvae_data.composite(digits, labels, seed=0, opacity=0.6, **cx.look_of(CFG))
    x, b = comp.flat()
    plain = cx.train_plain(x, [0, 1], CFG, store_dir=tmp_path)
    contrastive = cx.train_contrastive(x, b, [0], CFG, {"layered": True}, store_dir=tmp_path,
                                       name="layered")  # fmt: skip
    assert isinstance(plain[1].model, cvae.GaussianVAE) and plain[1].model.latent_dim == 4
    assert contrastive[0].model.layered
    again = cx.train_plain(x, [0, 1], CFG, store_dir=tmp_path)
    assert again[0].loaded and again[1].loaded
    rows = cx.separation_rows(
        {"plain": plain[0].model, "layered": contrastive[0].model}, x, labels, x, labels, k=3
    )
    assert list(rows.index) == [("plain", "z"), ("layered", "s"), ("layered", "z")]
    assert rows["knn_accuracy"].between(0, 1).all()


def test_the_opacity_curve_has_a_row_per_opacity_and_seed(tmp_path):
    digits, labels = _digits(48)
    eval_digits, eval_labels = _digits(24, seed=1)
    curve = cx.opacity_curve(
        digits, labels, eval_digits, eval_labels, opacities=[0.3, 0.9], seeds=[0, 1], cfg=CFG,
        options={"layered": True}, epochs=1, store_dir=tmp_path,
    )  # fmt: skip
    assert len(curve) == 4 and set(curve["opacity"]) == {0.3, 0.9}
    share = curve.groupby("opacity")["background_share"].first()
    assert share[0.3] > share[0.9]  # fainter paint: the background is more of the variance
    for column in ("plain_knn", "salient_knn", "background_knn"):
        assert curve[column].between(0, 1).all()
    with pytest.raises(ValueError, match="opacity"):
        cx.opacity_curve(digits, labels, eval_digits, eval_labels, opacities=[], seeds=[0],
                         cfg=CFG, options={}, epochs=1, store_dir=None)  # fmt: skip


def test_the_curve_text_reads_the_table():
    import pandas as pd

    curve = pd.DataFrame(
        {
            "opacity": [0.4, 0.4, 0.6, 0.6, 1.0, 1.0],
            "seed": [0, 1, 0, 1, 0, 1],
            "salient_knn": [0.50, 0.52, 0.80, 0.82, 0.90, 0.92],
            "plain_knn": [0.55, 0.57, 0.50, 0.52, 0.95, 0.97],
            "background_knn": [0.10, 0.12, 0.11, 0.13, 0.12, 0.14],
            "background_share": [0.99, 0.99, 0.98, 0.98, 0.96, 0.96],
        }
    )
    text = cx.curve_text(curve, 0.6)
    assert "Over opacities 0.4 to 1 (background share 0.99 to 0.96)" in text
    assert "ranges 0.510-0.910" in text and "the plain VAE's 0.510-0.960" in text
    assert "-0.050 at opacity 0.4; 0.300 at opacity 0.6; -0.050 at opacity 1" in text
    assert "largest at 0.6" in text and text.endswith("the plain VAE leads at 0.4, 1.")
    assert "positive at every opacity" in cx.curve_text(curve[curve.opacity == 0.6], 0.6)
