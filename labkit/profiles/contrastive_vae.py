"""Chapter 05 (the contrastive VAE): its settings per profile.

* train / val: MNIST training digits composited for training (as many background images are
  drawn) and for validation (the choices); test: further MNIST training digits, outside the
  split, composited the same way and scored once (the MNIST test digits were looked at while
  the chapter was built; :func:`labkit.cvae.experiments.seed_data`). Each seed draws its own
  split, crops and draws (data seeds from ``DATA_SEED``).
* opacity / gradient / shading / contrast / brightness: the digit's paint and the textures'
  linear light, soft light and shadow, contrast and brightness (cvae_data.composite).
* salient_dim / background_dim: s and z (the plain VAE gets their sum); hidden: MLP widths;
  conv: convolutional encoders.
* epochs / batch / learning_rate / cosine_decay: every model's (cvae.train); precision: its
  arithmetic in training ("auto": mixed bfloat16 where the CPU has bfloat16 instructions; every
  code and score is computed on a float32 twin). Measured side by side at quick on seed 0's
  validation composites: 12 and 26 s (plain VAE, layered model) against 14 and 30 s in
  float32, the probes within seed noise of each other; a batch of 256 was no faster and
  separated worse.
* fit_workers: fits made at once, each in its own process on one TensorFlow thread
  (:func:`labkit.cvae.experiments.make_fits`): two at a time on 2 cores made about 1.3 times
  the fits per hour of one at a time on both cores (measured side by side on the layered
  model; :mod:`labkit.workers`). Every profile uses it, so the smoke run exercises it.
* variants: name -> ContrastiveVAE options (:data:`VARIANTS`, the same under every profile);
  penalty_grid: variant -> (option, weights) tried on validation for the two baselines with a
  penalty (:data:`PENALTY_GRID`). The headline is the model whose salient code holds the digit
  best on the validation digits (chosen in the chapter).
* seeds: how many data-and-model seeds of the headline model and the plain VAE.
* curve_opacities / curve_seeds: the separation curve over the digit's opacity, at the
  headline's budget (the headline opacity's point is the headline runs), scored on validation.
* bound_images / iwae_k: held-out targets scored by vae_model.bounds and importance samples per
  image.
"""

from . import Target

CHAPTER = "05_contrastive_vae"

#: The README's picture of the chapter: the first figure of the first code cell holding this.
README_FIGURE = "salient_from = x_"
#: Minutes the chapter may take per profile on 2 cores from empty stores (its issue's budget).
BUDGETS = {"full": 45}

#: The README's generated section of the chapter (between ``<!-- NAME:start/end -->``);
#: its text and headline rows are the functions ``contrastive_vae`` of
#: :mod:`labkit.book.details` and :mod:`labkit.book.headlines`.
README_SECTION = "cvae"

#: The chapter's targets (on the fresh test composites, the mean over data-and-model seeds;
#: probes fitted on the training codes). "Near chance" is read as within 0.1 of the majority
#: class's share for a class (the digit: 0.1; the texture: about 0.34) and an R² under 0.1 for
#: the brightness; "well above chance" as at least twice the texture's chance and an R² of 0.5.
TARGETS = {
    "salient_digit_knn": Target(">=", 0.85, "mean"),
    "salient_texture_linear": Target("<=", 0.45, "mean"),
    "salient_brightness_linear": Target("<=", 0.1, "mean"),
    "background_digit_linear": Target("<=", 0.2, "mean"),
    "background_texture_linear": Target(">=", 0.68, "mean"),
    "background_brightness_linear": Target(">=", 0.5, "mean"),
    "plain_digit_knn": Target("<=", 0.6, "mean"),
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

#: The baselines' penalty weights tried on validation (a decade either side of the weight the
#: chapter used before it tuned them).
PENALTY_GRID = {
    "+ total correlation (Abid & Zou)": ("tc_weight", (1.0, 10.0, 100.0)),
    "MM-cVAE (Weinberger et al.)": ("mmd_weight", (30.0, 300.0, 3000.0)),
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
    "precision": "auto",
    "fit_workers": 2,
    "variants": VARIANTS,
    "penalty_grid": PENALTY_GRID,
}

PROFILES = {
    "smoke": {
        **_COMMON, "train": 1_000, "val": 300, "test": 500, "epochs": 2, "seeds": 2,
        "curve_opacities": (0.4, 0.6), "curve_seeds": 2, "bound_images": 100, "iwae_k": 10,
    },
    "quick": {
        **_COMMON, "train": 10_000, "val": 2_000, "test": 2_000, "epochs": 20, "seeds": 2,
        "curve_opacities": (0.4, 0.6), "curve_seeds": 2, "bound_images": 500,
        "iwae_k": 100,
    },
    "full": {
        **_COMMON, "train": 30_000, "val": 5_000, "test": 10_000, "epochs": 35, "seeds": 3,
        "curve_opacities": (0.4, 0.6, 0.8), "curve_seeds": 3, "bound_images": 1_000,
        "iwae_k": 1_000,
    },
}  # fmt: skip

#: What this chapter's numbers at a profile are good for (the README's default-run table).
PURPOSE = {
    "quick": (
        "the separation in small: the salient code against the plain VAE's and the background "
        "code, each probed for the digit and the background, on fewer images and epochs, two "
        "data-and-model seeds, and a two-point curve over the digit's opacity"
    ),
}
