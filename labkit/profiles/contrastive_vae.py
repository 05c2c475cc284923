"""Chapter 05 (the contrastive VAE): its settings per profile.

* train: MNIST training digits composited (as many background images are drawn); test:
  held-out MNIST test digits composited the same way.
* opacity / gradient / shading / contrast / brightness: the digit's paint and the textures'
  linear light, soft light and shadow, contrast and brightness (cvae_data.composite).
* salient_dim / background_dim: s and z (the plain VAE gets their sum); hidden: MLP widths;
  conv: convolutional encoders.
* epochs / batch / learning_rate / cosine_decay: every model's (cvae.train).
* variants: name -> ContrastiveVAE options, one model each (:data:`VARIANTS`, the same under
  every profile); headline: the variant the metrics' "cvae" block reports (fixed before the full
  run, from probes on seed 0).
* bound_images / iwae_k: held-out targets scored by vae_model.bounds and importance samples per
  image.
"""

CHAPTER = "05_contrastive_vae"

#: The contrastive models compared, by their name in the chapter's tables.
VARIANTS = {
    "cVAE (Abid & Zou)": {},
    "+ total correlation": {"tc_weight": 10.0},
    "MM-cVAE": {"mmd_weight": 300.0},
    "layered, s from the residual": {"layered": True, "salient_from_residual": True},
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
    "headline": "layered, s from the residual",
}

PROFILES = {
    "smoke": {
        **_COMMON, "train": 1_000, "test": 500, "epochs": 2, "bound_images": 100, "iwae_k": 10,
    },
    "quick": {
        **_COMMON, "train": 10_000, "test": 2_000, "epochs": 30, "bound_images": 500,
        "iwae_k": 100,
    },
    "full": {
        **_COMMON, "train": 30_000, "test": 10_000, "epochs": 35, "bound_images": 1_000,
        "iwae_k": 1_000,
    },
}  # fmt: skip
