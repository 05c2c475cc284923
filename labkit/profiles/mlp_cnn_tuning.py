"""Chapter 01 (MLPs, CNNs and their tuning): its settings per profile.

Sizes are training images drawn (stratified) from the 60 000, then split 85 % fit / 15 %
validation (the reference report's split); None: all of them (51 000 fit, 9 000 validation).
Budgets in steps are batches of 128 (400 steps = 51 200 images, one pass over 51 000).

* precision: "auto" (bfloat16 arithmetic where the CPU has it, else float32), or one of
  classifiers.models.PRECISIONS.
* base_subset / base_epochs: the base models' learning curves (per model kind).
* lr_subset / lr_steps: the learning-rate range test.
* subset / steps / seeds: each configuration of the experiments (learning-rate rules,
  initialisers, optimizers, activations, regularisation), steps per model kind, run with seeds
  seed, seed+1, ...
* sigmoid_datasets / sigmoid_steps / sigmoid_long_datasets: the check of the sigmoid CNN's
  reading in the activations table: at the experiments' budget in both arithmetics and at two
  rates on sigmoid_datasets, and once for sigmoid_steps (full: the report's 10 epochs of 51 000
  images at batch 128) on sigmoid_long_datasets; seed only. A long run costs as much as ten
  short ones: one of them is what fits chapter 01's 120-minute budget.
* size_*: the CNN model-size grid (two levels of 500 filters cost 30x the base CNN per step, so
  the grid runs on the datasets in size_datasets only).
* tune_*: the keras-tuner searches (epochs per trial for each model); coarse_trials /
  fine_trials: trials per stage; spread_seeds: the first trial trained with this many seeds,
  for the spread a search's margin is read against.
* final_subset / final_epochs: per "<model>_<version>" of the final table; final_seeds: seeds
  per final model (seed is the headline); test_subset: test images they are scored on (None:
  all 10 000; smoke: fewer, for speed).
* widget_*: the panel's retraining. eager: tiny data trains faster without tracing a graph.
* experiment_datasets: where the experiments run (smoke: one, to stay near a minute).
* min_test_accuracy: the chapter fails below it (a sanity check, not a target).
"""

CHAPTER = "01_mlp_cnn_tuning"

#: The README's picture of the chapter: the first figure of the first code cell holding this.
README_FIGURE = 'experiment("regularization"'
#: The README's generated section of the chapter (between ``<!-- NAME:start/end -->``);
#: its text and headline rows are the functions ``mlp_cnn_tuning`` of
#: :mod:`labkit.book.details` and :mod:`labkit.book.headlines`.
README_SECTION = "task1"

PROFILES = {
    "smoke": {
        "precision": "float32",
        "experiment_datasets": ("mnist",),
        "base_subset": 400,
        "base_epochs": {"mlp": 2, "cnn": 2},
        "lr_subset": 1_000,
        "lr_steps": 20,
        "subset": 400,
        "steps": {"mlp": 3, "cnn": 3},
        "seeds": 1,
        "sigmoid_datasets": ("mnist",),
        "sigmoid_steps": 6,
        "sigmoid_long_datasets": ("mnist",),
        "size_datasets": ("mnist",),
        "size_subset": 120,
        "size_steps": 1,
        "size_seeds": 1,
        "tune_subset": 300,
        "tune_epochs": {"mlp": 1, "cnn": 1},
        "coarse_trials": 1,
        "fine_trials": 1,
        "spread_seeds": 2,
        "final_subset": 500,
        "final_epochs": {"mlp_base": 1, "cnn_base": 1, "mlp_selected": 2, "cnn_selected": 10},
        "final_seeds": 1,
        "test_subset": 1_000,
        "widget_subset": 500,
        "widget_epochs": 1,
        "eager": True,
        "min_test_accuracy": 0.15,
    },
    "quick": {
        "precision": "auto",
        "experiment_datasets": ("mnist",),
        "base_subset": 8_000,
        "base_epochs": {"mlp": 4, "cnn": 2},
        "lr_subset": 6_400,
        "lr_steps": 100,
        "subset": 12_000,
        "steps": {"mlp": 150, "cnn": 100},
        "seeds": 1,
        "sigmoid_datasets": ("mnist",),
        "sigmoid_steps": 400,
        "sigmoid_long_datasets": ("mnist",),
        "size_datasets": ("mnist",),
        "size_subset": 12_000,
        "size_steps": 25,
        "size_seeds": 1,
        "tune_subset": 4_000,
        "tune_epochs": {"mlp": 2, "cnn": 1},
        "coarse_trials": 3,
        "fine_trials": 1,
        "spread_seeds": 2,
        "final_subset": 10_000,
        "final_epochs": {"mlp_base": 3, "cnn_base": 1, "mlp_selected": 4, "cnn_selected": 3},
        "final_seeds": 1,
        "test_subset": None,
        "widget_subset": 3_000,
        "widget_epochs": 5,
        "eager": False,
        "min_test_accuracy": 0.7,
    },
    "full": {
        "precision": "auto",
        "experiment_datasets": ("mnist", "fashion_mnist"),
        "base_subset": None,
        "base_epochs": {"mlp": 10, "cnn": 2},
        "lr_subset": 12_800,
        "lr_steps": 150,
        "subset": None,
        "steps": {"mlp": 800, "cnn": 400},
        "seeds": 2,
        "sigmoid_datasets": ("mnist", "fashion_mnist"),
        "sigmoid_steps": 3_990,
        "sigmoid_long_datasets": ("mnist",),
        "size_datasets": ("mnist",),
        "size_subset": None,
        "size_steps": 400,
        "size_seeds": 2,
        "tune_subset": None,
        "tune_epochs": {"mlp": 2, "cnn": 1},
        "coarse_trials": 6,
        "fine_trials": 3,
        "spread_seeds": 3,
        "final_subset": None,
        "final_epochs": {"mlp_base": 10, "cnn_base": 2, "mlp_selected": 15, "cnn_selected": 12},
        "final_seeds": 3,
        "test_subset": None,
        "widget_subset": 5_000,
        "widget_epochs": 5,
        "eager": False,
        "min_test_accuracy": 0.85,
    },
}

#: What this chapter's numbers at a profile are good for (the README's default-run table).
PURPOSE = {
    "quick": (
        "seeing every section work: the experiments run on MNIST only, with one seed and "
        "budgets of a few dozen to a few hundred steps, so their tables show each comparison's "
        "shape, not a ranking; the searches are a few short trials and the final models train "
        "on a subset, so the test accuracies sit below `full`'s"
    ),
}
