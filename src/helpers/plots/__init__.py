"""Plot recipes: each takes a small table and returns a figure with a title, axis labels and units.

``from helpers import plots`` gives the shared recipes (:mod:`.base`) and the cleaning ones
(:mod:`.cleaning`); each analytic stage keeps its own module (``plots.lifecycle``,
``plots.segments``, ``plots.clv``, ``plots.churn``, ``plots.baskets``), imported as
``from helpers.plots import clv as clv_plots``.
"""
from helpers.plots.base import TEMPLATE, histogram, setup_notebook, share_bars, show  # noqa: F401
from helpers.plots.cleaning import cleaning_waterfall, lines_per_period, revenue_raw_vs_clean  # noqa: F401
