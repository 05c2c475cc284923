"""Chapters 01 and 02: image classifiers and the experiments run on them, one module per
concern.

* :mod:`.models`: the MLP and CNN builders and the input preparation;
* :mod:`.experiments`: one fit, grids of configurations x seeds with a resumable store, their
  statistics, plots and the final test;
* :mod:`.lr_finder`: the learning-rate range test;
* :mod:`.live`: chapter 01's *train* panel (a small model trained while its progress shows);
* :mod:`.readings`: chapter 01's tables read in words (the sigmoid check's verdict);
* :mod:`.tuning`: keras-tuner search spaces, the coarse-to-fine search;
* :mod:`.distributed`: the same search over a chief and workers;
* :mod:`.permutation`: chapter 02's fixed pixel permutation and its arms.

Import the modules (``from labkit.classifiers import experiments, models``).
"""
