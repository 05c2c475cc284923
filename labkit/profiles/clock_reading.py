"""Chapter 03 (reading analog clocks): its settings per profile.

* n: clocks drawn at the course's difficulty (leiden) with the seed, split 80/10/10 (the course
  has 18 000); size: their pixels; per_row: clocks per figure row.
* cmp_*: the report's comparisons, on their own clocks: cmp_rung (the rung where its models
  leave chance within the budget), cmp_n clocks split 80/10/10, cmp_size input pixels,
  cmp_epochs, cmp_batch, cmp_seeds (seeds per row); optimizers: the base models' optimizers;
  output_reps: the outputs compared on the base body beside its classifier and regression.
* many_*: the one-output models again with more clocks per class (many_n clocks at cmp_rung,
  many_reps, many_epochs; cmp_size, cmp_batch and cmp_seeds as above).
* report_*: the report's Figure 5 model on the comparison clocks (its input size, batch and
  learning rate: the report's 24 and about 3e-4), trained until its validation error flattens:
  report_epochs a ceiling, report_patience epochs without a better value end it, not before
  report_min_epochs (past the report's jump near epoch 20).
* ladder: the rungs the base classifier is trained on, same budget, to show where it stops.
* extra_train: more leiden clocks (another seed) added to the readers' training part.
* final_*: the readers at leiden (input size, epochs, batch, peak learning rate, schedule,
  symmetry: train on random quarter turns and read in all four); reader_seeds: seeds per reader.
* up_n, up_epochs, up_lr: the time-label reader's first phase, on up_n ``upright`` clocks
  (leiden without the rotation) for up_epochs epochs at a constant up_lr, before its
  final_epochs on leiden; direct_epochs: the same reader on leiden without that phase.
* mirrored_n, easy_n: new clocks at the mirrored and easy rungs the generator-label reader reads.
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

#: The readers' targets on generated ``leiden`` clocks, mean common-sense error over seeds
#: (minutes): the reader trained on the time alone at the report's 1.89, the one trained on the
#: generator's labels (dial rotation, hand angles) at 1.0.
TARGETS = {
    "time_labels_cse_minutes": Target("<=", 1.89, "mean"),
    "cse_minutes": Target("<=", 1.0, "mean"),
}
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
    "up_lr": 1e-3,
    "output_reps": ("two_head", "class_720", "class_720_cse", "one_value", "sincos"),
    "many_reps": ("class_720", "class_720_cse"),
}

#: ``full`` is sized to the issue's 150 minutes on 2 cores from empty stores, from probes on a
#: bfloat16 machine (per epoch: 4 000 clocks at 32 px 3-5 s, the Figure 5 model at 96 px 5-10 s,
#: a reader 30-40 s per 14 400 clocks at 96 px): about 20 minutes of comparisons, 10 of the
#: 720-class rows on more clocks, 30 of the Figure 5 arms until flat, 35 per reader over its
#: two seeds, and a few of drawing clocks.
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
        "many_n": 400,
        "many_epochs": 1,
        "report_size": 96,
        "report_epochs": 2,
        "report_patience": 1,
        "report_min_epochs": 1,
        "ladder": ("easy", "leiden"),
        "extra_train": 120,
        "final_size": 32,
        "final_epochs": 1,
        "final_lr": 1e-3,
        "reader_seeds": 1,
        "up_n": 300,
        "up_epochs": 1,
        "direct_epochs": 1,
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
        "many_n": 4_000,
        "many_epochs": 6,
        "report_size": 96,
        "report_epochs": 3,
        "report_patience": 2,
        "report_min_epochs": 3,
        "ladder": ("easy", "rotated"),
        "extra_train": 3_000,
        "final_size": 96,
        "final_epochs": 4,
        "final_lr": 2e-3,
        "reader_seeds": 1,
        "up_n": 3_000,
        "up_epochs": 2,
        "direct_epochs": 2,
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
        "cmp_epochs": 10,
        "cmp_seeds": 2,
        "optimizers": ("sgd", "adam", "adadelta"),
        "many_n": 18_000,
        "many_epochs": 10,
        "report_size": 96,
        "report_epochs": 50,
        "report_patience": 6,
        "report_min_epochs": 25,
        "ladder": ("easy", "shifted", "rotated", "leiden"),
        "extra_train": 18_000,
        "final_size": 96,
        "final_epochs": 14,
        "final_lr": 2e-3,
        "reader_seeds": 2,
        "up_n": 14_400,
        "up_epochs": 3,
        "direct_epochs": 4,
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
        "where they stop learning; its Figure 5 model gets a few epochs, too few for the jump "
        "the report saw; both readers train on a few thousand clocks for a few epochs at one "
        "seed, too few to read `leiden` clocks well: their errors stay far above `full`'s"
    ),
}
