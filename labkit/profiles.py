"""What the ``smoke`` / ``quick`` / ``full`` profiles mean, as data, one table per chapter.

* ``smoke`` proves every cell runs (under a minute per notebook); the tests use it.
* ``quick`` gives meaningful reduced results (the default of ``make run``).
* ``full`` is sized for the headline numbers. The README names the profile of every number it
  quotes: ``quick`` for a chapter whose ``full`` run has not landed yet.

A notebook reads its sizes with ``cfg = profiles.get("00_data_tour", profile)``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

PROFILES: tuple[str, ...] = ("smoke", "quick", "full")
DEFAULT_PROFILE = "quick"
#: What each profile is for, in one line (the CLI's help and the report's title page).
MEANING: dict[str, str] = {
    "smoke": "every cell runs, on tiny sizes: proves the workbook runs, not its numbers",
    "quick": "reduced sizes and epochs: meaningful but not final numbers",
    "full": "the sizes and runs meant for the headline numbers",
}

_TABLES: dict[str, dict[str, dict[str, Any]]] = {
    "00_data_tour": {
        # stats_samples: training images used for the pixel statistics (None = all 60 000)
        "smoke": {"grid_per_class": 4, "stats_samples": 2_000},
        "quick": {"grid_per_class": 8, "stats_samples": 20_000},
        "full": {"grid_per_class": 10, "stats_samples": None},
    },
    # Chapter 01. Sizes are training images drawn (stratified) from the 60 000, then split
    # 85 % fit / 15 % validation; None = all of them. seeds: runs per configuration (seed,
    # seed+1, ...). size_*: the CNN model-size experiment (500 filters x 2 levels costs about
    # 30 ms per image and epoch here, 20x the base CNN). tune_*: the keras-tuner searches
    # (epochs per trial for each model). final_epochs: per "<model>_<version>" of the final
    # table; test_subset: test images they are scored on (None = all 10 000; smoke: fewer,
    # for speed). eager: tiny data trains faster without tracing a graph. min_test_accuracy: the
    # chapter fails below it (a sanity check, not a target). experiment_datasets: where the
    # experiments run (smoke: one, to stay near a minute). full is sized to about 75 min on
    # this machine on a day when one epoch of the base CNN on 60 000 images took 106 s.
    "01_mlp_cnn_tuning": {
        "smoke": {
            "experiment_datasets": ("mnist",),
            "base_subset": 400,
            "base_epochs": 2,
            "lr_subset": 1_000,
            "lr_steps": 20,
            "subset": 400,
            "epochs": 1,
            "seeds": 1,
            "size_subset": 120,
            "size_epochs": 1,
            "size_seeds": 1,
            "tune_subset": 300,
            "tune_epochs": {"mlp": 1, "cnn": 1},
            "coarse_trials": 1,
            "fine_trials": 1,
            "final_subset": 500,
            "final_epochs": {"mlp_base": 1, "cnn_base": 1, "mlp_selected": 1, "cnn_selected": 1},
            "test_subset": 1_000,
            "widget_subset": 500,
            "widget_epochs": 1,
            "eager": True,
            "min_test_accuracy": 0.15,
        },
        "quick": {
            "experiment_datasets": ("mnist", "fashion_mnist"),
            "base_subset": 5_000,
            "base_epochs": 4,
            "lr_subset": 6_400,
            "lr_steps": 100,
            "subset": 1_200,
            "epochs": 2,
            "seeds": 2,
            "size_subset": 700,
            "size_epochs": 2,
            "size_seeds": 2,
            "tune_subset": 3_000,
            "tune_epochs": {"mlp": 2, "cnn": 2},
            "coarse_trials": 3,
            "fine_trials": 2,
            "final_subset": 20_000,
            "final_epochs": {"mlp_base": 3, "cnn_base": 1, "mlp_selected": 4, "cnn_selected": 3},
            "test_subset": None,
            "widget_subset": 3_000,
            "widget_epochs": 5,
            "eager": False,
            "min_test_accuracy": 0.7,  # the base CNN trains 1 epoch: Fashion 0.79
        },
        "full": {
            "experiment_datasets": ("mnist", "fashion_mnist"),
            "base_subset": 10_000,
            "base_epochs": 5,
            "lr_subset": 12_800,
            "lr_steps": 150,
            "subset": 1_500,
            "epochs": 3,
            "seeds": 2,
            "size_subset": 1_000,
            "size_epochs": 2,
            "size_seeds": 3,
            "tune_subset": 6_000,
            "tune_epochs": {"mlp": 3, "cnn": 3},
            "coarse_trials": 6,
            "fine_trials": 3,
            "final_subset": None,
            "final_epochs": {
                "mlp_base": 10,
                "cnn_base": 2,
                "mlp_selected": 12,
                "cnn_selected": 10,
            },
            "test_subset": None,
            "widget_subset": 5_000,
            "widget_epochs": 5,
            "eager": False,
            "min_test_accuracy": 0.85,
        },
    },
    # Chapter 02 (pixel permutation). The selected MLP and CNN of chapter 01 (same profile),
    # without augmentation, trained on the original and on the permuted images: seeds runs per
    # arm (seed, seed+1, ...), epochs per model (shorter than chapter 01's final runs: on 60 000
    # images one epoch takes about 13 s for the MLP and 33 s for the CNN here), on a stratified
    # subset of the training images and test_subset of the test images (None = all). The
    # restored arm (permuted, inverse applied first) runs restored_seeds seeds of the CNN.
    # bn_momentum: of the batch-normalisation averages (None: Keras' 0.99); runs of a few
    # hundred steps need 0.9 (see experiments.fit).
    # full is sized to about 35 minutes on this machine. min_test_accuracy: the chapter fails
    # below it on the original images (a sanity check, not a target).
    "02_pixel_permutation": {
        "smoke": {
            "seeds": 1,
            "epochs": {"mlp": 1, "cnn": 1},
            "subset": 600,
            "test_subset": 500,
            "restored_seeds": 1,
            "eager": True,
            "bn_momentum": None,  # 5 steps: the averages barely move either way
            "min_test_accuracy": 0.15,
        },
        "quick": {
            "seeds": 2,
            "epochs": {"mlp": 3, "cnn": 2},
            "subset": 12_000,
            "test_subset": None,
            "restored_seeds": 1,
            "eager": False,
            "bn_momentum": 0.9,
            "min_test_accuracy": 0.8,
        },
        "full": {
            "seeds": 3,
            "epochs": {"mlp": 4, "cnn": 3},
            "subset": None,
            "test_subset": None,
            "restored_seeds": 1,
            "eager": False,
            "bn_momentum": None,
            "min_test_accuracy": 0.85,
        },
    },
    # Chapter 03 (clock images). n: clocks drawn at the course's difficulty (leiden) with the
    # seed, split 80/10/10 (the course has 18 000); size: their pixels; per_row: clocks per
    # figure row. Part two, per group of runs (base: the report's base models; report: its
    # Figure 5 model; rep: the representations table; final: the final model): subset
    # (training clocks used, None: all), input size, epochs, batch, learning rate.
    # final_schedule ("constant" | "cosine") and final_symmetry (train on random quarter turns
    # and flips, read in all eight): the final model's extras. optimizers x timing_repeats: the
    # base models' runs. easy_n: easy clocks the final model reads. max_final_cse: the chapter
    # fails above it (a sanity check, not a target).
    "03_clock_reading": {
        "smoke": {
            "n": 600,
            "size": 150,
            "per_row": 4,
            "optimizers": ("adam",),
            "timing_repeats": 1,
            "base_subset": None,
            "base_size": 32,
            "base_epochs": 1,
            "base_batch": 32,
            "report_subset": None,
            "report_size": 96,
            "report_epochs": 1,
            "report_batch": 24,
            "report_lr": 3e-4,
            "rep_subset": None,
            "rep_size": 32,
            "rep_epochs": 1,
            "rep_batch": 32,
            "rep_lr": 1e-3,
            "final_size": 32,
            "final_epochs": 1,
            "final_batch": 32,
            "final_lr": 1e-3,
            "final_schedule": "cosine",
            "final_symmetry": True,
            "easy_n": 60,
            "max_final_cse": None,
        },
        "quick": {
            "n": 6_000,
            "size": 150,
            "per_row": 6,
            "optimizers": ("sgd", "adam", "adadelta"),
            "timing_repeats": 2,
            "base_subset": 800,
            "base_size": 48,
            "base_epochs": 1,
            "base_batch": 32,
            "report_subset": 2_400,
            "report_size": 150,
            "report_epochs": 1,
            "report_batch": 24,
            "report_lr": 3e-4,
            "rep_subset": None,
            "rep_size": 64,
            "rep_epochs": 1,
            "rep_batch": 32,
            "rep_lr": 1e-3,
            "final_size": 96,
            "final_epochs": 7,
            "final_batch": 32,
            "final_lr": 2e-3,
            "final_schedule": "cosine",
            "final_symmetry": True,
            "easy_n": 600,
            "max_final_cse": None,  # its 7 epochs are not expected to leave chance
        },
        "full": {  # sized to about 40 min on 2 cores (the budget: 45)
            "n": 18_000,
            "size": 150,
            "per_row": 8,
            "optimizers": ("sgd", "adam", "adadelta"),
            "timing_repeats": 2,
            "base_subset": 1_600,
            "base_size": 48,
            "base_epochs": 1,
            "base_batch": 32,
            "report_subset": 4_800,
            "report_size": 150,
            "report_epochs": 1,
            "report_batch": 24,
            "report_lr": 3e-4,
            "rep_subset": 9_600,
            "rep_size": 64,
            "rep_epochs": 1,
            "rep_batch": 32,
            "rep_lr": 1e-3,
            "final_size": 96,
            "final_epochs": 16,
            "final_batch": 32,
            "final_lr": 2e-3,
            "final_schedule": "cosine",
            "final_symmetry": True,
            "easy_n": 1_800,
            "max_final_cse": 160,  # below chance (about 180): the model reads something
        },
    },
    # Chapter 04 (the VAE). mc: Monte-Carlo draws for the KL/ELBO checks; grad: draws per
    # gradient estimator; fit_n: points for batch GD vs SGD (gd_passes / sgd_passes each;
    # sweep_gd_passes: batch GD's passes per rate in the learning-rate sweep).
    # subset/val: MNIST training images drawn (None = all 60 000), of which val for validation
    # and the rest for fitting (data.split); test: test images scored (None = all 10 000);
    # epochs / latent_dim: the derivation's VAE; headline_epochs / headline_latent_dim: the
    # VAE with an autoregressive decoder term, trained with a cosine-decayed rate (the
    # headline model; 80 epochs are about 13.5 minutes on 2 cores);
    # iwae_k: importance samples per test image (k >= 1000 in full). max_test_nll: the chapter
    # fails if the IWAE bound's -log p(x) is above it (a sanity check, not a target).
    "04_vae": {
        "smoke": {
            "mc": 5_000,
            "grad": 5_000,
            "fit_n": 4_000,
            "gd_passes": 40,
            "sweep_gd_passes": 20,
            "sgd_passes": 2,
            "subset": 2_500,
            "val": 500,
            "test": 200,
            "epochs": 2,
            "latent_dim": 16,
            "headline_epochs": 2,
            "headline_latent_dim": 32,
            "iwae_k": 10,
            "max_test_nll": 400,
        },
        "quick": {
            "mc": 100_000,
            "grad": 50_000,
            "fit_n": 20_000,
            "gd_passes": 300,
            "sweep_gd_passes": 100,
            "sgd_passes": 5,
            "subset": None,
            "val": 5_000,
            "test": None,
            "epochs": 30,
            "latent_dim": 16,
            "headline_epochs": 10,
            "headline_latent_dim": 32,
            "iwae_k": 100,
            "max_test_nll": 100,
        },
        "full": {
            "mc": 1_000_000,
            "grad": 200_000,
            "fit_n": 20_000,
            "gd_passes": 300,
            "sweep_gd_passes": 100,
            "sgd_passes": 5,
            "subset": None,
            "val": 5_000,
            "test": None,
            "epochs": 40,
            "latent_dim": 16,
            "headline_epochs": 80,
            "headline_latent_dim": 32,
            "iwae_k": 1_000,
            "max_test_nll": 95,
        },
    },
    # Chapter 05 (the contrastive VAE). train: MNIST training digits composited (as many
    # background images are drawn); test: held-out MNIST test digits composited the same way;
    # opacity / gradient / shading / contrast / brightness: the digit's paint and the textures'
    # linear light, soft light and shadow, contrast and brightness (cvae_data.composite);
    # salient_dim / background_dim: s and z (the plain VAE gets their sum); hidden: MLP
    # widths; conv: convolutional encoders; epochs / batch / learning_rate / cosine_decay:
    # every model's (cvae.train); variants: name ->
    # ContrastiveVAE options, one model each (a literal in every profile: the runner's
    # fingerprint reads this table as a literal); headline: the variant the metrics' "cvae"
    # block reports (fixed before the full run, from probes on seed 0); bound_images /
    # iwae_k: held-out targets scored by vae_model.bounds and importance samples per image.
    "05_contrastive_vae": {
        "smoke": {
            "train": 1_000,
            "test": 500,
            "opacity": 0.6,
            "gradient": 0.0,
            "shading": 0.45,
            "contrast": (0.1, 0.4),
            "brightness": (-0.3, 0.0),
            "salient_dim": 16,
            "background_dim": 20,
            "hidden": (256, 128),
            "conv": False,
            "epochs": 2,
            "batch": 128,
            "learning_rate": 2e-3,
            "cosine_decay": True,
            "variants": {
                "cVAE (Abid & Zou)": {},
                "+ total correlation": {"tc_weight": 10.0},
                "MM-cVAE": {"mmd_weight": 300.0},
                "layered, s from the residual": {"layered": True, "salient_from_residual": True},
            },
            "headline": "layered, s from the residual",
            "bound_images": 100,
            "iwae_k": 10,
        },
        "quick": {
            "train": 10_000,
            "test": 2_000,
            "opacity": 0.6,
            "gradient": 0.0,
            "shading": 0.45,
            "contrast": (0.1, 0.4),
            "brightness": (-0.3, 0.0),
            "salient_dim": 16,
            "background_dim": 20,
            "hidden": (256, 128),
            "conv": False,
            "epochs": 30,
            "batch": 128,
            "learning_rate": 2e-3,
            "cosine_decay": True,
            "variants": {
                "cVAE (Abid & Zou)": {},
                "+ total correlation": {"tc_weight": 10.0},
                "MM-cVAE": {"mmd_weight": 300.0},
                "layered, s from the residual": {"layered": True, "salient_from_residual": True},
            },
            "headline": "layered, s from the residual",
            "bound_images": 500,
            "iwae_k": 100,
        },
        "full": {
            "train": 30_000,
            "test": 10_000,
            "opacity": 0.6,
            "gradient": 0.0,
            "shading": 0.45,
            "contrast": (0.1, 0.4),
            "brightness": (-0.3, 0.0),
            "salient_dim": 16,
            "background_dim": 20,
            "hidden": (256, 128),
            "conv": False,
            "epochs": 35,
            "batch": 128,
            "learning_rate": 2e-3,
            "cosine_decay": True,
            "variants": {
                "cVAE (Abid & Zou)": {},
                "+ total correlation": {"tc_weight": 10.0},
                "MM-cVAE": {"mmd_weight": 300.0},
                "layered, s from the residual": {"layered": True, "salient_from_residual": True},
            },
            "headline": "layered, s from the residual",
            "bound_images": 1_000,
            "iwae_k": 1_000,
        },
    },
}


def check_profile(profile: str) -> str:
    """Return ``profile`` if it is in :data:`PROFILES`, else raise a ``ValueError`` naming them."""
    if profile not in PROFILES:
        raise ValueError(
            f"unknown profile {profile!r}: the parameter 'profile' must be one of "
            f"{', '.join(PROFILES)}"
        )
    return profile


def chapters() -> list[str]:
    """The chapters that have a profile table."""
    return sorted(_TABLES)


def get(chapter: str, profile: str) -> MappingProxyType:
    """The read-only settings of ``chapter`` (a notebook stem) under ``profile``."""
    check_profile(profile)
    if chapter not in _TABLES:
        raise KeyError(
            f"no profile table for chapter {chapter!r}; known chapters: {', '.join(chapters())}"
        )
    return MappingProxyType(dict(_TABLES[chapter][profile]))
