"""A seeded synthetic gift-and-home shop whose customers follow BG/NBD + Gamma-Gamma exactly.

Nothing is downloaded: the catalogue, the customer types and every rule are in this package.
:func:`generate` writes ``lines.parquet`` (the canonical line table of
:mod:`helpers.io.schema`), four customer tables beside it (demographics, campaign exposures
and responses, reviews and complaints) and a ``truth/`` folder with what was planted, so
tests and notebooks can check that a model recovers it::

    out_dir/
      lines.parquet            canonical sales lines, in time order (line_id = row number)
      attributes.parquet       one row per customer: region, age_band, income_band, household_size
      exposures.parquet        one row per targeted customer and campaign (campaign window, channel)
      responses.parquet        one row per campaign response (coupon redemption = an extra order)
      feedback.parquet         one row per review of an order (score 1-5, short English text)
      truth/params.json        population parameters per customer type, dirt counts, totals
      truth/customers.parquet  one row per customer: type, lambda, p, nu, birth_ts, dropout_ts, income
                               factor, complaints, campaign orders, ...
      truth/products.parquet   the catalogue (product_id, description, category, base_item, tier, price)
      truth/tiers.parquet      the good/better/best price ladder per base item
      truth/bundles.json       planted bundles: product ids and the planted conditional probability
      truth/demographics.json  income bands, their shares and lambda factors (the other columns: no effect)
      truth/feedback.json      review and complaint rules, the complaint hazard factor, counts
      truth/campaigns.json     per campaign: window, type, target share, response probability,
                               eligible/targeted/responders, the true uplift and response rate
      truth/campaign_orders.parquet  invoice, customer_id, campaign_id, invoice_ts, value of every
                               campaign (response) order
      truth/campaign_uplift.parquet  per eligible customer and campaign: the planted uplift segment
                               (persuadable, neutral, sleeping_dog), y0 (bought in the window
                               without contact) and uplift (the planted expected effect of contact)

Command line: ``python -m helpers.io.synth --customers 5000 --seed 42`` (``--help`` for more).

Modules: :mod:`~helpers.io.synth.params` (every fixed parameter), :mod:`~helpers.io.synth.catalogue`,
:mod:`~helpers.io.synth.clock` (time of day, seasons), :mod:`~helpers.io.synth.customers`
(BG/NBD customers, reviews), :mod:`~helpers.io.synth.campaigns`, :mod:`~helpers.io.synth.plan`
(the order skeleton), :mod:`~helpers.io.synth.baskets` (order composition),
:mod:`~helpers.io.synth.lines` (sales lines and dirt), :mod:`~helpers.io.synth.extra_tables`,
:mod:`~helpers.io.synth.truth` and :mod:`~helpers.io.synth.writing` (:func:`generate`,
:func:`ensure_synthetic`, the command line). The names below are re-exported here.

Catalogue
---------
12 named categories x 10 base items x 3 price tiers = 360 products. Each base item exists as
"<item> - Good" (price x1), "- Better" (~x1.8) and "- Best" (~x3); stock codes are 5-digit
strings. The catalogue, its prices and the planted bundles are fixed (they do not depend on
the seed), so "Tea Light Candles - Good" + "Candle Holder - Good" is a bundle in every run.

Timing: BG/NBD, exactly (Fader, Hardie & Lee 2005)
--------------------------------------------------
Per customer i of type k: ``lambda_i ~ Gamma(shape r_k, rate alpha_k)`` purchases per WEEK,
``p_i ~ Beta(a_k, b_k)`` (then ``lambda_i`` is multiplied by the customer's income factor and
``p_i`` is raised after a complaint: see "Demographics" and "Reviews and complaints" below;
``truth/customers.parquet`` holds the values used). The first purchase ("birth", time 0 of
the customer's BG/NBD clock) happens on a day drawn over the whole window; acquisition rises
linearly over the window (the last day gets 1.5x the first day's weight) and is higher in
November-December (x1.3, and x4 for the "gift" type). Birth times are conditioned on in BG/NBD, so this
seasonality does not bias anything. After the birth, repeat purchases arrive as a Poisson
process with rate ``lambda_i`` (exponential gaps) while the customer is alive.

**Dropout convention** (the one the BG/NBD likelihood uses): a customer can drop out only
immediately after a *repeat* purchase, with probability ``p_i`` after each one; never right
after the first purchase. So a customer with ``x = 0`` repeats is always alive, and the
number of repeats before dropout is geometric on 1, 2, ... ``dropout_ts`` in the truth is
the timestamp of the repeat purchase after which the customer dropped out (= the customer's
last purchase); it is null when the customer was still alive at the end of the window.
Dropouts that would happen after the window are not simulated (the customer is alive).

Time of day: events are simulated on a continuous clock in days. The calendar day is kept
exactly; the fraction of the day is mapped through a fixed, strictly increasing "shop hours"
curve onto 07:00-23:59 (busiest at lunch and in the evening) and floored to the second.
This keeps each customer's purchase order and purchase days exactly as simulated, so
``x``, ``t_x`` and ``T`` computed from dates agree with the continuous-time process to
within a day.

No seasonality is added to timing. Seasonality is only in *what* is bought: Gifts, Party,
Toys and Lighting peak in November-December, Garden in April-July (product choice
probabilities per calendar month).

Spend: Gamma-Gamma
------------------
``nu_i ~ Gamma(shape q_k, rate gamma_k)``; each order gets a target value
``z ~ Gamma(shape p_k, rate nu_i)`` (GBP). The order is then built to hit z: 1-6 products
are drawn (more for larger z) from the type's category/tier preferences and the month's
seasonality, planted bundle partners are added, the most expensive non-bundle lines are
dropped while the basket at one unit each costs more than z (a lone too-expensive item is
traded down to its "Good" tier), and quantities are set: every line gets
``floor(z / basket price)`` units, one more unit is added greedily from the most expensive
line down while it fits, and the line whose unit price fits the remainder best absorbs it
by rounding. So the realised order value differs from z by at most half the cheapest line's
unit price, except for the ~1 % of orders whose single (or bundled) items cost more than z.
Measured over all BTYD orders of the default run: median absolute relative error 2.4 %,
90th percentile 13 %, 99th percentile 33 % (small single-item orders: a GBP 8 target met by
one GBP 5.85 item twice), mean realised / mean target 1.00. Every run writes its figures to
``params.json["order_value_vs_target"]``; ``tests/unit/io/test_synth.py`` checks them.
The truth keeps per customer the mean target value (``mean_target_value``) and the mean
realised value (``mean_order_value``); the data only shows realised values. A Gamma-Gamma
fit on ``mean_target_value`` of regulars recovers (p, q, gamma) within sampling error; on
the realised values the rounding adds within-customer noise, so p comes out about 6 % low
and gamma about 10 % high (30,000 customers, three seeds), while the mean spend is unbiased.

Customer types
--------------
``regular`` (70 %, exactly the headline parameters in ``params["headline"]``), ``loyal``
(high frequency, low dropout), ``premium`` (high spend, buys "Best"), ``bargain`` (low
spend, buys "Good") and ``gift`` (one-off gift buyers: very low frequency, high dropout,
Gifts/Party/Toys, acquired mostly in November-December). A BG/NBD or Gamma-Gamma fit on
the regulars alone should recover the headline parameters; on everyone it recovers a
mixture. Countries: United Kingdom (about 82 %) and 9 others; channel per customer
(web/store/app; customers outside the UK use web/app) with an 80 % chance per order of
using the preferred one. Currency is always GBP.

Demographics (``attributes.parquet``)
-------------------------------------
Every customer gets a ``region`` (five UK regions for UK customers, "International" for the
others), an ``age_band`` (18-24 .. 65+), an ``income_band`` (low 30 %, middle 50 %, high 20 %)
and a ``household_size`` (1-5), drawn independently of the type and of each other. Only the
income band acts: the customer's BG/NBD rate is ``lambda = lambda_base x f`` with
``lambda_base ~ Gamma(r_k, alpha_k)`` as above and ``f`` = 0.8 (low), 1.0 (middle), 1.3 (high)
(:data:`INCOME_FACTOR`; the share-weighted mean is exactly 1, so each type's mean rate is
kept). So within a type and band ``lambda ~ Gamma(r_k, alpha_k / f)``. Region, age band and
household size have no effect (known nulls). Truth: ``truth/demographics.json``; per customer
``lambda`` (the rate used), ``lambda_base``, ``income_band``, ``income_factor``.
*Recovering it*: a BG/NBD fit with a band-specific alpha (``alpha / f_band``) on the regulars
returns ``f_low``, ``f_high`` relative to middle (``tests/unit/io/test_synth.py``:
``test_income_factors_recovered``, 30,000 customers: within 4 SE, SE of log f about 0.03, and
the planted null for the age band 65+ within 4 SE of 1).

The price of keeping the effect inside BG/NBD: the regulars' lambda is now a mixture of three
scaled Gamma(0.45, 7) distributions, not one; a plain BG/NBD fit on all regulars (the headline
test) sees it as a Gamma with a shape about 2-4 % lower. At 21,000 regulars that is about one
standard error (measured over seeds 21, 1, 2: r -1.5, -1.0, +0.7 SE), well inside the 4 SE the
tests allow.

Reviews and complaints (``feedback.parquet``)
--------------------------------------------
Each BTYD order gets a review with probability 0.25 (:data:`FEEDBACK_RULES`); its score is
1-5 with probabilities 6/6/12/30/46 %, independent of the customer and the order. Scores 1-2
are complaints (``category`` "complaint", else "review"). The review is written 0.5-7 days
after the order (never after the window: near its end the delay shrinks). ``text`` is a short
English comment drawn from a small phrase bank per score (:data:`FEEDBACK_PHRASES`: late
delivery, damaged, wrong item, refund for 1-2; fast delivery, great quality for 4-5), null for
10 % of reviews; ``title`` is always null, ``language`` "en", ``score_min`` 1, ``score_max`` 5.
Campaign, guest and cancelled orders get no reviews.

**A complaint raises the dropout hazard by the factor k = 2.** The dropout decision right
after repeat purchase j (the BG/NBD convention above) uses ``p' = 1 - (1 - p)**k`` instead of
``p`` once the customer has complained about order 0..j (the order just made included). So
the discrete dropout hazard ``-log(1 - p)`` per repeat purchase is multiplied by k (the
proportional-hazards form; ``p' ~ k p`` for small p, and never above 1). Truth:
``truth/feedback.json`` (rules, counts, share of complainers who dropped out) and per customer
``p`` (before any complaint), ``p_after_complaint``, ``n_reviews``, ``n_complaints``,
``complained``, ``first_complaint_ts`` (the order complained about) and
``complained_before_dropout`` (complained about an order at or before the dropout purchase; the
review itself may be dated a few days after ``dropout_ts``). *Recovering it*: the BG/NBD
likelihood with the complaint history keeps a closed form, because ``E[(1 - p)**S] = B(a, b +
S) / B(a, b)`` for any real S (S = number of decisions without a complaint + k x those with);
a joint fit on the regulars returns k (``test_complaint_hazard_factor_recovered``, 30,000
customers: within 4 SE, SE of log k about 0.08, and k = 1 more than 3 SE away). The raw
dropout shares of complainers and non-complainers in ``feedback.json`` are not k: complainers
have more orders, hence more dropout decisions, so their ratio mixes k with exposure.

Campaigns (``exposures.parquet``, ``responses.parquet``)
-------------------------------------------------------
One campaign per ~91 days of window (8 in the default two years, 4 in a year; 1 to 12),
cycling "discount" (14-day window, 10 % targeted, response probability 0.15), "bundle" (21
days, 8 %, 0.10) and "reactivation" (28 days, 10 %, 0.08) (:data:`CAMPAIGN_TYPES`). Windows
(``start`` inclusive, ``end`` exclusive, midnight) never overlap; the first starts a quarter
into the window. **Eligible**: every customer whose first purchase is before the start (what a
marketer can see in the lines; customers who have secretly dropped out are eligible too). Each
eligible customer is targeted independently with the campaign's target share (the
randomisation), by "email" or "sms" (no effect). A targeted customer responds with the
campaign's response probability at a time drawn uniformly in the window, if still alive then
(nobody buys after dropout); the response is a coupon redemption (``response_type``
"coupon") and an extra order in ``lines.parquet`` at ``response_ts`` with value ``value``
(composed like any order of the customer; no dirt on it). Response orders are not BTYD
purchases: no dropout decision follows them and the BTYD process does not depend on the
campaign.

Truth per campaign (``truth/campaigns.json``), from the simulation's own counterfactual: every
eligible customer has a "would respond" draw and a response time whether targeted or not, and
their BTYD purchases are the same either way, so ``true_uplift`` = mean over the eligible of
[bought in the window if targeted] - [bought in the window if not] = ``p_purchase_if_targeted
- p_purchase_if_not_targeted`` (``true_uplift_targeted``: the same over the targeted only);
``response_prob`` (planted, for customers alive at the response time), ``response_rate``
(realised: responders / targeted), ``share_buying_targeted`` / ``_not_targeted`` (what the
tables show). *Recovering it*: from the tables alone, the share of targeted customers with a
clean order in ``[start, end)`` minus that share among the eligible not targeted (eligible =
first clean order before ``start``) estimates ``true_uplift`` with the usual standard error
``sqrt(p1 (1 - p1) / n1 + p0 (1 - p0) / n0)`` (``test_uplift_recovered_per_campaign``: every
campaign within 4 SE; on 30,000 customers the SE is 0.008-0.018 for uplifts of 0.05-0.12).
``truth/campaign_orders.parquet`` lists the response invoices; per customer
``n_campaign_orders``.

Heterogeneous uplift (generator 1.5): every customer has a segment drawn from a stream of its own
(:data:`~helpers.io.synth.campaigns.UPLIFT_SEGMENTS`): persuadables respond at 2.5 x the campaign's
response probability, neutrals at 0.5 x, sleeping dogs never respond and, when targeted, skip their
BTYD purchases in the window (except a customer's first and last purchase and reviewed orders, so
the BG/NBD conventions hold). Sleeping dogs are 35 % of the customers buying more often than the
median and 5 % of the others. The planted per-customer effect is ``truth/campaign_uplift.parquet``.

The target shares are small on purpose. Response orders are extra purchases at a rate that does
not depend on lambda, so a BG/NBD fit on *all* clean orders sees less heterogeneity than was
planted: in the default run (seed 42) response orders are 1 % of the orders (160 vs 16,487 BTYD
orders), and a fit on the regulars (about 3,500) gives r = 0.459 with them and 0.426 without
them (headline 0.45; the shift is about +2 SE of log r, also on seed 1). With the 2-3x larger
shares tried first (3 % of orders) the shift was +5.5 SE and the CLV test of the headline
parameters failed. Tests of the headline population drop the campaign invoices.

Dirt, and how it relates to the truth
-------------------------------------
Every kind of dirt is planted as *extra* lines or *extra* orders, never by changing a BTYD
purchase, and ``params["dirt"]`` holds the exact number of lines (and orders) planted:

* ``guest_orders`` / ``guest_lines``: extra orders with ``customer_id`` null (not part of any
  customer's history); ``guest_lines`` counts every line with a null customer, including the
  postage, zero-price and duplicate lines that land on guest orders.
* ``cancelled_orders`` / ``cancelled_order_lines`` / ``cancellation_lines`` /
  ``cancellation_lines_partial``: about 1.5 % extra orders by existing customers, placed at a
  random time between the customer's birth and dropout (or at least a day before the window
  ends), that are NOT BTYD purchases. Every line of such an order is cancelled by a line on
  invoice "C" + the original invoice number, same customer, product and unit price, a
  negative quantity, 1 hour to 10 days later (never after the window). About 25 % of the
  cancellation lines with an original quantity of 2+ cancel only part of the quantity.
* ``duplicate_lines``: exact copies (every column but ``line_id``) of about 0.3 % of sale
  lines, placed right after the original.
* ``zero_price_lines``: about 0.2 % extra lines with ``unit_price`` 0 added to existing orders.
* ``postage_lines`` ("POST", "POSTAGE"; mostly web/app orders outside the UK and small UK web
  orders), ``manual_lines`` ("M", "Manual") and ``bank_charges_lines`` ("BANK CHARGES",
  "Bank Charges"), added to existing orders, category "Fees".
* ``extreme_quantity_lines``: a handful of extra lines with quantity 1,000-6,000 (data entry
  errors) added to existing orders.

Standard cleaning that restores the truth exactly: drop exact duplicates (ignoring
``line_id``); drop every "C" line together with every line of the invoice it cancels (or at
least the original line with the same product: every line of a cancelled order has its own
cancellation line, so removing whole lines, not netting quantities, removes the whole
extra order); drop zero prices, the fee codes and lines with quantity >= 1000 (or the
config's quantile rule); drop null customers for customer tables. What remains is the BTYD
history plus the campaign orders (which carry no dirt and survive the cleaning whole:
``params["n_campaign_orders"]`` orders, ``params["n_campaign_lines"]`` lines, invoices in
``truth/campaign_orders.parquet``; clean lines = ``n_btyd_lines`` + ``n_campaign_lines``).
Without the campaign invoices what remains per customer is exactly the BTYD history in
``customers.parquet``: ``n_orders`` invoices, the first at ``birth_ts``, none after
``dropout_ts``, with mean order value ``mean_order_value``. A campaign order is never the first
purchase and never after ``dropout_ts``, so ``birth_ts`` and ``dropout_ts`` hold with them too.
A cleaner that *nets* partial cancellations instead leaves the rest of those extra orders in
the data (``cancellation_lines_partial`` lines, at most that many extra orders).

Scale
-----
``SyntheticConfig.target_lines`` replaces ``customers``: a pilot of 10,000 customers
measures lines per customer and the customer count is scaled to reach the target. Customers
are simulated in vectorised chunks (one Python step per purchase *round*, not per
customer); the order skeleton (a few numbers per order) is held in memory and sorted by time
to number the invoices; lines are built per chunk of orders with numpy and written as one
parquet row group per chunk with :class:`pyarrow.parquet.ParquetWriter`, so memory stays
bounded (10M lines: well under 3 GB). The same config gives byte-identical files.
"""
from __future__ import annotations

from helpers.io.synth.extra_tables import EXTRA_TABLES
from helpers.io.synth.params import (
    AGE_BANDS,
    BUNDLE_SPEC,
    CAMPAIGN_TYPES,
    CATEGORIES,
    CHANNELS,
    COUNTRIES,
    CURRENCY,
    DAY_US,
    DIRT_RATES,
    FEE_CATEGORY,
    FEEDBACK_PHRASES,
    FEEDBACK_RULES,
    FEES,
    GENERATOR_VERSION,
    HEADLINE,
    HOUSEHOLD_SIZES,
    INCOME_BANDS,
    INCOME_FACTOR,
    INCOME_SHARES,
    PRICE_RANGE,
    REGION_ABROAD,
    REGIONS_UK,
    SEASON,
    TIER_MULT,
    TIERS,
    TYPE_NAMES,
    TYPES,
)
from helpers.io.synth.truth import load_truth
from helpers.io.synth.writing import ensure_synthetic, folder_for, generate, main

__all__ = ["GENERATOR_VERSION", "EXTRA_TABLES", "generate", "ensure_synthetic", "load_truth", "main", "folder_for",
           "AGE_BANDS", "BUNDLE_SPEC", "CAMPAIGN_TYPES", "CATEGORIES", "CHANNELS", "COUNTRIES", "CURRENCY",
           "DAY_US", "DIRT_RATES", "FEE_CATEGORY", "FEEDBACK_PHRASES", "FEEDBACK_RULES", "FEES", "HEADLINE",
           "HOUSEHOLD_SIZES", "INCOME_BANDS", "INCOME_FACTOR", "INCOME_SHARES", "PRICE_RANGE", "REGION_ABROAD",
           "REGIONS_UK", "SEASON", "TIER_MULT", "TIERS", "TYPE_NAMES", "TYPES"]
