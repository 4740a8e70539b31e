"""Campaign reach and response (*erişim*, *kazanma*): who a campaign reached, who responded, what it changed.

Inputs are the optional prepared tables beside the sales lines (pandas frames):

=========  ==========================================================================================
exposures  customer_id, campaign_id, campaign_type (may be null), start, end (timestamps; end = start
           when the source has only a date), channel (may be null). One row per customer and campaign
           (repeated rows of the same pair count once).
responses  customer_id, campaign_id, response_ts, response_type (may be null), value (may be null).
lines      the clean sales lines: customer_id, invoice_ts, amount (currency), invoice (optional).
=========  ==========================================================================================

Definitions (every function below uses exactly these)
-----------------------------------------------------
* **Campaign window**: calendar days from the earliest ``start`` to the latest ``end`` of the
  campaign's exposures, both inclusive, plus ``extend_days`` after the end (for campaigns whose
  exposures carry only a send date). A purchase is *in the window* when its invoice date is in it.
  With ``end_inclusive=False`` the ``end`` is read as the first day *after* the window (the
  synthetic generator's convention, see :func:`end_inclusive_for`).
* **Reached** (*erişim*): distinct customers with an exposure row for the campaign.
* **Responder**: a reached customer with at least one response to that campaign. Responses by
  customers the campaign did not reach are counted apart (``unreached_responders``); responses
  dated outside the window still count (``responders_outside_window`` says how many).
* **Response rate** = responders / reached, with a Wilson score interval.
* **Days to respond**: first response of the customer minus the customer's own exposure start
  (days, fractional).
* **Responder revenue in the window**: the responders' line amounts dated in the window (currency).
* **Repeat** (funnel): a customer who bought again in the ``repeat_days`` days after the window
  end; known only when window end + ``repeat_days`` is on or before the analysis date.
* **Eligible** (targeted vs not targeted): a customer with a purchase before the window start
  (within ``lookback_days`` of it, when given). The comparison is between eligible customers the
  campaign reached and eligible customers it did not, on the share buying in the window and the
  revenue per customer in the window. Unless targeting was randomised this is an
  **observational difference**, not the campaign's causal uplift: targeted customers are usually
  chosen because they buy more.

Statistics come from scipy: Wilson intervals (:meth:`scipy.stats.binomtest.proportion_ci`),
Newcombe's hybrid score interval for a difference of proportions (method 10 of Newcombe 1998,
built from the two Wilson intervals), the Wald interval and its standard error, the chi-square
test of a 2 x k table (:func:`scipy.stats.chi2_contingency`) and Welch's t interval for the
difference in revenue per customer (:func:`scipy.stats.ttest_ind`).

References
----------
Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. *Statistics in Medicine* 17, 873-890.

Modules
-------
:mod:`~helpers.models.campaigns.tables` (input checks, purchase days, :func:`load_inputs`),
:mod:`~helpers.models.campaigns.intervals` (Wilson, Newcombe, family z),
:mod:`~helpers.models.campaigns.response` (windows, reach and response, funnel),
:mod:`~helpers.models.campaigns.uplift` (targeted vs not targeted, truth check),
:mod:`~helpers.models.campaigns.arms` (treatment/control flag checks), :mod:`~helpers.models.campaigns.learners`
(T- and X-learner, Qini and uplift curves), :mod:`~helpers.models.campaigns.targeting` (rules at one
budget), :mod:`~helpers.models.campaigns.study` (per-customer uplift on a randomised campaign),
:mod:`~helpers.models.campaigns.planner` (test size and result) and
:mod:`~helpers.models.campaigns.responders` (who responds). Every public name is importable
from this package: ``from helpers.models import campaigns as cp; cp.campaign_summary(...)``.
"""
from __future__ import annotations

from helpers.models.campaigns.intervals import DiffCI, diff_proportions, family_z, wilson_ci
from helpers.models.campaigns.responders import (
    customer_flags, profile_groups, profile_tests, responder_profile, spend_tier,
)
from helpers.models.campaigns.response import (
    campaign_summary, campaign_windows, end_inclusive_for, funnel, funnel_total, response_pairs, type_summary,
)
from helpers.models.campaigns.tables import (
    EXPOSURE_COLUMNS, MISSING, NO_TYPE, RESPONSE_COLUMNS, CampaignInputs, check_exposures, check_responses,
    customer_days, days_in_window, load_inputs, need_columns,
)
from helpers.models.campaigns.uplift import pooled_difference, targeting_comparison, truth_check
from helpers.models.campaigns.arms import arm_warning, clean_arms
from helpers.models.campaigns.learners import TLearner, XLearner, auuc, qini_coefficient, uplift_curves
from helpers.models.campaigns.planner import (
    TestDesign, campaign_results, customers_per_arm, plan_test, result_of_test, weekly_flow, weeks_needed,
)
from helpers.models.campaigns.targeting import compare_rules, winning_rule
from helpers.models.campaigns.study import (
    FEATURES, customer_campaigns, customer_columns, features_at, join_customers, planted_uplift, uplift_study,
)

__all__ = [
    "EXPOSURE_COLUMNS", "MISSING", "NO_TYPE", "RESPONSE_COLUMNS",
    "CampaignInputs", "DiffCI",
    "campaign_summary", "campaign_windows", "check_exposures", "check_responses", "customer_days",
    "customer_flags", "days_in_window", "diff_proportions", "end_inclusive_for", "family_z", "funnel",
    "funnel_total", "load_inputs", "need_columns", "pooled_difference", "profile_groups", "profile_tests",
    "responder_profile", "response_pairs", "spend_tier", "targeting_comparison", "truth_check",
    "type_summary", "wilson_ci",
    "FEATURES", "TLearner", "TestDesign", "XLearner", "arm_warning", "auuc", "campaign_results", "clean_arms",
    "customer_columns", "features_at", "join_customers",
    "compare_rules", "customer_campaigns", "customers_per_arm", "plan_test", "planted_uplift", "qini_coefficient",
    "result_of_test", "uplift_curves", "uplift_study", "weekly_flow", "weeks_needed", "winning_rule",
]
