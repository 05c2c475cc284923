"""Chapter 02 (pixel permutation): its settings per profile.

The selected MLP and CNN of chapter 01 (same profile), without augmentation, trained on the
original and on the permuted images: seeds runs per arm (seed, seed+1, ...), epochs per model
(shorter than chapter 01's final runs), on a stratified subset of the training images and
test_subset of the test images (None: all). The restored arm (permuted, inverse applied first)
runs restored_seeds seeds of the CNN. bn_momentum: of the batch-normalisation averages (None:
the selected models' own, from the recipe chapter 01 chose for each; runs of a few hundred steps
need 0.9, see classifiers.models.set_batch_norm_momentum). full must stay within 45 minutes on 2
cores. min_test_accuracy: the chapter fails below it on the original images (a sanity check, not
a target).
"""

CHAPTER = "02_pixel_permutation"

#: The README's picture of the chapter: the first figure of the first code cell holding this.
README_FIGURE = "permutation.plot(runs"
#: The README's generated section of the chapter (between ``<!-- NAME:start/end -->``);
#: its text and headline rows are the functions ``pixel_permutation`` of
#: :mod:`labkit.book.details` and :mod:`labkit.book.headlines`.
README_SECTION = "task2"

PROFILES = {
    "smoke": {
        "seeds": 1,
        "epochs": {"mlp": 1, "cnn": 1},
        "subset": 600,
        "test_subset": 500,
        "restored_seeds": 1,
        "eager": True,
        "bn_momentum": 0.99,  # 5 steps: averages near their start beat 5 noisy ones
        "min_test_accuracy": 0.15,
    },
    "quick": {
        "seeds": 2,
        "epochs": {"mlp": 3, "cnn": 2},
        "subset": 8_000,
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
}

#: What this chapter's numbers at a profile are good for (the README's default-run table).
PURPOSE = {
    "quick": (
        "the chapter's finding in small: the CNN loses accuracy on permuted pixels and the MLP "
        "does not, with two seeds on a subset of the training images"
    ),
}
