"""A seeded synthetic gift-and-home shop whose customers follow BG/NBD + Gamma-Gamma exactly.

Nothing is downloaded: the catalogue, the customer types and every rule are in this file.
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

Command line: ``python -m helpers.io.synth --customers 5000 --seed 42`` (``--help`` for more).

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
``params.json["order_value_vs_target"]``; ``tests/helpers/test_synth.py`` checks them.
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
returns ``f_low``, ``f_high`` relative to middle (``tests/helpers/test_synth.py``:
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

import argparse
import datetime as dt
import functools
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from helpers import paths
from helpers.config import SyntheticConfig
from helpers.io.schema import LINE_COLUMNS

__all__ = ["GENERATOR_VERSION", "EXTRA_TABLES", "generate", "ensure_synthetic", "load_truth", "main", "folder_for"]

#: Bump whenever the generated data for a given config changes.
GENERATOR_VERSION = "1.4.0"

CURRENCY = "GBP"
DAY_US = 86_400_000_000
_CHUNK_ORDERS = 100_000        # orders per parquet row group
_CHUNK_CUSTOMERS = 250_000     # customers simulated per vectorised batch
_PILOT_CUSTOMERS = 10_000      # pilot size used to scale customers to target_lines
_FIRST_INVOICE = 500_000
_FIRST_CUSTOMER_ID = 10_001

# --------------------------------------------------------------------------------------
# catalogue (fixed; independent of the seed)
# --------------------------------------------------------------------------------------
CATEGORIES: dict[str, list[str]] = {
    "Kitchen": ["Ceramic Mug", "Tea Towel", "Cake Tin", "Measuring Spoons", "Biscuit Jar",
                "Lunch Box", "Cutlery Set", "Teapot", "Oven Gloves", "Apron"],
    "Garden": ["Plant Pot", "Watering Can", "Seed Packet", "Garden Gloves", "Bird Feeder",
               "Solar Lantern", "Trowel", "Herb Kit", "Wind Chime", "Hose Nozzle"],
    "Toys": ["Wooden Puzzle", "Skipping Rope", "Spinning Top", "Toy Car", "Plush Bear",
             "Building Blocks", "Kite", "Jigsaw", "Marbles Bag", "Yo-Yo"],
    "Stationery": ["Notebook", "Pen Set", "Greeting Card", "Wrapping Paper", "Sticky Notes",
                   "Pencil Case", "Desk Planner", "Washi Tape", "Envelope Pack", "Bookmark"],
    "Lighting": ["Tea Light Candles", "Candle Holder", "Fairy Lights", "Table Lamp", "Lantern",
                 "Night Light", "Scented Candle", "LED Bulb", "String Lights", "Lamp Shade"],
    "Textiles": ["Cushion Cover", "Throw Blanket", "Table Runner", "Napkin Set", "Tote Bag",
                 "Placemat Set", "Hot Water Bottle Cover", "Doorstop", "Bunting", "Oven Mitt"],
    "Bath": ["Bath Towel", "Soap Bar", "Bath Bombs", "Toothbrush Holder", "Shower Curtain",
             "Bath Mat", "Hand Cream", "Sponge Set", "Wash Bag", "Reed Diffuser"],
    "Party": ["Party Balloons", "Party Banner", "Paper Plates", "Paper Cups", "Party Napkins",
              "Birthday Candles", "Party Hats", "Confetti", "Pinata", "Gift Bags"],
    "Pet": ["Dog Lead", "Dog Treats", "Cat Toy", "Pet Bowl", "Pet Bed", "Chew Toy",
            "Cat Scratcher", "Pet Brush", "Poop Bags", "Bird Seed"],
    "Gifts": ["Gift Box", "Photo Frame", "Keyring", "Jewellery Dish", "Gift Card Holder",
              "Snow Globe", "Music Box", "Trinket Box", "Mini Hamper", "Vintage Tin"],
    "Storage": ["Storage Jar", "Wicker Basket", "Shoe Rack", "Drawer Organiser", "Storage Box",
                "Coat Hooks", "Magazine Rack", "Laundry Bag", "Spice Rack", "Key Cabinet"],
    "Home Decor": ["Wall Clock", "Mirror", "Vase", "Art Print", "Door Sign", "Ornament",
                   "Plant Hanger", "Decorative Plate", "Doormat", "Coasters"],
}
TIERS = ("Good", "Better", "Best")
TIER_MULT = (1.0, 1.8, 3.0)
#: "Good"-tier price range per category (GBP)
PRICE_RANGE = {
    "Kitchen": (1.5, 6.0), "Garden": (1.0, 8.0), "Toys": (0.85, 6.0), "Stationery": (0.65, 4.0),
    "Lighting": (1.25, 8.0), "Textiles": (2.0, 9.0), "Bath": (1.25, 6.0), "Party": (0.85, 4.0),
    "Pet": (1.5, 8.0), "Gifts": (1.65, 7.0), "Storage": (2.5, 10.0), "Home Decor": (2.0, 10.0),
}
#: multiplier on the chance of buying from a category, per calendar month (Jan..Dec)
SEASON = {
    "Gifts":    [0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.2, 2.5, 3.0],
    "Party":    [0.8, 0.8, 0.9, 1.0, 1.0, 1.3, 1.3, 1.1, 0.9, 1.1, 1.5, 2.0],
    "Toys":     [0.8, 0.8, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 1.8, 2.2],
    "Lighting": [1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.6, 0.7, 0.9, 1.3, 1.6, 1.8],
    "Garden":   [0.5, 0.6, 1.3, 1.8, 2.0, 1.8, 1.5, 1.1, 0.8, 0.6, 0.5, 0.5],
    "Textiles": [1.2, 1.1, 1.0, 0.9, 0.9, 0.8, 0.8, 0.9, 1.0, 1.1, 1.2, 1.2],
}
#: planted bundles: ((base item, tier), ...), conditional probability. The first product is
#: the "head": when it is in a basket, ALL the others are added with probability ``prob``.
BUNDLE_SPEC: list[tuple[tuple[tuple[str, str], ...], float]] = [
    ((("Tea Light Candles", "Good"), ("Candle Holder", "Good")), 0.6),
    ((("Greeting Card", "Good"), ("Wrapping Paper", "Good")), 0.6),
    ((("Dog Lead", "Better"), ("Dog Treats", "Good")), 0.6),
    ((("Ceramic Mug", "Better"), ("Teapot", "Better")), 0.5),
    ((("Plant Pot", "Good"), ("Seed Packet", "Good")), 0.6),
    ((("Photo Frame", "Better"), ("Gift Box", "Good")), 0.55),
    ((("Hand Cream", "Better"), ("Gift Bags", "Good")), 0.6),
    ((("Notebook", "Good"), ("Pen Set", "Good")), 0.65),
    ((("Party Balloons", "Good"), ("Party Banner", "Good"), ("Paper Plates", "Good")), 0.5),
    ((("Cushion Cover", "Better"), ("Throw Blanket", "Better"), ("Scented Candle", "Better")), 0.5),
    ((("Skipping Rope", "Good"), ("Kite", "Good"), ("Marbles Bag", "Good")), 0.5),
]

# non-product codes: (product_id, description)
FEES = (("POST", "POSTAGE"), ("M", "Manual"), ("BANK CHARGES", "Bank Charges"))
FEE_CATEGORY = "Fees"

# --------------------------------------------------------------------------------------
# customers
# --------------------------------------------------------------------------------------
#: Headline population (weekly lambda, spend in GBP). "regular" uses exactly these.
HEADLINE = {"r": 0.45, "alpha": 7.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "gamma": 15.0}

_TIER_PREF = {
    "regular": (0.40, 0.40, 0.20), "loyal": (0.35, 0.45, 0.20), "premium": (0.05, 0.25, 0.70),
    "bargain": (0.75, 0.20, 0.05), "gift": (0.20, 0.40, 0.40),
}
_CAT_PREF = {  # multipliers on category weights; missing = 1
    "regular": {}, "loyal": {"Kitchen": 1.3, "Stationery": 1.2},
    "premium": {"Lighting": 1.5, "Textiles": 1.5, "Home Decor": 1.5, "Party": 0.5},
    "bargain": {"Party": 1.5, "Stationery": 1.3, "Storage": 0.7, "Home Decor": 0.7},
    "gift": {"Gifts": 5.0, "Party": 3.0, "Toys": 2.0, "Stationery": 1.5, "Storage": 0.3, "Garden": 0.5},
}
TYPES: dict[str, dict] = {
    "regular": {"share": 0.70, **HEADLINE, "holiday_acquisition": 1.3},
    "loyal": {"share": 0.10, "r": 2.0, "alpha": 8.0, "a": 0.6, "b": 8.0, "p": 6.0, "q": 5.0,
              "gamma": 22.0, "holiday_acquisition": 1.3},
    "premium": {"share": 0.08, "r": 0.8, "alpha": 8.0, "a": 0.8, "b": 3.5, "p": 8.0, "q": 5.0,
                "gamma": 40.0, "holiday_acquisition": 1.3},
    "bargain": {"share": 0.07, "r": 0.6, "alpha": 6.0, "a": 0.8, "b": 2.5, "p": 5.0, "q": 4.0,
                "gamma": 9.0, "holiday_acquisition": 1.3},
    "gift": {"share": 0.05, "r": 0.3, "alpha": 15.0, "a": 2.0, "b": 1.0, "p": 6.0, "q": 4.0,
             "gamma": 20.0, "holiday_acquisition": 4.0},
}
TYPE_NAMES = tuple(TYPES)
for _k in TYPES:
    TYPES[_k]["tier_pref"] = dict(zip(TIERS, _TIER_PREF[_k]))
    TYPES[_k]["category_pref"] = {c: _CAT_PREF[_k].get(c, 1.0) for c in CATEGORIES}

#: (country, share of customers, postage price)
COUNTRIES = (
    ("United Kingdom", 0.825, 3.95), ("Germany", 0.035, 18.0), ("France", 0.03, 18.0),
    ("EIRE", 0.03, 18.0), ("Netherlands", 0.02, 18.0), ("Spain", 0.015, 18.0),
    ("Belgium", 0.015, 18.0), ("Switzerland", 0.01, 25.0), ("Portugal", 0.01, 18.0),
    ("Australia", 0.01, 40.0),
)
CHANNELS = ("web", "store", "app")
_CHANNEL_PREF_UK = (0.50, 0.35, 0.15)
_CHANNEL_PREF_ABROAD = (0.80, 0.0, 0.20)
_CHANNEL_STICKY = 0.8
_GUEST_CHANNEL = (0.50, 0.40, 0.10)

_ACQ_RISE = 0.5  # last day of the window gets (1 + _ACQ_RISE) x the first day's acquisition weight

#: relative frequency of each kind of dirt
DIRT_RATES = {
    "guest_orders_per_order": 0.03,
    "cancelled_orders_per_order": 0.015,
    "partial_cancel": 0.25,
    "duplicate_per_line": 0.003,
    "zero_price_per_line": 0.002,
    "manual_per_order": 0.0005,
    "bank_charges_per_order": 0.0002,
    "extreme_per_order": 1 / 10_000,
}

# --------------------------------------------------------------------------------------
# demographics, reviews and complaints, campaigns (since version 1.3)
# --------------------------------------------------------------------------------------
#: UK regions (customers outside the UK get ``REGION_ABROAD``); no effect on behaviour
REGIONS_UK = ("London", "South East", "South West & Wales", "Midlands", "North & Scotland")
_REGION_UK_SHARES = (0.22, 0.20, 0.16, 0.20, 0.22)
REGION_ABROAD = "International"
#: age bands and household sizes: drawn independently, no effect on behaviour (known nulls)
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
_AGE_SHARES = (0.10, 0.22, 0.22, 0.19, 0.15, 0.12)
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5)
_HOUSEHOLD_SHARES = (0.28, 0.35, 0.16, 0.14, 0.07)
#: income band: share of customers and the factor multiplying the customer's BG/NBD lambda.
#: The share-weighted mean factor is exactly 1, so the mean purchase rate of each type is kept.
INCOME_BANDS = ("low", "middle", "high")
INCOME_SHARES = (0.30, 0.50, 0.20)
INCOME_FACTOR = {"low": 0.8, "middle": 1.0, "high": 1.3}

#: reviews of BTYD orders and the complaint effect on dropout
FEEDBACK_RULES = {
    "review_share": 0.25,                            # P(a BTYD order gets a review)
    "score_probs": (0.06, 0.06, 0.12, 0.30, 0.46),   # P(score = 1..5 | review)
    "complaint_max_score": 2,                        # scores 1-2 are complaints
    "complaint_hazard_factor": 2.0,                  # k: p -> 1 - (1 - p)**k after a complaint
    "delay_days": (0.5, 7.0),                        # review written uniform 0.5-7 days after the order
    "no_text_share": 0.10,                           # reviews with a score but no comment
}
#: short English comments per score (the topics a text analysis should find)
FEEDBACK_PHRASES: dict[int, tuple[str, ...]] = {
    1: ("Late delivery and the box was damaged.", "Wrong item sent and nobody answers my emails.",
        "Arrived broken, very disappointed.", "Still waiting for a refund for the damaged item.",
        "Late delivery, two weeks after the promised date.", "Poor quality, it fell apart after one use.",
        "The parcel never arrived, terrible service."),
    2: ("Delivery was late and one item was missing.", "The item was damaged in transit.",
        "Wrong colour sent, had to return it.", "Not as described, cheap quality.",
        "Slow delivery and poor packaging.", "Wrong item in the parcel, late delivery too."),
    3: ("Okay, but delivery took a while.", "Average quality for the price.", "Fine, nothing special.",
        "Item as described, packaging could be better.", "Decent, but smaller than expected."),
    4: ("Good quality and quick delivery.", "Nice product, would buy again.",
        "Well packed and arrived on time.", "Good value for money.", "Pretty gift, my friend liked it."),
    5: ("Fast delivery and great quality!", "Excellent, exactly as pictured.", "Great quality, lovely gift.",
        "Fast delivery, well packed, perfect.", "Love it, great service and fast delivery.",
        "Beautiful item, great quality."),
}

#: campaign types: window length, share of eligible customers targeted, P(respond | targeted and
#: alive at the drawn response time), share of exposures sent by email (the rest by sms)
CAMPAIGN_TYPES: dict[str, dict] = {
    "discount": {"window_days": 14, "target_share": 0.10, "response_prob": 0.15, "email_share": 0.7},
    "bundle": {"window_days": 21, "target_share": 0.08, "response_prob": 0.10, "email_share": 0.8},
    "reactivation": {"window_days": 28, "target_share": 0.10, "response_prob": 0.08, "email_share": 0.5},
}
_CAMPAIGN_EVERY_DAYS = 91      # one campaign per ~quarter of the window (1 to 12 campaigns)

# shop hours: relative activity per hour of day (0..23); fractions of a simulated day are
# mapped monotonically onto these hours
_HOUR_WEIGHTS = np.array([0, 0, 0, 0, 0, 0, 0, 0.3, 0.6, 1.0, 1.2, 1.3, 1.5, 1.4, 1.2, 1.1,
                          1.0, 1.0, 1.1, 1.3, 1.3, 1.0, 0.5, 0.15])


# --------------------------------------------------------------------------------------
# catalogue construction
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Catalogue:
    products: pd.DataFrame          # one row per product, index = product index
    cat_idx: np.ndarray             # category index per product
    tier: np.ndarray                # 0/1/2
    price: np.ndarray
    good_idx: np.ndarray            # index of the "Good" version of the same base item
    popularity: np.ndarray
    bundle_of_head: np.ndarray      # bundle number when the product is a bundle head, else -1
    bundle_members: np.ndarray      # (n_bundles, 2) partner product indices, -1 padded
    bundle_prob: np.ndarray
    in_bundle: np.ndarray           # bool: product belongs to any bundle
    bundles: list = field(default_factory=list)
    # extended code tables: catalogue products followed by the fee codes
    ext_code: pa.Array = None
    ext_desc: pa.Array = None
    ext_cat: pa.Array = None


def _charm(x: np.ndarray) -> np.ndarray:
    """Shop prices ending in 5p: 2.45, 3.95, ..."""
    return np.round(np.round(x * 10.0) / 10.0 + 0.05, 2)


@functools.lru_cache(maxsize=1)
def _catalogue() -> _Catalogue:
    rng = np.random.default_rng(20230101)  # fixed: the catalogue is the same in every run
    cats = list(CATEGORIES)
    n_items = sum(len(v) for v in CATEGORIES.values())
    codes = rng.choice(np.arange(10_000, 100_000), size=n_items * 3, replace=False)
    heads = {spec[0][0] for spec, _ in BUNDLE_SPEC}
    rows = []
    k = 0
    for ci, cat in enumerate(cats):
        lo, hi = PRICE_RANGE[cat]
        items = CATEGORIES[cat]
        good = np.exp(rng.uniform(np.log(lo), np.log(hi), len(items)))
        ranks = rng.permutation(len(items))
        pop = 1.0 / (ranks + 1.0) ** 0.8
        for bi, item in enumerate(items):
            popularity = 1.0 if item in heads else float(pop[bi])
            for ti, tier in enumerate(TIERS):
                price = float(_charm(good[bi] * TIER_MULT[ti]))
                rows.append({"product_id": f"{codes[k]:05d}", "description": f"{item} - {tier}",
                             "category": cat, "base_item": item, "tier": tier, "tier_rank": ti,
                             "price": price, "popularity": popularity, "cat_idx": ci,
                             "good_idx": k - ti})
                k += 1
    products = pd.DataFrame(rows)
    # tiers strictly increasing within a base item (guaranteed by construction; checked here)
    pr = products["price"].to_numpy().reshape(-1, 3)
    assert (np.diff(pr, axis=1) > 0).all()
    by_name = {d: i for i, d in enumerate(products["description"])}
    n = len(products)
    bundle_of_head = np.full(n, -1, dtype=np.int64)
    members = np.full((len(BUNDLE_SPEC), 2), -1, dtype=np.int64)
    probs = np.zeros(len(BUNDLE_SPEC))
    in_bundle = np.zeros(n, dtype=bool)
    bundles = []
    for b, (spec, prob) in enumerate(BUNDLE_SPEC):
        idx = [by_name[f"{item} - {tier}"] for item, tier in spec]
        assert not in_bundle[idx].any(), "bundles must be disjoint"
        in_bundle[idx] = True
        bundle_of_head[idx[0]] = b
        members[b, : len(idx) - 1] = idx[1:]
        probs[b] = prob
        bundles.append({"products": tuple(products["product_id"].iloc[idx]),
                        "descriptions": [products["description"].iloc[i] for i in idx],
                        "categories": [products["category"].iloc[i] for i in idx],
                        "prob": prob})
    ext_code = pa.array(list(products["product_id"]) + [c for c, _ in FEES], pa.string())
    ext_desc = pa.array(list(products["description"]) + [d for _, d in FEES], pa.string())
    ext_cat = pa.array(list(products["category"]) + [FEE_CATEGORY] * len(FEES), pa.string())
    return _Catalogue(products=products, cat_idx=products["cat_idx"].to_numpy(),
                      tier=products["tier_rank"].to_numpy(), price=products["price"].to_numpy(),
                      good_idx=products["good_idx"].to_numpy(),
                      popularity=products["popularity"].to_numpy(),
                      bundle_of_head=bundle_of_head, bundle_members=members, bundle_prob=probs,
                      in_bundle=in_bundle, bundles=bundles, ext_code=ext_code, ext_desc=ext_desc,
                      ext_cat=ext_cat)


@functools.lru_cache(maxsize=1)
def _choice_cum() -> np.ndarray:
    """Cumulative product-choice probabilities, one row per (type, month): shape (T*12, P)."""
    cat = _catalogue()
    cats = list(CATEGORIES)
    rows = []
    for tname in TYPE_NAMES:
        t = TYPES[tname]
        catw = np.array([t["category_pref"][c] for c in cats])[cat.cat_idx]
        tierw = np.array([t["tier_pref"][x] for x in TIERS])[cat.tier]
        for m in range(12):
            season = np.array([SEASON.get(c, [1.0] * 12)[m] for c in cats])[cat.cat_idx]
            w = catw * tierw * season * cat.popularity
            rows.append(np.cumsum(w / w.sum()))
    cum = np.vstack(rows)
    cum[:, -1] = 1.0
    return cum


def _sample_rows(cum: np.ndarray, row: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sample one column per entry from the categorical distribution in ``cum[row]``."""
    n_rows, n_cols = cum.shape
    flat = (cum + np.arange(n_rows)[:, None]).ravel()
    idx = np.searchsorted(flat, row + u, side="right") - row * n_cols
    return np.clip(idx, 0, n_cols - 1)


# --------------------------------------------------------------------------------------
# time helpers
# --------------------------------------------------------------------------------------
_HOUR_CDF = np.concatenate([[0.0], np.cumsum(_HOUR_WEIGHTS) / _HOUR_WEIGHTS.sum()])
_first_open = int(np.argmax(_HOUR_WEIGHTS > 0))
_CDF_X = _HOUR_CDF[_first_open:]
_CDF_H = np.arange(_first_open, 25, dtype=float)


def _to_ts_us(t_days: np.ndarray, start_us: int) -> np.ndarray:
    """Continuous time (days since start) -> int64 microseconds, keeping the day, warping the hour."""
    day = np.floor(t_days)
    frac = t_days - day
    hours = np.interp(frac, _CDF_X, _CDF_H)
    sec = np.minimum(np.floor(hours * 3600.0), 86_399.0)
    return start_us + day.astype(np.int64) * DAY_US + sec.astype(np.int64) * 1_000_000


def _month_of_day(start: dt.date, days: int) -> np.ndarray:
    d = np.datetime64(start, "D") + np.arange(days + 1)
    return (d.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)


def _day_weights(start: dt.date, days: int, holiday: float) -> np.ndarray:
    month = _month_of_day(start, days)[:days]
    w = (1.0 + _ACQ_RISE * np.arange(days) / max(days - 1, 1)) * np.where(month >= 10, holiday, 1.0)
    c = np.cumsum(w)
    return c / c[-1]


def _sample_days(rng, cdf: np.ndarray, n: int) -> np.ndarray:
    day = np.searchsorted(cdf, rng.random(n), side="right")
    return np.minimum(day, len(cdf) - 1) + rng.random(n)


# --------------------------------------------------------------------------------------
# plan: customers and the order skeleton
# --------------------------------------------------------------------------------------
_KIND_BTYD, _KIND_GUEST, _KIND_CANCELLED, _KIND_CAMPAIGN = 0, 1, 2, 3


def _type_arrays():
    keys = ("share", "r", "alpha", "a", "b", "p", "q", "gamma")
    return {k: np.array([TYPES[t][k] for t in TYPE_NAMES], dtype=float) for k in keys}


def _draw_scores(rng, m: int) -> np.ndarray:
    """Review score per order (1..5), 0 when the order gets no review."""
    fb = FEEDBACK_RULES
    rev = rng.random(m) < fb["review_share"]
    cum = np.cumsum(fb["score_probs"])
    score = np.minimum(np.searchsorted(cum / cum[-1], rng.random(m), side="right") + 1, 5)
    return np.where(rev, score, 0).astype(np.int8)


def _is_complaint(score: np.ndarray) -> np.ndarray:
    return (score > 0) & (score <= FEEDBACK_RULES["complaint_max_score"])


def _simulate_customers(rng, n: int, start: dt.date, days: int) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Simulate ``n`` customers.

    Returns customer arrays and the BTYD orders (customer, t_days, review score; 0 = no review).
    """
    ta = _type_arrays()
    typ = rng.choice(len(TYPE_NAMES), size=n, p=ta["share"] / ta["share"].sum())
    lam_base = rng.gamma(ta["r"][typ], 1.0 / ta["alpha"][typ])           # per week
    pdrop = rng.beta(ta["a"][typ], ta["b"][typ])
    nu = rng.gamma(ta["q"][typ], 1.0 / ta["gamma"][typ])
    birth = np.empty(n)
    for k, tname in enumerate(TYPE_NAMES):
        sel = np.flatnonzero(typ == k)
        if sel.size:
            cdf = _day_weights(start, days, TYPES[tname]["holiday_acquisition"])
            birth[sel] = _sample_days(rng, cdf, sel.size)
    country = rng.choice(len(COUNTRIES), size=n, p=[c[1] for c in COUNTRIES])
    uk = country == 0
    chan = np.where(uk, rng.choice(3, size=n, p=_CHANNEL_PREF_UK),
                    rng.choice(3, size=n, p=_CHANNEL_PREF_ABROAD))
    # demographics, independent of type and of each other; income shifts lambda
    income = rng.choice(len(INCOME_BANDS), size=n, p=INCOME_SHARES)
    lam = lam_base * np.array([INCOME_FACTOR[b] for b in INCOME_BANDS])[income]
    age = rng.choice(len(AGE_BANDS), size=n, p=_AGE_SHARES)
    household = rng.choice(len(HOUSEHOLD_SIZES), size=n, p=_HOUSEHOLD_SHARES)
    region = np.where(uk, rng.choice(len(REGIONS_UK), size=n, p=_REGION_UK_SHARES), len(REGIONS_UK))

    # BG/NBD: repeat purchases at rate lam (weeks) from birth; dropout after each repeat w.p. p,
    # or 1 - (1 - p)**k once the customer has complained about this or an earlier order
    k_c = FEEDBACK_RULES["complaint_hazard_factor"]
    t_end_w = days / 7.0
    cur = birth / 7.0
    drop_t = np.full(n, np.nan)
    first_score = _draw_scores(rng, n)
    complained = _is_complaint(first_score)
    active = np.arange(n)
    rep_c, rep_t, rep_s = [], [], []
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        while active.size:
            tn = cur[active] + rng.standard_exponential(active.size) / lam[active]
            keep = tn < t_end_w
            active, tn = active[keep], tn[keep]
            if not active.size:
                break
            sc = _draw_scores(rng, active.size)
            complained[active[_is_complaint(sc)]] = True
            rep_c.append(active)
            rep_t.append(tn * 7.0)
            rep_s.append(sc)
            cur[active] = tn
            p_now = pdrop[active]
            p_now = np.where(complained[active], 1.0 - (1.0 - p_now) ** k_c, p_now)
            d = rng.random(active.size) < p_now
            drop_t[active[d]] = tn[d] * 7.0
            active = active[~d]
    oc = np.concatenate([np.arange(n)] + rep_c)
    ot = np.concatenate([birth] + rep_t)
    osc = np.concatenate([first_score] + rep_s).astype(np.int8)
    cust = {"type": typ, "lam": lam, "lam_base": lam_base, "p": pdrop, "nu": nu, "birth_t": birth,
            "drop_t": drop_t, "country": country, "channel": chan, "income": income, "age": age,
            "household": household, "region": region}
    return cust, oc, ot, osc


@dataclass
class _Plan:
    cfg_start: dt.date
    days: int
    start_us: int
    cust: dict               # customer arrays (global index)
    orders: dict             # order skeleton sorted by time
    n_customers: int
    campaigns: list = field(default_factory=list)     # one dict per campaign (truth, see _simulate_campaigns)
    exposures: dict = field(default_factory=dict)     # cust, campaign, email (one entry per targeted customer)


def _order_channels(rng, pref: np.ndarray, country: np.ndarray) -> np.ndarray:
    n = pref.size
    uk = country == 0
    other = np.where(uk, rng.choice(3, size=n, p=_CHANNEL_PREF_UK),
                     rng.choice(3, size=n, p=_CHANNEL_PREF_ABROAD))
    return np.where(rng.random(n) < _CHANNEL_STICKY, pref, other)


def _campaign_schedule(days: int) -> list[dict]:
    """Campaign windows (whole days from the window start, end exclusive), spaced evenly, never overlapping.

    One campaign per ~91 days of window (1 to 12); the first starts a quarter into the window
    (so customers exist to target), the last ends at least 7 days before the window does. Types
    cycle discount, bundle, reactivation.
    """
    n = int(np.clip(round(days / _CAMPAIGN_EVERY_DAYS), 1, 12))
    first = int(0.25 * days)
    slot = (days - 7 - first) / n
    types = list(CAMPAIGN_TYPES)
    out = []
    for c in range(n):
        typ = types[c % len(types)]
        s0 = first + int(np.floor(c * slot))
        w = int(min(CAMPAIGN_TYPES[typ]["window_days"], np.floor(slot) - 1))
        out.append({"campaign_id": f"CMP{c + 1:02d}", "campaign_type": typ, "start_day": s0, "end_day": s0 + w})
    return out


def _simulate_campaigns(rng, cust: dict, oc: np.ndarray, ot: np.ndarray, days: int) -> tuple[list, dict, dict]:
    """Randomised campaigns on top of the (unchanged) BTYD process.

    Eligible: every customer whose first purchase is before the campaign start. Each eligible
    customer is targeted with probability ``target_share`` (independently). Every eligible
    customer also gets potential outcomes: "would respond" ~ Bernoulli(response_prob) at a time
    drawn uniformly in the window, effective only when the customer has not dropped out by then
    (BG/NBD: nobody buys after dropout). Targeted customers with an effective response place
    one extra (campaign) order at that time. The BTYD purchases do not depend on the campaign,
    so the untreated outcome "bought in the window" is known for everyone and the true uplift
    is the simulation's own counterfactual.
    """
    n = cust["birth_t"].size
    birth, drop = cust["birth_t"], cust["drop_t"]
    sched = _campaign_schedule(days)
    ex_c, ex_k, ex_mail, r_c, r_k, r_t = [], [], [], [], [], []
    for ci, camp in enumerate(sched):
        spec = CAMPAIGN_TYPES[camp["campaign_type"]]
        s0, e0 = float(camp["start_day"]), float(camp["end_day"])
        elig = np.flatnonzero(birth < s0)
        m = elig.size
        targeted = rng.random(m) < spec["target_share"]
        email = rng.random(m) < spec["email_share"]
        would = rng.random(m) < spec["response_prob"]
        u = s0 + rng.random(m) * (e0 - s0)
        d = drop[elig]
        potential = would & (np.isnan(d) | (d > u))
        bought = np.zeros(n, dtype=bool)
        bought[oc[(ot >= s0) & (ot < e0)]] = True
        y0 = bought[elig]
        y1 = y0 | potential
        resp = targeted & potential
        nt = int(targeted.sum())

        def share(x):
            return float(x.mean()) if x.size else None

        camp.update({
            "target_share": spec["target_share"], "response_prob": spec["response_prob"],
            "email_share": spec["email_share"],
            "n_eligible": int(m), "n_targeted": nt, "n_not_targeted": int(m - nt),
            "n_responders": int(resp.sum()),
            "response_rate": float(resp.sum() / nt) if nt else None,
            "true_uplift": share(y1.astype(float) - y0),
            "true_uplift_targeted": share(y1[targeted].astype(float) - y0[targeted]),
            "p_purchase_if_targeted": share(y1),
            "p_purchase_if_not_targeted": share(y0),
            "share_buying_targeted": share(y1[targeted]),
            "share_buying_not_targeted": share(y0[~targeted]),
            "share_alive_at_start": share(np.isnan(d) | (d >= s0)),
        })
        ex_c.append(elig[targeted])
        ex_k.append(np.full(nt, ci))
        ex_mail.append(email[targeted])
        r_c.append(elig[resp])
        r_k.append(np.full(int(resp.sum()), ci))
        r_t.append(u[resp])

    def cat(x, dtype):
        return np.concatenate(x).astype(dtype) if x else np.zeros(0, dtype)

    exposures = {"cust": cat(ex_c, np.int64), "campaign": cat(ex_k, np.int64), "email": cat(ex_mail, bool)}
    responses = {"cust": cat(r_c, np.int64), "campaign": cat(r_k, np.int64), "t": cat(r_t, float)}
    return sched, exposures, responses


def _plan(rng, n_customers: int, start: dt.date, days: int) -> _Plan:
    start_us = int(np.datetime64(start, "us").astype(np.int64))
    parts_c, parts_oc, parts_ot, parts_os = [], [], [], []
    for lo in range(0, n_customers, _CHUNK_CUSTOMERS):
        m = min(_CHUNK_CUSTOMERS, n_customers - lo)
        c, oc, ot, osc = _simulate_customers(rng, m, start, days)
        parts_c.append(c)
        parts_oc.append(oc + lo)
        parts_ot.append(ot)
        parts_os.append(osc)
    cust = {k: np.concatenate([c[k] for c in parts_c]) for k in parts_c[0]}
    oc = np.concatenate(parts_oc)
    ot = np.concatenate(parts_ot)
    osc = np.concatenate(parts_os)
    del parts_c, parts_oc, parts_ot, parts_os
    n_btyd = oc.size
    ta = _type_arrays()

    # campaigns: randomised targeting; responses are extra orders
    campaigns, exposures, resp = _simulate_campaigns(rng, cust, oc, ot, days)
    n_camp = resp["cust"].size

    # extra cancelled orders: existing customers, between birth and dropout (or end - 1 day)
    n_orders_c = np.bincount(oc, minlength=n_customers)
    hi = np.where(np.isnan(cust["drop_t"]), days - 1.0, np.minimum(cust["drop_t"], days - 1.0))
    span = hi - cust["birth_t"]
    w = np.where(span > 0, n_orders_c, 0).astype(float)
    n_cancel = int(round(DIRT_RATES["cancelled_orders_per_order"] * n_btyd)) if w.sum() > 0 else 0
    if n_cancel:
        cc = rng.choice(n_customers, size=n_cancel, p=w / w.sum())
        ct = cust["birth_t"][cc] + span[cc] * rng.uniform(0.02, 0.98, n_cancel)
        room = np.minimum(10.0, days - ct - 1e-3)
        c_delay = rng.uniform(1.0 / 24.0, 1.0, n_cancel) * room
        c_delay = np.maximum(c_delay, 1.0 / 24.0)
        c_t = ct + c_delay
    else:
        cc = np.zeros(0, np.int64)
        ct = c_t = np.zeros(0)

    # guest orders
    n_guest = int(round(DIRT_RATES["guest_orders_per_order"] * n_btyd))
    gt = _sample_days(rng, _day_weights(start, days, 1.3), n_guest)
    g_country = rng.choice(len(COUNTRIES), size=n_guest, p=[c[1] for c in COUNTRIES])
    g_chan = rng.choice(3, size=n_guest, p=_GUEST_CHANNEL)
    g_chan = np.where((g_country != 0) & (g_chan == 1), 0, g_chan)
    g_nu = rng.gamma(ta["q"][0], 1.0 / ta["gamma"][0], n_guest)

    kind = np.concatenate([np.full(n_btyd, _KIND_BTYD), np.full(n_guest, _KIND_GUEST),
                           np.full(n_cancel, _KIND_CANCELLED), np.full(n_camp, _KIND_CAMPAIGN)]).astype(np.int8)
    ocust = np.concatenate([oc, np.full(n_guest, -1), cc, resp["cust"]]).astype(np.int64)
    t = np.concatenate([ot, gt, ct, resp["t"]])
    n_other = n_guest + n_cancel + n_camp
    known = ocust >= 0
    safe = np.where(known, ocust, 0)
    otype = np.where(known, cust["type"][safe], 0).astype(np.int64)
    nu = np.where(known, cust["nu"][safe], np.concatenate([np.zeros(n_btyd), g_nu, np.zeros(n_cancel + n_camp)]))
    z = rng.gamma(ta["p"][otype], 1.0 / nu)
    country = np.where(known, cust["country"][safe], np.concatenate(
        [np.zeros(n_btyd, np.int64), g_country, np.zeros(n_cancel + n_camp, np.int64)]))
    chan_pref = np.where(known, cust["channel"][safe], np.concatenate(
        [np.zeros(n_btyd, np.int64), g_chan, np.zeros(n_cancel + n_camp, np.int64)]))
    chan = np.where(known, _order_channels(rng, chan_pref, country), chan_pref)
    cancel_t = np.concatenate([np.full(n_btyd + n_guest, np.nan), c_t, np.full(n_camp, np.nan)])
    camp_idx = np.concatenate([np.full(n_btyd + n_guest + n_cancel, -1), resp["campaign"]]).astype(np.int64)
    # reviews of BTYD orders, written a few days later (never after the window)
    score = np.concatenate([osc, np.zeros(n_other, np.int8)])
    reviewed = np.flatnonzero(score > 0)
    lo_d, hi_d = FEEDBACK_RULES["delay_days"]
    fb_t = np.full(score.size, np.nan)
    fb_t[reviewed] = t[reviewed] + np.minimum(rng.uniform(lo_d, hi_d, reviewed.size),
                                              (days - t[reviewed]) * 0.999)

    # fee and extreme-quantity flags (on BTYD and guest orders; never on cancelled or campaign orders)
    n = kind.size
    web = chan != 1
    p_post = np.where(country != 0, 0.7, np.where(z < 20.0, 0.2, 0.02))
    post = (kind <= _KIND_GUEST) & web & (rng.random(n) < p_post)
    btyd_idx = np.flatnonzero(kind == _KIND_BTYD)

    def pick(rate, lo, hi_=None):
        k = max(lo, int(round(rate * n_btyd)))
        if hi_ is not None:
            k = min(k, hi_)
        k = min(k, btyd_idx.size)
        flag = np.zeros(n, dtype=bool)
        flag[rng.choice(btyd_idx, size=k, replace=False)] = True
        return flag

    manual = pick(DIRT_RATES["manual_per_order"], 2)
    bank = pick(DIRT_RATES["bank_charges_per_order"], 1)
    extreme = pick(DIRT_RATES["extreme_per_order"], 1, 60)

    ts = _to_ts_us(t, start_us)
    order = np.lexsort((ocust, kind, ts))
    orders = {"kind": kind, "cust": ocust, "t": t, "ts": ts, "type": otype, "z": z,
              "country": country, "channel": chan, "post": post, "manual": manual,
              "bank": bank, "extreme": extreme,
              "cancel_ts": np.where(np.isnan(cancel_t), 0, _to_ts_us(np.nan_to_num(cancel_t), start_us)),
              "campaign": camp_idx, "score": score,
              "fb_ts": np.where(np.isnan(fb_t), 0, _to_ts_us(np.nan_to_num(fb_t), start_us))}
    orders = {k: v[order] for k, v in orders.items()}
    orders["invoice"] = _FIRST_INVOICE + np.arange(n, dtype=np.int64)
    month_of_day = _month_of_day(start, days)
    orders["month"] = month_of_day[np.minimum(orders["t"].astype(np.int64), days)]
    return _Plan(cfg_start=start, days=days, start_us=start_us, cust=cust, orders=orders,
                 n_customers=n_customers, campaigns=campaigns, exposures=exposures)


# --------------------------------------------------------------------------------------
# order composition (vectorised over a chunk of orders)
# --------------------------------------------------------------------------------------
def _dedup(oi, prod, slot, protected, n_prod):
    """Keep one line per (order, product), preferring a protected copy; return in slot order."""
    key = oi * n_prod + prod
    o = np.lexsort((slot, ~protected, key))
    key_s = key[o]
    first = np.ones(key_s.size, dtype=bool)
    first[1:] = key_s[1:] != key_s[:-1]
    keep = o[first]
    keep = keep[np.lexsort((slot[keep], oi[keep]))]
    return oi[keep], prod[keep], slot[keep], protected[keep]


def _compose(rng, type_idx: np.ndarray, month: np.ndarray, z: np.ndarray):
    """Build the product lines of ``len(z)`` orders so each order's value is close to ``z``.

    Returns (order index, product index, quantity) sorted by order then line position, and
    the realised value per order.
    """
    cat = _catalogue()
    cum = _choice_cum()
    n = z.size
    n_prod = cat.price.size
    k = np.clip(1 + rng.poisson(0.3 + z / 22.0), 1, 6)
    oi = np.repeat(np.arange(n), k)
    row = type_idx[oi] * 12 + month[oi]
    prod = _sample_rows(cum, row, rng.random(oi.size))
    slot = np.arange(oi.size, dtype=float)
    protected = cat.bundle_of_head[prod] >= 0
    oi, prod, slot, protected = _dedup(oi, prod, slot, protected, n_prod)

    # planted bundles: when a head is in the basket, add all its partners with prob
    b = cat.bundle_of_head[prod]
    heads = np.flatnonzero(b >= 0)
    fire = heads[rng.random(heads.size) < cat.bundle_prob[b[heads]]]
    if fire.size:
        mem = cat.bundle_members[b[fire]]                      # (f, 2)
        ok = mem >= 0
        add_oi = np.repeat(oi[fire][:, None], 2, axis=1)[ok]
        add_prod = mem[ok]
        add_slot = (np.repeat(slot[fire][:, None], 2, axis=1) + np.array([0.25, 0.5]))[ok]
        oi = np.concatenate([oi, add_oi])
        prod = np.concatenate([prod, add_prod])
        slot = np.concatenate([slot, add_slot])
        protected = np.concatenate([protected, np.ones(add_oi.size, dtype=bool)])
        oi, prod, slot, protected = _dedup(oi, prod, slot, protected, n_prod)

    # drop the most expensive unprotected line while the basket at 1 unit each exceeds z
    price = cat.price[prod]
    alive = np.ones(oi.size, dtype=bool)
    for _ in range(16):
        s = np.bincount(oi[alive], price[alive], minlength=n)
        nl = np.bincount(oi[alive], minlength=n)
        cand = np.flatnonzero(alive & ~protected & (s > z)[oi] & (nl > 1)[oi])
        if not cand.size:
            break
        o = cand[np.lexsort((-price[cand], oi[cand]))]
        first = np.ones(o.size, dtype=bool)
        first[1:] = oi[o][1:] != oi[o][:-1]
        alive[o[first]] = False
    oi, prod, slot, protected = oi[alive], prod[alive], slot[alive], protected[alive]
    price = cat.price[prod]
    # a lone unprotected item costing more than z is traded down to its "Good" tier
    s = np.bincount(oi, price, minlength=n)
    nl = np.bincount(oi, minlength=n)
    trade = (nl[oi] == 1) & (s[oi] > z[oi]) & ~protected
    prod = np.where(trade, cat.good_idx[prod], prod)
    price = cat.price[prod]
    s = np.bincount(oi, price, minlength=n)

    # quantities: floor(z/S) each, +1 greedily from the most expensive, cheapest absorbs the rest
    base = np.maximum(1.0, np.floor(z / s))
    q = base[oi].copy()
    rem = z - base * s
    o = np.lexsort((-price, oi))
    oi_s, pr_s = oi[o], price[o]
    starts = np.flatnonzero(np.r_[True, oi_s[1:] != oi_s[:-1]])
    counts = np.diff(np.r_[starts, oi_s.size])
    rank = np.arange(oi_s.size) - np.repeat(starts, counts)
    q_s = q[o]
    for j in range(int(rank.max()) + 1 if rank.size else 0):
        sel = np.flatnonzero(rank == j)
        oo = oi_s[sel]
        take = rem[oo] >= pr_s[sel]
        q_s[sel] += take
        rem[oo] -= take * pr_s[sel]
    # the line whose unit price fits the remainder best absorbs it (ties: the cheapest line)
    r_line = np.maximum(rem[oi_s], 0.0)
    add = np.floor(r_line / pr_s + 0.5)
    resid = np.abs(r_line - add * pr_s)
    pick = np.lexsort((-rank, resid, oi_s))
    first = np.ones(pick.size, dtype=bool)
    first[1:] = oi_s[pick][1:] != oi_s[pick][:-1]
    best = pick[first]
    q_s[best] += add[best]
    q[o] = q_s
    value = np.bincount(oi, q * price, minlength=n)
    return oi, prod, q, value


# --------------------------------------------------------------------------------------
# lines per chunk
# --------------------------------------------------------------------------------------
_FIELDS = ("ts", "inv", "is_c", "pos", "cust", "prod", "q", "price", "country", "channel")


def _cat(parts: list[dict]) -> dict:
    parts = [p for p in parts if p["ts"].size]
    if not parts:
        return {f: np.zeros(0) for f in _FIELDS}
    return {f: np.concatenate([p[f] for p in parts]) for f in _FIELDS}


def _take(d: dict, idx) -> dict:
    return {f: d[f][idx] for f in _FIELDS}


def _new_products_not_in(rng, oi_new, lines_oi, lines_prod, n_prod, exclude_mask):
    """Random catalogue products for new lines on orders ``oi_new``, not already in that order."""
    prod = rng.integers(0, n_prod, oi_new.size)
    existing = np.sort(lines_oi * n_prod + lines_prod)   # sorted once; membership by binary search

    def taken(keys):
        if not existing.size:
            return np.zeros(keys.size, dtype=bool)
        i = np.minimum(np.searchsorted(existing, keys), existing.size - 1)
        return existing[i] == keys

    for _ in range(50):
        bad = taken(oi_new * n_prod + prod) | exclude_mask[prod]
        if not bad.any():
            break
        prod[bad] = (prod[bad] + 37) % n_prod
    return prod


class _Stats:
    def __init__(self, n_customers: int):
        self.dirt = {k: 0 for k in (
            "guest_orders", "guest_lines", "cancelled_orders", "cancelled_order_lines",
            "cancellation_lines", "cancellation_lines_partial", "duplicate_lines",
            "zero_price_lines", "postage_lines", "manual_lines", "bank_charges_lines",
            "extreme_quantity_lines")}
        self.value_sum = np.zeros(n_customers)
        self.target_sum = np.zeros(n_customers)
        self.rel_err: list[np.ndarray] = []
        self.max_btyd_quantity = 0.0
        self.lines = 0
        self.btyd_lines = 0
        self.campaign_lines = 0
        self.campaign_invoice: list[np.ndarray] = []   # invoice number of each campaign (response) order
        self.campaign_value: list[np.ndarray] = []     # its realised value


def _chunk_lines(rng, plan: _Plan, lo: int, hi: int, stats: _Stats) -> tuple[dict, dict]:
    """Lines of orders ``lo:hi`` (time-sorted) and the cancellation lines they cause."""
    cat = _catalogue()
    n_prod = cat.price.size
    o = {k: v[lo:hi] for k, v in plan.orders.items()}
    n = o["z"].size
    oi, prod, q, value = _compose(rng, o["type"], o["month"], o["z"])
    kind = o["kind"]
    btyd = kind == _KIND_BTYD
    # truth bookkeeping
    cb = o["cust"][btyd]
    stats.value_sum += np.bincount(cb, value[btyd], minlength=stats.value_sum.size)
    stats.target_sum += np.bincount(cb, o["z"][btyd], minlength=stats.target_sum.size)
    stats.rel_err.append(((value[btyd] - o["z"][btyd]) / o["z"][btyd]).astype(np.float32))
    lb = btyd[oi]
    if lb.any():
        stats.max_btyd_quantity = max(stats.max_btyd_quantity, float(q[lb].max()))
    stats.btyd_lines += int(lb.sum())
    camp = kind == _KIND_CAMPAIGN
    if camp.any():
        stats.campaign_invoice.append(o["invoice"][camp])
        stats.campaign_value.append(value[camp])
        stats.campaign_lines += int(camp[oi].sum())
    stats.dirt["guest_orders"] += int((kind == _KIND_GUEST).sum())
    stats.dirt["cancelled_orders"] += int((kind == _KIND_CANCELLED).sum())
    stats.dirt["cancelled_order_lines"] += int((kind[oi] == _KIND_CANCELLED).sum())

    starts = np.flatnonzero(np.r_[True, oi[1:] != oi[:-1]])
    pos = (np.arange(oi.size) - np.repeat(starts, np.diff(np.r_[starts, oi.size]))) * 2.0

    def mk(oi_, prod_, q_, price_, pos_, is_c=0, ts=None):
        return {"ts": o["ts"][oi_] if ts is None else ts, "inv": o["invoice"][oi_],
                "is_c": np.full(oi_.size, is_c, np.int8), "pos": pos_, "cust": o["cust"][oi_],
                "prod": prod_, "q": q_.astype(float), "price": price_.astype(float),
                "country": o["country"][oi_], "channel": o["channel"][oi_]}

    main = mk(oi, prod, q, cat.price[prod], pos)
    parts = [main]

    # zero-price lines on BTYD/guest orders (one per chosen order)
    eligible = np.flatnonzero(kind <= _KIND_GUEST)
    n_sale = int((kind[oi] <= _KIND_GUEST).sum())
    if eligible.size:
        k0 = min(eligible.size, max(1, rng.binomial(n_sale, DIRT_RATES["zero_price_per_line"])))
        zo = np.sort(rng.choice(eligible, size=k0, replace=False))
        zp = _new_products_not_in(rng, zo, oi, prod, n_prod, np.zeros(n_prod, bool))
        parts.append(mk(zo, zp, rng.integers(1, 13, k0), np.zeros(k0), np.full(k0, 200.0)))
        stats.dirt["zero_price_lines"] += k0
    # extreme quantities
    eo = np.flatnonzero(o["extreme"])
    if eo.size:
        ep = _new_products_not_in(rng, eo, oi, prod, n_prod, cat.in_bundle)
        eq = np.round(np.exp(rng.uniform(np.log(1000), np.log(6_000), eo.size)))
        parts.append(mk(eo, ep, eq, cat.price[ep], np.full(eo.size, 210.0)))
        stats.dirt["extreme_quantity_lines"] += eo.size
    # fee lines
    mo = np.flatnonzero(o["manual"])
    if mo.size:
        mp = np.round(rng.uniform(0.5, 60.0, mo.size), 2)
        parts.append(mk(mo, np.full(mo.size, n_prod + 1), np.ones(mo.size), mp, np.full(mo.size, 220.0)))
        stats.dirt["manual_lines"] += mo.size
    bo = np.flatnonzero(o["bank"])
    if bo.size:
        parts.append(mk(bo, np.full(bo.size, n_prod + 2), np.ones(bo.size), np.full(bo.size, 15.0),
                        np.full(bo.size, 230.0)))
        stats.dirt["bank_charges_lines"] += bo.size
    po = np.flatnonzero(o["post"])
    if po.size:
        post_price = np.array([c[2] for c in COUNTRIES])[o["country"][po]]
        pq_ = np.where((o["country"][po] != 0) & (o["z"][po] > 150), 2.0, 1.0)
        parts.append(mk(po, np.full(po.size, n_prod), pq_, post_price, np.full(po.size, 240.0)))
        stats.dirt["postage_lines"] += po.size

    # exact duplicates of sale lines of BTYD/guest orders, placed right after the original
    sale = np.flatnonzero(kind[oi] <= _KIND_GUEST)
    if sale.size:
        kd = min(sale.size, max(1, rng.binomial(sale.size, DIRT_RATES["duplicate_per_line"])))
        di = np.sort(rng.choice(sale, size=kd, replace=False))
        dup = _take(main, di)
        dup["pos"] = dup["pos"] + 1.0
        parts.append(dup)
        stats.dirt["duplicate_lines"] += kd

    # cancellations of every line of the cancelled orders
    ci = np.flatnonzero(kind[oi] == _KIND_CANCELLED)
    canc = _take(main, ci)
    if ci.size:
        qq = canc["q"]
        partial = (qq >= 2) & (rng.random(ci.size) < DIRT_RATES["partial_cancel"])
        cq = np.where(partial, np.floor(rng.random(ci.size) * (qq - 1)) + 1, qq)
        canc["q"] = -cq
        canc["is_c"] = np.ones(ci.size, np.int8)
        canc["ts"] = o["cancel_ts"][oi[ci]]
        stats.dirt["cancellation_lines"] += ci.size
        stats.dirt["cancellation_lines_partial"] += int(partial.sum())
    return _cat(parts), canc


def _lines_table(d: dict, line0: int) -> pa.Table:
    cat = _catalogue()
    n = d["ts"].size
    inv = pc.cast(pa.array(d["inv"].astype(np.int64)), pa.string())
    inv_c = pc.binary_join_element_wise(pa.scalar("C"), inv, pa.scalar(""))
    invoice = pc.if_else(pa.array(d["is_c"].astype(bool)), inv_c, inv)
    cust = d["cust"].astype(np.int64)
    cust_id = pc.cast(pa.array(cust + _FIRST_CUSTOMER_ID, mask=cust < 0), pa.string())
    prod = pa.array(d["prod"].astype(np.int64))
    q = d["q"].astype(np.float64)
    price = d["price"].astype(np.float64)
    cols = {
        "line_id": pa.array(np.arange(line0, line0 + n, dtype=np.int64)),
        "invoice": invoice,
        "invoice_ts": pa.array(d["ts"].astype(np.int64).view("datetime64[us]")),
        "customer_id": cust_id,
        "product_id": cat.ext_code.take(prod),
        "description": cat.ext_desc.take(prod),
        "category": cat.ext_cat.take(prod),
        "quantity": pa.array(q),
        "unit_price": pa.array(price),
        "amount": pa.array(q * price),
        "country": pa.array([c[0] for c in COUNTRIES], pa.string()).take(pa.array(d["country"].astype(np.int64))),
        "channel": pa.array(list(CHANNELS), pa.string()).take(pa.array(d["channel"].astype(np.int64))),
        "currency": pa.array([CURRENCY], pa.string()).take(pa.array(np.zeros(n, np.int64))),
        # the shop's exports have no line numbers, return references or return flags
        "line_no": pa.nulls(n, pa.string()),
        "original_invoice": pa.nulls(n, pa.string()),
        "is_return": pa.nulls(n, pa.bool_()),
    }
    return pa.Table.from_pydict(cols, schema=_arrow_schema())


@functools.lru_cache(maxsize=1)
def _arrow_schema() -> pa.Schema:
    """Arrow schema of lines.parquet, with pandas metadata so pandas reads the canonical dtypes."""
    from helpers.io.schema import empty_lines

    sch = pa.Schema.from_pandas(empty_lines(), preserve_index=False)
    types = {"int64": pa.int64(), "string": pa.string(), "datetime64[us]": pa.timestamp("us"),
             "float64": pa.float64(), "boolean": pa.bool_()}
    fields = [pa.field(c, types[t], nullable=True) for c, t in LINE_COLUMNS.items()]
    return pa.schema(fields, metadata=sch.metadata)


def _iter_tables(rng, plan: _Plan, stats: _Stats, progress: bool = False):
    """Yield one arrow table per chunk of orders, in time order, with cancellations merged in."""
    n_orders = plan.orders["z"].size
    bounds = list(range(0, n_orders, _CHUNK_ORDERS)) or [0]
    pending = _cat([])
    line0 = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(bounds), desc="synthetic shop", unit="chunk", file=sys.stderr)
    try:
        for i, lo in enumerate(bounds):
            hi = min(lo + _CHUNK_ORDERS, n_orders)
            lines, canc = _chunk_lines(rng, plan, lo, hi, stats)
            pending = _cat([pending, canc])
            if hi < n_orders:
                cut = plan.orders["ts"][hi]
                emit = pending["ts"] < cut
            else:
                emit = np.ones(pending["ts"].size, dtype=bool)
            d = _cat([lines, _take(pending, emit)])
            pending = _take(pending, ~emit)
            order = np.lexsort((d["pos"], d["is_c"], d["inv"], d["ts"]))
            d = _take(d, order)
            stats.dirt["guest_lines"] += int((d["cust"] < 0).sum())
            table = _lines_table(d, line0)
            line0 += table.num_rows
            stats.lines += table.num_rows
            if bar is not None:
                bar.update(1)
            yield table
    finally:
        if bar is not None:
            bar.close()


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------
def _rngs(seed: int):
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x5EED, 0xC4A])
    plan_ss, lines_ss, pilot_ss = ss.spawn(3)
    return np.random.default_rng(plan_ss), np.random.default_rng(lines_ss), pilot_ss


def _n_customers(cfg: SyntheticConfig) -> int:
    if cfg.target_lines is None:
        return int(cfg.customers)
    _, _, pilot_ss = _rngs(cfg.seed)
    a, b = pilot_ss.spawn(2)
    plan = _plan(np.random.default_rng(a), _PILOT_CUSTOMERS, cfg.start, cfg.days)
    stats = _Stats(_PILOT_CUSTOMERS)
    for _ in _iter_tables(np.random.default_rng(b), plan, stats):
        pass
    per_customer = stats.lines / _PILOT_CUSTOMERS
    return int(min(20_000_000, max(20, round(cfg.target_lines / per_customer))))


def folder_for(cfg: SyntheticConfig, root: Path | None = None) -> Path:
    """The folder :func:`ensure_synthetic` uses for ``cfg``: ``root/synthetic-<hash12>``."""
    payload = json.dumps(cfg.model_dump(mode="json"), sort_keys=True) + GENERATOR_VERSION
    h = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
    return Path(paths.RAW if root is None else root) / f"synthetic-{h}"


def _ids(idx: np.ndarray) -> pd.arrays.StringArray:
    """Customer index -> customer_id strings (as in lines.parquet)."""
    return pd.array((np.asarray(idx, dtype=np.int64) + _FIRST_CUSTOMER_ID).astype(str), dtype="string")


def _ts(us: np.ndarray) -> np.ndarray:
    return np.asarray(us, dtype=np.int64).view("datetime64[us]")


def _customers_truth(plan: _Plan, stats: _Stats) -> pd.DataFrame:
    c = plan.cust
    n = plan.n_customers
    o = plan.orders
    btyd = o["kind"] == _KIND_BTYD
    oc = o["cust"][btyd]
    ots = o["ts"][btyd]
    n_orders = np.bincount(oc, minlength=n)
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, oc, ots)
    birth_ts = _to_ts_us(c["birth_t"], plan.start_us)
    dropped = ~np.isnan(c["drop_t"])
    drop_ts = np.where(dropped, _to_ts_us(np.nan_to_num(c["drop_t"]), plan.start_us), 0)
    end_us = plan.start_us + plan.days * DAY_US
    # reviews and complaints (BTYD orders only)
    sc = o["score"][btyd]
    comp = _is_complaint(sc)
    n_reviews = np.bincount(oc, sc > 0, minlength=n).astype(np.int64)
    n_complaints = np.bincount(oc, comp, minlength=n).astype(np.int64)
    first_c = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_c, oc[comp], ots[comp])
    complained = n_complaints > 0
    camp = o["kind"] == _KIND_CAMPAIGN
    n_camp = np.bincount(o["cust"][camp], minlength=n).astype(np.int64)
    k_c = FEEDBACK_RULES["complaint_hazard_factor"]
    income = np.array(INCOME_BANDS)[c["income"]]
    df = pd.DataFrame({
        "customer_id": _ids(np.arange(n)),
        "type": pd.array(np.array(TYPE_NAMES)[c["type"]], dtype="string"),
        "lambda": c["lam"],
        "p": c["p"],
        "nu": c["nu"],
        "birth_ts": _ts(birth_ts),
        "dropout_ts": pd.Series(_ts(drop_ts)).where(dropped),
        "alive_at_end": ~dropped,
        "n_orders": n_orders.astype(np.int64),
        "n_repeat": (n_orders - 1).astype(np.int64),
        "last_ts": _ts(last),
        "T_weeks": (end_us - birth_ts) / (7 * DAY_US),
        "t_x_weeks": (last - birth_ts) / (7 * DAY_US),
        "mean_target_value": stats.target_sum / n_orders,
        "mean_order_value": stats.value_sum / n_orders,
        "country": pd.array(np.array([x[0] for x in COUNTRIES])[c["country"]], dtype="string"),
        "channel": pd.array(np.array(CHANNELS)[c["channel"]], dtype="string"),
        "lambda_base": c["lam_base"],
        "income_band": pd.array(income, dtype="string"),
        "income_factor": np.array([INCOME_FACTOR[b] for b in INCOME_BANDS])[c["income"]],
        "p_after_complaint": 1.0 - (1.0 - c["p"]) ** k_c,
        "n_reviews": n_reviews,
        "n_complaints": n_complaints,
        "complained": complained,
        "first_complaint_ts": pd.Series(_ts(np.where(complained, first_c, 0))).where(complained),
        "complained_before_dropout": complained & dropped,
        "n_campaign_orders": n_camp,
    })
    for col in ("dropout_ts", "first_complaint_ts"):
        df[col] = df[col].astype("datetime64[us]")
    return df


# --------------------------------------------------------------------------------------
# the tables beside lines.parquet (attributes, exposures, responses, feedback)
# --------------------------------------------------------------------------------------
#: canonical columns and pandas dtypes of the extra tables (written exactly like this)
EXTRA_TABLES: dict[str, dict[str, str]] = {
    "attributes": {"customer_id": "string", "region": "string", "age_band": "string",
                   "income_band": "string", "household_size": "int64"},
    "exposures": {"customer_id": "string", "campaign_id": "string", "campaign_type": "string",
                  "start": "datetime64[us]", "end": "datetime64[us]", "channel": "string"},
    "responses": {"customer_id": "string", "campaign_id": "string", "response_ts": "datetime64[us]",
                  "response_type": "string", "value": "float64"},
    "feedback": {"feedback_id": "string", "customer_id": "string", "invoice": "string",
                 "feedback_ts": "datetime64[us]", "score": "float64", "score_min": "float64",
                 "score_max": "float64", "title": "string", "text": "string", "category": "string",
                 "language": "string"},
}


_ARROW_TYPES = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(),
                "datetime64[us]": pa.timestamp("us")}


@functools.lru_cache(maxsize=None)
def _extra_schema(name: str) -> pa.Schema:
    """Arrow schema of an extra table, with pandas metadata so pandas reads the dtypes of EXTRA_TABLES."""
    cols = EXTRA_TABLES[name]
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    meta = pa.Schema.from_pandas(empty, preserve_index=False).metadata
    return pa.schema([pa.field(c, _ARROW_TYPES[t]) for c, t in cols.items()], metadata=meta)


def _table(name: str, cols: dict, n: int) -> pa.Table:
    """An arrow table of ``n`` rows in the canonical schema; scalars are repeated."""
    sch = _extra_schema(name)
    arrays = []
    for f in sch:
        v = cols[f.name]
        if v is None or np.isscalar(v):
            v = pa.array([v], f.type).take(pa.array(np.zeros(n, np.int64)))
        elif not isinstance(v, (pa.Array, pa.ChunkedArray)):
            v = pa.array(v, f.type)
        arrays.append(v.cast(f.type))
    return pa.Table.from_arrays(arrays, schema=sch)


def _id_strings(idx: np.ndarray) -> pa.Array:
    """Customer index -> customer_id strings (as in lines.parquet), as an arrow array."""
    return pc.cast(pa.array(np.asarray(idx, dtype=np.int64) + _FIRST_CUSTOMER_ID), pa.string())


def _campaign_bounds(plan: _Plan) -> tuple[np.ndarray, np.ndarray]:
    s = np.array([c["start_day"] for c in plan.campaigns], dtype=np.int64)
    e = np.array([c["end_day"] for c in plan.campaigns], dtype=np.int64)
    return plan.start_us + s * DAY_US, plan.start_us + e * DAY_US


def _labels(values, idx: np.ndarray) -> pa.Array:
    """``values[idx]`` as an arrow string array (dictionary take: no Python strings per row)."""
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def _attributes_table(plan: _Plan) -> pa.Table:
    c = plan.cust
    n = plan.n_customers
    return _table("attributes", {
        "customer_id": _id_strings(np.arange(n)),
        "region": _labels(REGIONS_UK + (REGION_ABROAD,), c["region"]),
        "age_band": _labels(AGE_BANDS, c["age"]),
        "income_band": _labels(INCOME_BANDS, c["income"]),
        "household_size": np.array(HOUSEHOLD_SIZES, dtype=np.int64)[c["household"]],
    }, n)


def _exposures_table(plan: _Plan) -> pa.Table:
    e = plan.exposures
    s_us, e_us = _campaign_bounds(plan)
    order = np.lexsort((e["cust"], e["campaign"]))
    k = e["campaign"][order]
    return _table("exposures", {
        "customer_id": _id_strings(e["cust"][order]),
        "campaign_id": _labels([c["campaign_id"] for c in plan.campaigns], k),
        "campaign_type": _labels([c["campaign_type"] for c in plan.campaigns], k),
        "start": _ts(s_us[k]), "end": _ts(e_us[k]),
        "channel": _labels(("sms", "email"), e["email"][order].astype(np.int64)),
    }, k.size)


def _campaign_orders(plan: _Plan, stats: _Stats) -> pd.DataFrame:
    """Truth: one row per campaign (response) order with its invoice and realised value."""
    o = plan.orders
    sel = np.flatnonzero(o["kind"] == _KIND_CAMPAIGN)
    inv = np.concatenate(stats.campaign_invoice) if stats.campaign_invoice else np.zeros(0, np.int64)
    val = np.concatenate(stats.campaign_value) if stats.campaign_value else np.zeros(0)
    value = pd.Series(val, index=inv).reindex(o["invoice"][sel]).to_numpy()
    ids = np.array([c["campaign_id"] for c in plan.campaigns] or [""])
    return pd.DataFrame({
        "invoice": pd.array(o["invoice"][sel].astype(str), dtype="string"),
        "customer_id": _ids(o["cust"][sel]),
        "campaign_id": pd.array(ids[o["campaign"][sel]], dtype="string"),
        "invoice_ts": _ts(o["ts"][sel]),
        "value": value.astype(np.float64),
    })


def _responses_table(campaign_orders: pd.DataFrame) -> pa.Table:
    r = campaign_orders
    return _table("responses", {
        "customer_id": pa.array(r["customer_id"].to_numpy(object), pa.string()),
        "campaign_id": pa.array(r["campaign_id"].to_numpy(object), pa.string()),
        "response_ts": r["invoice_ts"].to_numpy("datetime64[us]"),
        "response_type": "coupon", "value": r["value"].to_numpy(np.float64),
    }, len(r))


def _feedback_table(plan: _Plan, seed: int) -> pa.Table:
    """One row per review of a BTYD order, in feedback_ts order (ids F0000001, ...)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x5EED, 0xFEED]))
    o = plan.orders
    sel = np.flatnonzero(o["score"] > 0)
    sel = sel[np.argsort(o["fb_ts"][sel], kind="stable")]
    n = sel.size
    score = o["score"][sel].astype(np.int64)
    # phrase number in one flat bank: offset of the score's bank + a uniform pick within it
    sizes = np.array([len(FEEDBACK_PHRASES[k]) for k in range(1, 6)])
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pick = offset[score - 1] + np.floor(rng.random(n) * sizes[score - 1]).astype(np.int64)
    no_text = rng.random(n) < FEEDBACK_RULES["no_text_share"]
    flat = [t for k in range(1, 6) for t in FEEDBACK_PHRASES[k]]
    text = pa.array(flat, pa.string()).take(pa.array(pick, mask=no_text))
    fid = pc.binary_join_element_wise(pa.scalar("F"), pc.utf8_lpad(
        pc.cast(pa.array(np.arange(1, n + 1, dtype=np.int64)), pa.string()), 7, "0"), pa.scalar(""))
    return _table("feedback", {
        "feedback_id": fid,
        "customer_id": _id_strings(o["cust"][sel]),
        "invoice": pc.cast(pa.array(o["invoice"][sel]), pa.string()),
        "feedback_ts": _ts(o["fb_ts"][sel]),
        "score": score.astype(np.float64),
        "score_min": 1.0, "score_max": 5.0, "title": None,
        "text": text,
        "category": _labels(("review", "complaint"), _is_complaint(score).astype(np.int64)),
        "language": "en",
    }, n)


def _campaigns_truth(plan: _Plan) -> list[dict]:
    s_us, e_us = _campaign_bounds(plan)
    out = []
    for c, s0, e0 in zip(plan.campaigns, s_us, e_us):
        d = {"campaign_id": c["campaign_id"], "campaign_type": c["campaign_type"],
             "start": str(_ts(np.array([s0]))[0]), "end_exclusive": str(_ts(np.array([e0]))[0])}
        d.update({k: v for k, v in c.items() if k not in d})
        out.append(d)
    return out


def _feedback_truth(plan: _Plan, customers: pd.DataFrame) -> dict:
    o = plan.orders
    btyd = o["kind"] == _KIND_BTYD
    sc = o["score"][btyd]
    dropped = customers["dropout_ts"].notna()
    comp = customers["complained"]
    return {
        "rules": {k: (list(v) if isinstance(v, tuple) else v) for k, v in FEEDBACK_RULES.items()},
        "complaint_hazard_factor": FEEDBACK_RULES["complaint_hazard_factor"],
        "effect": "after a complaint about an order, every later dropout decision of the customer (the one "
                  "right after a repeat purchase, including the purchase complained about) uses "
                  "p' = 1 - (1 - p)**k instead of p: the dropout hazard (-log(1 - p) per repeat purchase) "
                  "is multiplied by k; p' ~ k p for small p",
        "reviewed": "BTYD orders only (not campaign, guest or cancelled orders); score independent of the "
                    "customer and the order",
        "n_btyd_orders": int(btyd.sum()),
        "n_reviews": int((sc > 0).sum()),
        "n_complaints": int(_is_complaint(sc).sum()),
        "score_counts": {str(k): int((sc == k).sum()) for k in range(1, 6)},
        "n_customers_complained": int(comp.sum()),
        "n_dropouts": int(dropped.sum()),
        "n_complained_before_dropout": int((comp & dropped).sum()),
        "dropout_share_complained": float(dropped[comp].mean()) if comp.any() else None,
        "dropout_share_not_complained": float(dropped[~comp].mean()) if (~comp).any() else None,
        "mean_p": float(customers["p"].mean()),
        "mean_p_after_complaint": float(customers["p_after_complaint"].mean()),
    }


def _demographics_truth(customers: pd.DataFrame) -> dict:
    by = customers.groupby("income_band", observed=True)
    mean_lam = by["lambda"].mean()
    base = mean_lam.get("middle", np.nan)
    return {
        "income_bands": list(INCOME_BANDS),
        "income_shares": dict(zip(INCOME_BANDS, INCOME_SHARES)),
        "income_factor": dict(INCOME_FACTOR),
        "effect": "lambda = lambda_base x income_factor[income_band] (lambda_base ~ Gamma(r, alpha) of the "
                  "type; band independent of type); the share-weighted mean factor is 1",
        "no_effect": ["region", "age_band", "household_size"],
        "regions": list(REGIONS_UK) + [REGION_ABROAD],
        "age_bands": list(AGE_BANDS),
        "household_sizes": list(HOUSEHOLD_SIZES),
        "n_customers_by_income": {k: int(v) for k, v in by.size().items()},
        "realised_mean_lambda_ratio": {k: float(v / base) for k, v in mean_lam.items()},
    }


def _params(cfg: SyntheticConfig, plan: _Plan, stats: _Stats, seconds: float) -> dict:
    err = np.abs(np.concatenate(stats.rel_err)) if stats.rel_err else np.zeros(1)
    ratio = (stats.value_sum.sum() / stats.target_sum.sum()) if stats.target_sum.sum() else 1.0
    o = plan.orders
    end = plan.cfg_start + dt.timedelta(days=plan.days)
    types = {}
    for k, t in TYPES.items():
        types[k] = {kk: v for kk, v in t.items()}
        types[k]["n_customers"] = int((plan.cust["type"] == TYPE_NAMES.index(k)).sum())
    return {
        "generator_version": GENERATOR_VERSION,
        "config": cfg.model_dump(mode="json"),
        "n_customers": plan.n_customers,
        "n_lines": stats.lines,
        "n_invoices": int(o["z"].size),
        "n_btyd_orders": int((o["kind"] == _KIND_BTYD).sum()),
        "n_btyd_lines": stats.btyd_lines,
        "n_campaign_orders": int((o["kind"] == _KIND_CAMPAIGN).sum()),
        "n_campaign_lines": stats.campaign_lines,
        "window": {"start": plan.cfg_start.isoformat(), "end_exclusive": end.isoformat(),
                   "days": plan.days, "weeks": plan.days / 7.0},
        "time_unit": "week (lambda = purchases per week; T and t_x in weeks)",
        "currency": CURRENCY,
        "headline": dict(HEADLINE),
        "types": types,
        "conventions": {
            "dropout": "after each REPEAT purchase with probability p (never right after the first "
                       "purchase), as in the BG/NBD likelihood; dropout_ts = time of that repeat purchase; "
                       "null = alive at the end of the window",
            "time_of_day": "calendar day exact; time of day = monotone warp of the day fraction onto shop hours",
            "seasonality": "none in timing; product choice by calendar month (see seasonality); "
                           "acquisition (birth) rises over the window and peaks in Nov-Dec",
            "cancellations": "only on extra orders that are not BTYD purchases; every line of such an order "
                             "is cancelled by invoice 'C'+number (some partially)",
            "cleaning_for_truth": "drop exact duplicates, every C line and the lines of the invoice it "
                                  "cancels (whole lines), zero prices, POST/M/BANK CHARGES, quantity >= 1000, "
                                  "null customers; what remains is the BTYD history plus the campaign orders "
                                  "(truth/campaign_orders.parquet), which carry no dirt",
            "income": "lambda = lambda_base x income factor (see demographics.json)",
            "complaints": "a complaint (review score 1-2) multiplies the dropout hazard by k: "
                          "p -> 1 - (1 - p)**k for every later dropout decision (see feedback.json)",
            "campaigns": "randomised targeting of customers born before the start; responses are extra "
                         "orders, not BTYD purchases (no dropout decision after them); see campaigns.json",
        },
        "seasonality": {"category_multiplier_by_month": SEASON,
                        "acquisition_rise": _ACQ_RISE},
        "dirt": dict(stats.dirt),
        "dirt_rates": dict(DIRT_RATES),
        "fee_codes": [c for c, _ in FEES],
        "extreme_quantity_min": 1000,
        "max_btyd_quantity": stats.max_btyd_quantity,
        "order_value_vs_target": {
            "median_abs_rel_error": float(np.median(err)),
            "p90_abs_rel_error": float(np.quantile(err, 0.9)),
            "p99_abs_rel_error": float(np.quantile(err, 0.99)),
            "mean_realised_over_mean_target": float(ratio),
        },
        "n_products": int(_catalogue().price.size),
        "n_categories": len(CATEGORIES),
        "bundles": _catalogue().bundles,
        "seconds": round(seconds, 2),
    }


def _write_truth(tdir: Path, params: dict, customers: pd.DataFrame, extra: dict | None = None) -> None:
    cat = _catalogue()
    tdir.mkdir(parents=True, exist_ok=True)
    prod = cat.products[["product_id", "description", "category", "base_item", "tier", "price",
                         "popularity"]].copy()
    for c in ("product_id", "description", "category", "base_item", "tier"):
        prod[c] = prod[c].astype("string")
    prod["in_bundle"] = cat.in_bundle
    prod.to_parquet(tdir / "products.parquet", index=False)
    tiers = prod[["category", "base_item", "tier", "product_id", "price"]]
    tiers.to_parquet(tdir / "tiers.parquet", index=False)
    customers.to_parquet(tdir / "customers.parquet", index=False)
    (tdir / "bundles.json").write_text(json.dumps(cat.bundles, indent=2) + "\n", encoding="utf-8")
    (tdir / "params.json").write_text(json.dumps(params, indent=2, default=str) + "\n", encoding="utf-8")
    for name, obj in (extra or {}).items():
        if isinstance(obj, pd.DataFrame):
            obj.to_parquet(tdir / f"{name}.parquet", index=False)
        else:
            (tdir / f"{name}.json").write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")


def generate(cfg: SyntheticConfig, out_dir: Path, *, progress: bool = True) -> Path:
    """Generate the synthetic shop for ``cfg`` into ``out_dir`` and return ``out_dir``.

    Writes ``lines.parquet``, ``attributes.parquet``, ``exposures.parquet``,
    ``responses.parquet``, ``feedback.parquet`` and ``truth/`` (see the module docstring). Everything is written
    into a temporary sibling folder first and renamed into place at the end, so an
    interrupted run leaves no half-written ``out_dir``; an existing ``out_dir`` is replaced.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        n_customers = _n_customers(cfg)
        plan_rng, lines_rng, _ = _rngs(cfg.seed)
        plan = _plan(plan_rng, n_customers, cfg.start, cfg.days)
        stats = _Stats(n_customers)
        with pq.ParquetWriter(tmp / "lines.parquet", _arrow_schema(), compression="zstd") as w:
            for table in _iter_tables(lines_rng, plan, stats, progress=progress):
                w.write_table(table, row_group_size=max(1, table.num_rows))
        customers = _customers_truth(plan, stats)
        camp_orders = _campaign_orders(plan, stats)
        tables = {"attributes": _attributes_table(plan), "exposures": _exposures_table(plan),
                  "responses": _responses_table(camp_orders), "feedback": _feedback_table(plan, cfg.seed)}
        for name, table in tables.items():
            pq.write_table(table, tmp / f"{name}.parquet", compression="zstd")
        params = _params(cfg, plan, stats, time.perf_counter() - t0)
        params.pop("seconds")  # keep params.json deterministic
        params["extra_tables"] = {name: table.num_rows for name, table in tables.items()}
        _write_truth(tmp / "truth", params, customers, {
            "campaign_orders": camp_orders, "campaigns": _campaigns_truth(plan),
            "feedback": _feedback_truth(plan, customers), "demographics": _demographics_truth(customers)})
        old = None
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(out_dir, old)
        try:
            os.replace(tmp, out_dir)
        except OSError:
            # another process put a complete folder there meanwhile: keep theirs
            if not (out_dir / "lines.parquet").exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def ensure_synthetic(cfg: SyntheticConfig, *, root: Path = paths.RAW, progress: bool = True) -> Path:
    """Return ``root/synthetic-<hash12>`` for ``cfg``, generating it when ``lines.parquet`` is missing.

    ``hash12`` is the first 12 hex digits of the SHA-256 of the config (``model_dump(mode='json')``,
    keys sorted) followed by :data:`GENERATOR_VERSION`.
    """
    folder = folder_for(cfg, root)
    if not (folder / "lines.parquet").exists():
        generate(cfg, folder, progress=progress)
    return folder


def load_truth(folder: Path) -> dict:
    """Read the ground truth written by :func:`generate`.

    ``folder`` is the synthetic folder (holding ``truth/``) or the ``truth`` folder itself.
    Returns ``{'params': dict, 'customers': DataFrame, 'products': DataFrame,
    'bundles': list of {'products': tuple of product ids, 'prob': float, ...},
    'tiers': DataFrame}`` and, for folders written by version 1.3 or later,
    ``'campaigns'`` (list of dicts, one per campaign), ``'campaign_orders'`` (DataFrame),
    ``'feedback'`` and ``'demographics'`` (dicts).
    """
    folder = Path(folder)
    tdir = folder / "truth" if (folder / "truth").is_dir() else folder
    if not (tdir / "params.json").exists():
        raise FileNotFoundError(f"{tdir}: no synthetic truth here (params.json missing)")
    params = json.loads((tdir / "params.json").read_text(encoding="utf-8"))
    bundles = json.loads((tdir / "bundles.json").read_text(encoding="utf-8"))
    for b in bundles:
        b["products"] = tuple(b["products"])
    return {
        "params": params,
        "customers": pd.read_parquet(tdir / "customers.parquet"),
        "products": pd.read_parquet(tdir / "products.parquet"),
        "bundles": bundles,
        "tiers": pd.read_parquet(tdir / "tiers.parquet"),
    } | _optional_truth(tdir)


def _optional_truth(tdir: Path) -> dict:
    out = {}
    for name in ("campaigns", "feedback", "demographics"):
        if (tdir / f"{name}.json").exists():
            out[name] = json.loads((tdir / f"{name}.json").read_text(encoding="utf-8"))
    if (tdir / "campaign_orders.parquet").exists():
        out["campaign_orders"] = pd.read_parquet(tdir / "campaign_orders.parquet")
    return out


def main(argv=None) -> int:
    """Command line: generate a synthetic shop and say where it went."""
    ap = argparse.ArgumentParser(
        prog="python -m helpers.io.synth",
        description="Generate the seeded synthetic shop (BG/NBD + Gamma-Gamma customers, planted "
                    "bundles, price tiers and dirt, demographics, campaigns, reviews and complaints) as "
                    "lines.parquet, attributes/exposures/responses/feedback.parquet plus truth/.")
    d = SyntheticConfig()
    ap.add_argument("--customers", type=int, default=d.customers, help=f"number of customers (default {d.customers})")
    ap.add_argument("--seed", type=int, default=d.seed, help=f"random seed (default {d.seed})")
    ap.add_argument("--start", type=dt.date.fromisoformat, default=d.start,
                    help=f"first day of the window, YYYY-MM-DD (default {d.start})")
    ap.add_argument("--days", type=int, default=d.days, help=f"length of the window in days (default {d.days})")
    ap.add_argument("--target-lines", type=int, default=None,
                    help="scale the number of customers to reach about this many lines (overrides --customers)")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default: data/raw/synthetic-<hash>, reused when it exists)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    from pydantic import ValidationError

    try:
        cfg = SyntheticConfig(customers=args.customers, seed=args.seed, start=args.start,
                              days=args.days, target_lines=args.target_lines)
    except ValidationError as exc:
        ap.error(str(exc))
    t0 = time.perf_counter()
    if args.out is not None:
        folder = generate(cfg, args.out, progress=not args.no_progress)
    else:
        folder = ensure_synthetic(cfg, progress=not args.no_progress)
    params = json.loads((folder / "truth" / "params.json").read_text(encoding="utf-8"))
    print(f"synthetic shop in {folder}")
    print(f"  {params['n_lines']:,} lines, {params['n_invoices']:,} invoices, "
          f"{params['n_customers']:,} customers ({time.perf_counter() - t0:.1f} s)")
    extra = params.get("extra_tables", {})
    if extra:
        print("  " + ", ".join(f"{name} {k:,} rows" for name, k in extra.items()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
