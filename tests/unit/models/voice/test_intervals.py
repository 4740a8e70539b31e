"""Wilson and Newcombe intervals against published examples."""
from __future__ import annotations

from helpers.models import voice


class TestIntervals:
    def test_intervals_match_published_examples(self):
        # Newcombe (1998): Wilson 81/263 -> 0.2553 .. 0.3662; difference 56/70 - 48/80, method 10 -> 0.0524 .. 0.3339
        lo, hi = voice.wilson_interval(81, 263)
        assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
        d = voice.diff_proportions(56, 70, 48, 80)
        assert (round(d["low"], 4), round(d["high"], 4)) == (0.0524, 0.3339)
