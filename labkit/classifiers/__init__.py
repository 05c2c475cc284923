"""Chapters 01 and 02: image classifiers and the experiments run on them, one module per
concern.

* :mod:`.models`: the MLP and CNN builders, the input preparation and the layer stack in words;
* :mod:`.training`: one seeded fit, and a final model trained on all training images and
  scored once on the test set (kept in a store);
* :mod:`.experiments`: grids of configurations x seeds with a resumable store, their
  summaries, budgets and plots;
* :mod:`.lr_finder`: the learning-rate range test;
* :mod:`.live`: chapter 01's *train* panel (a small model trained while its progress shows);
* :mod:`.readings`: chapter 01's tables read in words (the sigmoid check's verdict);
* :mod:`.tuning`: keras-tuner search spaces and the coarse-to-fine search; its
  :mod:`.tuning.distributed`: the same search over a chief and workers;
* :mod:`.permutation`: chapter 02's fixed pixel permutation and its arms.

Import the modules (``from labkit.classifiers import experiments, models``). What each stored
result is keyed on: :mod:`labkit.stores`.
"""
