"""Chapter 03 (reading analog clocks): its settings per profile.

* n: clocks drawn at the course's difficulty (leiden) with the seed, split 80/10/10 (the course
  has 18 000); size: their pixels; per_row: clocks per figure row.
* Part two, per group of runs (base: the report's base models; report: its Figure 5 model;
  rep: the representations table; final: the final model): subset (training clocks used, None:
  all), input size, epochs, batch, learning rate.
* final_schedule ("constant" | "cosine") and final_symmetry (train on random quarter turns and
  flips, read in all eight): the final model's extras.
* optimizers x timing_repeats: the base models' runs. easy_n: easy clocks the final model reads.
* max_final_cse: the chapter fails above it (a sanity check, not a target).
"""

CHAPTER = "03_clock_reading"

#: The same under every profile.
_COMMON = {
    "size": 150,
    "base_batch": 32,
    "report_batch": 24,
    "report_lr": 3e-4,
    "rep_batch": 32,
    "rep_lr": 1e-3,
    "final_batch": 32,
    "final_schedule": "cosine",
    "final_symmetry": True,
}

PROFILES = {
    "smoke": {
        **_COMMON,
        "n": 600,
        "per_row": 4,
        "optimizers": ("adam",),
        "timing_repeats": 1,
        "base_subset": None,
        "base_size": 32,
        "base_epochs": 1,
        "report_subset": None,
        "report_size": 96,
        "report_epochs": 1,
        "rep_subset": None,
        "rep_size": 32,
        "rep_epochs": 1,
        "final_size": 32,
        "final_epochs": 1,
        "final_lr": 1e-3,
        "easy_n": 60,
        "max_final_cse": None,
    },
    "quick": {
        **_COMMON,
        "n": 6_000,
        "per_row": 6,
        "optimizers": ("sgd", "adam", "adadelta"),
        "timing_repeats": 2,
        "base_subset": 800,
        "base_size": 48,
        "base_epochs": 1,
        "report_subset": 2_400,
        "report_size": 150,
        "report_epochs": 1,
        "rep_subset": None,
        "rep_size": 64,
        "rep_epochs": 1,
        "final_size": 96,
        "final_epochs": 7,
        "final_lr": 2e-3,
        "easy_n": 600,
        "max_final_cse": None,  # its 7 epochs are not expected to leave chance
    },
    "full": {  # sized to about 40 min on 2 cores (the budget: 45)
        **_COMMON,
        "n": 18_000,
        "per_row": 8,
        "optimizers": ("sgd", "adam", "adadelta"),
        "timing_repeats": 2,
        "base_subset": 1_600,
        "base_size": 48,
        "base_epochs": 1,
        "report_subset": 4_800,
        "report_size": 150,
        "report_epochs": 1,
        "rep_subset": 9_600,
        "rep_size": 64,
        "rep_epochs": 1,
        "final_size": 96,
        "final_epochs": 16,
        "final_lr": 2e-3,
        "easy_n": 1_800,
        "max_final_cse": 160,  # below chance (about 180): the model reads something
    },
}
