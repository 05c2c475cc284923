"""Every kind of stored computation the workbook reads back, and the definitions that make it.

Each entry is a :class:`labkit.cache.Store`: its key follows the code of these producers and
of every labkit definition they reach (:func:`labkit.cache.definitions`), so an edit to a plot,
a table or a name a computation never runs keeps its stored results. ``python -m labkit keys``
prints each store's code digest.
"""

from __future__ import annotations

from .cache import Store

#: Chapter 01's experiment runs (``reports/<profile>/experiments/<dataset>-<kind>.jsonl``).
EXPERIMENT_RUNS = Store("experiment runs", "labkit.classifiers.experiments:run")
#: Chapter 01's final models, trained on all training images and tested once (``finals.jsonl``).
FINAL_MODELS = Store("final models", "labkit.classifiers.training:train_and_test")
#: Chapter 01's keras-tuner projects (a folder per search; the distributed search's too).
TUNER_PROJECTS = Store(
    "tuner projects",
    "labkit.classifiers.tuning:search",
    "labkit.classifiers.tuning:make_tuner",
    "labkit.classifiers.tuning:Space",
    "labkit.classifiers.tuning:CNNSpace",
)
#: Chapter 02's runs of the three arms (original, permuted, restored).
PERMUTATION_ARMS = Store("permutation arms", "labkit.classifiers.permutation:train_arms")
#: Chapter 03's drawn clocks (``data/clocks/<set>-<key>/``: images, labels and parameters).
CLOCK_IMAGES = Store("clock images", "labkit.clocks.dataset:_draw", libraries=False)
#: Chapter 03's clock reader runs (a row each, weights and fit backups beside them).
CLOCK_READER = Store("clock reader", "labkit.clocks.training:train")
#: Chapter 04's VAE fits (weights, history; fit backups).
VAE_FITS = Store(
    "VAE fits",
    "labkit.vae.runs:train_seeds",
    "labkit.vae.model:train",
    "labkit.vae.model:VAE",
    "labkit.vae.model:FullyVisibleSBN",
)
#: Chapter 04's scores of kept fits (``bounds.jsonl``: -ELBO and -IWAE bounds per seed).
VAE_BOUNDS = Store(
    "VAE bounds",
    "labkit.vae.runs:bound_table",
    "labkit.vae.model:bounds",
    "labkit.vae.model:VAE",
)
#: Chapter 05's plain and contrastive VAE fits (weights, history; fit backups).
CVAE_FITS = Store(
    "cVAE fits",
    "labkit.vae.runs:train_seeds",
    "labkit.cvae.model:train",
    "labkit.cvae.model:GaussianVAE",
    "labkit.cvae.model:ContrastiveVAE",
)
