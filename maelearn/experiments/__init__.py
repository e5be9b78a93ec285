"""Experiments that compare variants with seeds and intervals, each one re-runnable command
(``python -m maelearn.experiments --help``):

``ablations`` (the image MAE's Table 1 / Figure 5 / Figure 9 sweeps), ``length`` (pretraining
length), ``labels`` (label efficiency), ``video``, ``audio`` and ``timeseries``. They are the
tool layer: they import the lesson library, which never imports them; the intervals and the
verdict rule they report with are the library's (:mod:`maelearn.stats`, taught in lesson 09).
"""

from maelearn.experiments.ablations import PAPER_SPEEDUP, PAPER_TABLE1, SCALES, load_results, run_ablations

__all__ = ["PAPER_SPEEDUP", "PAPER_TABLE1", "SCALES", "load_results", "run_ablations"]
