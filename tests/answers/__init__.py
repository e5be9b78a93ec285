"""Answers the graders are tested on, one module per lesson, as data.

Each ``lNN.py`` defines typical student answers and two lists:

* ``WRONG``: (exercise id, wrong answer, text its failure message must contain, usually
  the hint that names the mistake);
* ``RIGHT``: (exercise id, answer) that are right by another route or convention than the
  reference (float64-then-cast, BERT's fixed count, ...) and must pass.

``tests/test_graders_all.py`` checks the whole table in one test each.
"""

from answers import l00, l01, l02, l03, l04, l05, l06, l07, l08, l09, l10, l11, l12, side_effects

LESSONS = (l00, l01, l02, l03, l04, l05, l06, l07, l08, l09, l10, l11, l12, side_effects)
WRONG = [row for module in LESSONS for row in module.WRONG]
RIGHT = [row for module in LESSONS for row in module.RIGHT]
