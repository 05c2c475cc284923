"""Chapter 03 (reading analog clocks): its settings per profile.

* n: clocks drawn at the course's difficulty (leiden) with the seed, split 80/10/10 (the course
  has 18 000); size: their pixels; per_row: clocks per figure row.
* cmp_*: the report's comparisons, on their own clocks: cmp_rung (the rung where its models
  leave chance within the budget), cmp_n clocks split 80/10/10, cmp_size input pixels,
  cmp_epochs, cmp_batch, cmp_seeds (seeds per row); optimizers: the base models' optimizers.
* report_*: the report's Figure 5 model on the comparison clocks (its input size, epochs,
  batch, learning rate: the report's 24 and about 3e-4).
* ladder: the rungs the base classifier is trained on, same budget, to show where it stops.
* extra_train: more leiden clocks (another seed) added to the reader's training part.
* final_*: the reader at leiden (input size, epochs, batch, peak learning rate, schedule,
  symmetry: train on random quarter turns and read in all four).
* mirrored_n, easy_n: new clocks at the mirrored and easy rungs the final reader reads.
* max_final_cse: the chapter fails above it (a sanity check, not the target).
"""

from . import Target

CHAPTER = "03_clock_reading"

#: The README's picture of the chapter: the first figure of the first code cell holding this.
README_FIGURE = "ladder = {d: [clocks.spec("
#: The README's generated section of the chapter (between ``<!-- NAME:start/end -->``);
#: its text and headline rows are the functions ``clock_reading`` of
#: :mod:`labkit.book.details` and :mod:`labkit.book.headlines`.
README_SECTION = "task3"

#: The reader's target on generated ``leiden`` clocks: mean common-sense error, minutes.
TARGETS = {"cse_minutes": Target("<=", 1.0)}
#: The reference report's mean common-sense error on the course's photos (its section 5).
REFERENCES = {
    "photos_cse_minutes": 1.89,
    "figure5_params": 624_392,  # the report's Figure 5 model: its parameter count
}

#: The same under every profile.
_COMMON = {
    "size": 150,
    "cmp_rung": "easy",
    "cmp_batch": 32,
    "report_batch": 24,
    "report_lr": 3e-4,
    "final_batch": 32,
    "final_schedule": "cosine",
    "final_symmetry": True,
}

#: ``full`` is sized to about 45 minutes on 2 cores (the issue's budget: 60): comparisons of
#: 1 000 steps each (their models leave chance after 400-600 at easy, 32 px), a reader of 14
#: epochs of 32 400 clocks.
PROFILES = {
    "smoke": {
        **_COMMON,
        "n": 600,
        "per_row": 4,
        "cmp_n": 300,
        "cmp_size": 32,
        "cmp_epochs": 1,
        "cmp_seeds": 1,
        "optimizers": ("adam",),
        "report_size": 96,
        "report_epochs": 1,
        "ladder": ("easy", "leiden"),
        "extra_train": 120,
        "final_size": 32,
        "final_epochs": 1,
        "final_lr": 1e-3,
        "mirrored_n": 60,
        "easy_n": 60,
        "max_final_cse": None,
    },
    "quick": {
        **_COMMON,
        "n": 3_000,
        "per_row": 6,
        "cmp_n": 4_000,
        "cmp_size": 32,
        "cmp_epochs": 6,
        "cmp_seeds": 1,
        "optimizers": ("sgd", "adam", "adadelta"),
        "report_size": 96,
        "report_epochs": 3,
        "ladder": ("easy", "rotated"),
        "extra_train": 3_000,
        "final_size": 96,
        "final_epochs": 4,
        "final_lr": 2e-3,
        "mirrored_n": 300,
        "easy_n": 300,
        "max_final_cse": None,
    },
    "full": {
        **_COMMON,
        "n": 18_000,
        "per_row": 8,
        "cmp_n": 5_000,
        "cmp_size": 32,
        "cmp_epochs": 8,
        "cmp_seeds": 2,
        "optimizers": ("sgd", "adam", "adadelta"),
        "report_size": 96,
        "report_epochs": 6,
        "ladder": ("easy", "shifted", "rotated", "leiden"),
        "extra_train": 18_000,
        "final_size": 96,
        "final_epochs": 14,
        "final_lr": 2e-3,
        "mirrored_n": 1_800,
        "easy_n": 1_800,
        "max_final_cse": 30,  # far below chance (about 180): the reader reads the clocks
    },
}

#: What this chapter's numbers at a profile are good for (the README's default-run table).
PURPOSE = {
    "quick": (
        "the report's comparisons on `easy` clocks with one seed and fewer clocks and epochs "
        "than `full`: which optimizer and output learn at all (not a ranking) and the rung "
        "where they stop learning; its Figure 5 model needs more epochs than this and stays "
        "near chance; the reader trains on a few thousand clocks for a few epochs, too few to "
        "read `leiden` clocks well: its error stays far above `full`'s"
    ),
}
