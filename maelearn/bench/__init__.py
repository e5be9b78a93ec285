"""Speed and cost: how fast a pretraining step runs (:mod:`~maelearn.bench.step`, the
``python -m maelearn.bench`` command), what it costs in FLOPs (:mod:`~maelearn.bench.flops`),
and the peer implementations it is compared with (:mod:`~maelearn.bench.peers`)."""

from maelearn.bench.step import main, run_bench

__all__ = ["main", "run_bench"]
