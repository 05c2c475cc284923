"""Chapter 01 (MLPs, CNNs and their tuning): its settings per profile.

Sizes are training images drawn (stratified) from the 60 000, then split 85 % fit / 15 %
validation (the reference report's split); None: all of them (51 000 fit, 9 000 validation).
Every model of the chapter, the final ones included, trains on the fit part and is chosen on
the validation part, as the report did; the test set scores the final models once.
A budget is ``{"epochs": n}`` (passes over the fit part) or ``{"steps": n, "points": k}``
(batches of 128, with k points on the learning curve); 400 steps = one pass over 51 000.

* precision: "auto" (bfloat16 arithmetic where the CPU has it, else float32), or one of
  classifiers.models.PRECISIONS.
* subset: training images of every experiment, search and final model.
* report_budget / base_seeds: the base models (the report's 10 epochs), seeds seed, seed+1, ...
  per model kind; they are Table 4's base column too, and their spread is the one a
  one-seed configuration borrows.
* budget / seeds: every other configuration of the experiments, per model kind.
* long_datasets / long_seeds: the CNN's activations and its run without dropout, the claims
  about where training ends, at report_budget on these datasets (the MLP runs every experiment
  at the report's budget already).
* threshold: the validation accuracy per dataset at which time-to-accuracy is read.
* lr_subset / lr_steps: the learning-rate range test.
* size_*: the CNN model-size grid (two levels of 500 filters cost 30x the base CNN per step, so
  the grid runs on the datasets in size_datasets only).
* tune_*: the keras-tuner searches (epochs per trial for each model); coarse_trials /
  fine_trials: trials per stage; holdout_seeds: the winner and the hand-set first trial trained
  again with this many seeds the search never used, to judge the winner's margin.
* recipe_epochs: the final training recipe's epochs per model; ablation_seeds: seeds of the
  recipe ablation's other cells; final_seeds: seeds of the final models (Table 4); test_subset:
  test images they are scored on (None: all 10 000).
* widget_*: the panel's retraining. eager: tiny data trains faster without tracing a graph.
* experiment_datasets: where the experiments run (smoke and quick: MNIST only).
* min_test_accuracy: the chapter fails below it (a sanity check, not a target).

The full profile was allocated on a 2-core machine without bfloat16 arithmetic (float32), where
the report's CNN trains at about 350-600 images/s (one 10-epoch run of 51 000 images: about
20 min) and an MLP epoch takes 8-9 s: the MLPs get the report's 10 epochs in every experiment;
the CNN one pass (400 steps) per configuration, and 10 epochs for the claims about where
training ends on Fashion-MNIST (its differences are the larger in the report's Table 1); one
seed per configuration beyond the base models' (three for the MLP, one for the CNN). There the
whole chapter takes about 9 hours from empty stores. On a 2-core machine with bfloat16
(``avx512_bf16``) the CNN trains at about 2 700 images/s (a 10-epoch run: about 3.4 min) and an
MLP epoch takes about 3.5 s; the same allocation then fits the chapter's 180 minutes (the
record's ``trained_minutes`` and ``seconds_from_scratch`` say what each part cost).

What the targets would cost beyond this allocation, measured with the chapter's own builders on
its validation split (seed 0, bfloat16, one run each; 2026-12-07): the Fashion-MNIST MLP does not
gain from more epochs or more regularisation (its final recipe at 20 epochs 0.9119; at 30 epochs
0.9111; with 2-pixel shifts 0.8980; dropout 0.5 instead of 0.3 0.9067), so its 0.905 waits for
another lever than budget. A CNN of 32 then 64 filters (two convolutions per level, the hand-set
dense and dropout; twice the search space's widest) with the final recipe reaches 0.9443 on
Fashion-MNIST after 20 epochs, in 20.9 min per seed (about 0.937 on test, which reads some 0.007
below validation on Fashion-MNIST here), and 0.9962 on MNIST after 15 epochs with shifts and
rotations, in 17.5 min. Three seeds of each and their ablation cells would add about 105 minutes
to the chapter's 156 from empty stores, beyond its 180.
"""

from . import Target

CHAPTER = "01_mlp_cnn_tuning"

#: The chapter's targets: test accuracy of each selected model, mean over the final seeds.
TARGETS = {
    "mnist/mlp": Target(">=", 0.990, "mean"),
    "mnist/cnn": Target(">=", 0.996, "mean"),
    "fashion_mnist/mlp": Target(">=", 0.905, "mean"),
    "fashion_mnist/cnn": Target(">=", 0.940, "mean"),
}
#: The reference report's numbers: Table 4 (test accuracy, base and selected models) and the
#: base models' validation accuracy of its section 2.1.
REFERENCES = {
    "table4": {
        "mnist/mlp": (0.980, 0.981),
        "mnist/cnn": (0.990, 0.990),
        "fashion_mnist/mlp": (0.869, 0.877),
        "fashion_mnist/cnn": (0.918, 0.921),
    },
    "base_validation": {
        "mnist/mlp": 0.982,
        "fashion_mnist/mlp": 0.876,
        "mnist/cnn": 0.990,
        "fashion_mnist/cnn": 0.922,
    },
}

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
        "subset": 400,
        "report_budget": {"mlp": {"epochs": 2}, "cnn": {"epochs": 1}},
        "base_seeds": {"mlp": 2, "cnn": 2},
        "budget": {"mlp": {"steps": 4, "points": 2}, "cnn": {"steps": 2, "points": 2}},
        "seeds": {"mlp": 1, "cnn": 1},
        "long_datasets": ("mnist",),
        "long_seeds": 1,
        "threshold": {"mnist": 0.3, "fashion_mnist": 0.3},
        "lr_subset": 1_000,
        "lr_steps": 20,
        "size_datasets": ("mnist",),
        "size_subset": 120,
        "size_budget": {"steps": 1, "points": 1},
        "size_seeds": 1,
        "tune_subset": 300,
        "tune_epochs": {"mlp": 1, "cnn": 1},
        "coarse_trials": 1,
        "fine_trials": 1,
        "holdout_seeds": 1,
        "recipe_epochs": {"mlp": 2, "cnn": 2},
        "ablation_seeds": 1,
        "final_seeds": 2,
        "test_subset": 1_000,
        "widget_subset": 500,
        "widget_epochs": 1,
        "eager": True,
        "min_test_accuracy": 0.1,
    },
    "quick": {
        "precision": "auto",
        "experiment_datasets": ("mnist",),
        "subset": 12_000,
        "report_budget": {"mlp": {"epochs": 3}, "cnn": {"epochs": 1}},
        "base_seeds": {"mlp": 2, "cnn": 2},
        "budget": {"mlp": {"steps": 160, "points": 4}, "cnn": {"steps": 80, "points": 4}},
        "seeds": {"mlp": 1, "cnn": 1},
        "long_datasets": ("mnist",),
        "long_seeds": 1,
        "threshold": {"mnist": 0.95, "fashion_mnist": 0.8},
        "lr_subset": 6_400,
        "lr_steps": 100,
        "size_datasets": ("mnist",),
        "size_subset": 12_000,
        "size_budget": {"steps": 25, "points": 1},
        "size_seeds": 1,
        "tune_subset": 4_000,
        "tune_epochs": {"mlp": 2, "cnn": 1},
        "coarse_trials": 3,
        "fine_trials": 1,
        "holdout_seeds": 1,
        "recipe_epochs": {"mlp": 3, "cnn": 1},
        "ablation_seeds": 1,
        "final_seeds": 2,
        "test_subset": None,
        "widget_subset": 3_000,
        "widget_epochs": 5,
        "eager": False,
        "min_test_accuracy": 0.7,
    },
    "full": {
        "precision": "auto",
        "experiment_datasets": ("mnist", "fashion_mnist"),
        "subset": None,
        "report_budget": {"mlp": {"epochs": 10}, "cnn": {"epochs": 10}},
        "base_seeds": {"mlp": 3, "cnn": 1},
        "budget": {"mlp": {"epochs": 10}, "cnn": {"steps": 400, "points": 4}},
        "seeds": {"mlp": 1, "cnn": 1},
        "long_datasets": ("fashion_mnist",),
        "long_seeds": 1,
        "threshold": {"mnist": 0.97, "fashion_mnist": 0.85},
        "lr_subset": 12_800,
        "lr_steps": 150,
        "size_datasets": ("mnist",),
        "size_subset": None,
        "size_budget": {"steps": 200, "points": 2},
        "size_seeds": 1,
        "tune_subset": None,
        "tune_epochs": {"mlp": 2, "cnn": 1},
        "coarse_trials": 4,
        "fine_trials": 2,
        "holdout_seeds": 1,
        "recipe_epochs": {"mlp": 20, "cnn": 10},
        "ablation_seeds": 1,
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
        "seeing every section work: the experiments run on MNIST only, with one seed (two for "
        "the base models) and budgets of a few dozen to a few hundred steps on 12 000 images, "
        "so their tables show each comparison's shape and most claims stay undecided; the "
        "searches are a few short trials and the final models train briefly, so the test "
        "accuracies sit below `full`'s"
    ),
}
