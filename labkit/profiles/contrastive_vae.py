"""Chapter 05 (the contrastive VAE): its settings per profile.

* train / val: MNIST training digits composited for training (as many background images are
  drawn) and for validation (the choices); test: MNIST test digits composited the same way
  (scored once).
* opacity / gradient / shading / contrast / brightness: the digit's paint and the textures'
  linear light, soft light and shadow, contrast and brightness (cvae_data.composite).
* salient_dim / background_dim: s and z (the plain VAE gets their sum); hidden: MLP widths;
  conv: convolutional encoders.
* epochs / batch / learning_rate / cosine_decay: every model's (cvae.train).
* variants: name -> ContrastiveVAE options, one model each (:data:`VARIANTS`, the same under
  every profile); the headline is the one whose salient code holds the digit best on the
  validation digits (chosen in the chapter).
* seeds: how many seeds of the headline model and the plain VAE (seed, seed + 1, ...).
* curve_opacities / curve_train / curve_val / curve_epochs / curve_seeds: the separation curve
  over the digit's opacity (training and validation digits, epochs, and how many seeds).
* bound_images / iwae_k: held-out targets scored by vae_model.bounds and importance samples per
  image.
"""

from . import Target

CHAPTER = "05_contrastive_vae"

#: The README's picture of the chapter: the first figure of the first code cell holding this.
README_FIGURE = "salient_from = x_"
#: The README's generated section of the chapter (between ``<!-- NAME:start/end -->``);
#: its text and headline rows are the functions ``contrastive_vae`` of
#: :mod:`labkit.book.details` and :mod:`labkit.book.headlines`.
README_SECTION = "cvae"

#: The chapter's targets (5-NN digit accuracy on the test composites, mean over seeds): the
#: headline's salient code holds the digit, its background code and a plain VAE's code do not.
TARGETS = {
    "salient_knn": Target(">=", 0.85, "mean"),
    "plain_knn": Target("<=", 0.6, "mean"),
    "background_knn": Target("<=", 0.3, "mean"),
}

#: The contrastive models compared, by their name in the chapter's tables.
VARIANTS = {
    "contrastive VAE (Abid & Zou)": {},
    "+ total correlation (Abid & Zou)": {"tc_weight": 10.0},
    "MM-cVAE (Weinberger et al.)": {"mmd_weight": 300.0},
    "layered decoder, s from the residual (this workbook)": {
        "layered": True,
        "salient_from_residual": True,
    },
}

_COMMON = {
    "opacity": 0.6,
    "gradient": 0.0,
    "shading": 0.45,
    "contrast": (0.1, 0.4),
    "brightness": (-0.3, 0.0),
    "salient_dim": 16,
    "background_dim": 20,
    "hidden": (256, 128),
    "conv": False,
    "batch": 128,
    "learning_rate": 2e-3,
    "cosine_decay": True,
    "variants": VARIANTS,
}

PROFILES = {
    "smoke": {
        **_COMMON, "train": 1_000, "val": 300, "test": 500, "epochs": 2, "seeds": 2,
        "curve_opacities": (0.4, 0.8), "curve_train": 500, "curve_val": 200, "curve_epochs": 1,
        "curve_seeds": 2, "bound_images": 100, "iwae_k": 10,
    },
    "quick": {
        **_COMMON, "train": 10_000, "val": 2_000, "test": 2_000, "epochs": 20, "seeds": 2,
        "curve_opacities": (0.4, 0.6, 0.8), "curve_train": 3_000, "curve_val": 1_000,
        "curve_epochs": 8, "curve_seeds": 2, "bound_images": 500, "iwae_k": 100,
    },
    "full": {
        **_COMMON, "train": 30_000, "val": 5_000, "test": 10_000, "epochs": 35, "seeds": 3,
        "curve_opacities": (0.4, 0.5, 0.6, 0.7, 0.8, 0.9), "curve_train": 8_000,
        "curve_val": 2_000, "curve_epochs": 20, "curve_seeds": 2, "bound_images": 1_000,
        "iwae_k": 1_000,
    },
}  # fmt: skip

#: What this chapter's numbers at a profile are good for (the README's default-run table).
PURPOSE = {
    "quick": (
        "the separation in small: the salient code against the plain VAE's and the background "
        "code on fewer images and epochs, two seeds, and a three-point curve over the digit's "
        "opacity"
    ),
}
