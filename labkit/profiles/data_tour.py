"""Chapter 00 (the data tour): its settings per profile.

grid_per_class: images shown per class in the sample grid; stats_samples: training images used
for the pixel statistics (None: all 60 000).
"""

CHAPTER = "00_data_tour"

#: The README's picture of the chapter: the first figure of the first code cell holding this.
README_FIGURE = "for name, ((x_train, y_train), _) in datasets.items():"

PROFILES = {
    "smoke": {"grid_per_class": 4, "stats_samples": 2_000},
    "quick": {"grid_per_class": 8, "stats_samples": 20_000},
    "full": {"grid_per_class": 10, "stats_samples": None},
}

#: What this chapter's numbers at a profile are good for (the README's default-run table).
PURPOSE = {
    "quick": (
        "the same pictures and statistics as `full`, the pixel statistics from a sample of the "
        "training images"
    ),
}
