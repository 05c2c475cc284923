"""Chapter 01 (MLPs, CNNs and their tuning): its settings per profile.

Sizes are training images drawn (stratified) from the 60 000, then split 85 % fit / 15 %
validation; None: all of them.

* base_subset / base_epochs: the base models; lr_subset / lr_steps: the learning-rate range test.
* subset / epochs / seeds: each configuration of the experiments (initialisers, optimizers,
  activations, regularisation), run with seeds seed, seed+1, ...
* size_*: the CNN model-size experiment (500 filters x 2 levels costs about 30 ms per image and
  epoch here, 20x the base CNN).
* tune_*: the keras-tuner searches (epochs per trial for each model); coarse_trials /
  fine_trials: trials per stage.
* final_subset / final_epochs: per "<model>_<version>" of the final table; test_subset: test
  images they are scored on (None: all 10 000; smoke: fewer, for speed).
* widget_*: the panel's retraining. eager: tiny data trains faster without tracing a graph.
* experiment_datasets: where the experiments run (smoke: one, to stay near a minute).
* min_test_accuracy: the chapter fails below it (a sanity check, not a target).

full is sized to about 75 min on a day when one epoch of the base CNN on 60 000 images took
106 s.
"""

CHAPTER = "01_mlp_cnn_tuning"

PROFILES = {
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
        "final_epochs": {"mlp_base": 10, "cnn_base": 2, "mlp_selected": 12, "cnn_selected": 10},
        "test_subset": None,
        "widget_subset": 5_000,
        "widget_epochs": 5,
        "eager": False,
        "min_test_accuracy": 0.85,
    },
}
