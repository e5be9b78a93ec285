"""Experiments that compare variants with seeds and intervals, each one re-runnable command
(``python -m maelearn.experiments --help``):

* :mod:`~maelearn.experiments.ablations` — the image MAE's Table 1 / Figure 5 / Figure 9
  sweeps (``python -m maelearn.experiments ablations``);
* :mod:`~maelearn.experiments.stats` — intervals, paired differences and the verdict rule
  every experiment uses.
"""

from maelearn.experiments.ablations import PAPER_SPEEDUP, PAPER_TABLE1, SCALES, load_results, run_ablations

__all__ = ["PAPER_SPEEDUP", "PAPER_TABLE1", "SCALES", "load_results", "run_ablations"]
