"""Customer voice: review scores, complaints and what they say (geri bildirim, şikayet).

Input: the prepared ``feedback`` table (``prep.read("feedback")``), one row per review or
complaint:

=================  ==============  ========  =================================================
column             dtype           nullable  meaning
=================  ==============  ========  =================================================
feedback_id        string          no        unique id of the review / complaint
customer_id        string          yes       the customer (joins the sales lines); null = unknown
invoice            string          yes       the order it is about
feedback_ts        datetime        no        when it was written
score              float           no        the score given, on ``score_min`` .. ``score_max``
score_min          float           no        lowest possible score (e.g. 1)
score_max          float           no        highest possible score (e.g. 5)
title, text        string          yes       free text
category           string          yes       "complaint" / "review" or a topic
language           string          yes       ISO code of the text: "pt", "en", "tr" ...
delivered_ts       datetime        yes       (optional column) when the order arrived
estimated_ts       datetime        yes       (optional column) the promised delivery date
delay_days         float           yes       (optional column) days late; positive = late
seller_id, region  string          yes       (optional columns) breakdowns
product_category   string          yes       (optional column) breakdown
=================  ==============  ========  =================================================

Conventions
-----------
* **Scores on one scale.** Every score is rescaled to 1..5 (``score5 = 1 + 4 (score -
  score_min) / (score_max - score_min)``) so means compare across sources. **Low** = score5 <=
  2 (1-2 stars on a 1-5 scale), **high** = score5 >= 4.
* **Late.** (delivered_ts date - estimated_ts date) in whole days when the table has both
  dates (a delivery on the promised day, at any hour, is on time), else ``delay_days`` as given; an order is late when ``delay_days > late_after_days`` (default 0: delivered after the
  promised day). Orders not delivered have no delay and are left out of the late comparison.
* **Complaint.** With ``rule="auto"``: a row whose ``category`` is "complaint" (or
  "şikayet" / "reclamação") when the table has such rows, else a low score.
* **Text.** Words are letters only (2+ characters), lower-cased per language (Turkish
  ``I`` -> ``ı``, ``İ`` -> ``i``); stop words come from the ``stop-words`` package for each
  review's language (the Turkish list re-decoded from cp1254) with accent-free spellings of the
  Portuguese ones added, and without the negations and judgement words in :data:`KEEP_WORDS`
  ("não", "not", "good" ...), which carry the complaint. Stop words are removed before
  2-grams are formed. Counts are the number of reviews that mention a term (not occurrences).
* **Distinctive terms** of low vs high scores: the log odds ratio of mentioning the term,
  ``log((a + k)/(A - a + k)) - log((b + k)/(B - b + k))`` with ``a`` of ``A`` low-score texts
  and ``b`` of ``B`` high-score texts mentioning it and ``k = 0.5``, and its z =
  log odds ratio / sqrt(sum of the four reciprocals); terms mentioned fewer than
  ``min_count`` times in all are left out.

Modules: :mod:`~helpers.models.voice.table` (the checked table, complaints),
:mod:`~helpers.models.voice.scores` (headline, over time, by group),
:mod:`~helpers.models.voice.intervals` (intervals of proportions and means),
:mod:`~helpers.models.voice.delay` (late against on-time orders), :mod:`~helpers.models.voice.text`
(words, stop words, distinctive terms), :mod:`~helpers.models.voice.customers` (per customer, came
back), :mod:`~helpers.models.voice.churn_gain` (complaints as churn features),
:mod:`~helpers.models.voice.likelihood` (the BG/NBD likelihood with a complaint factor on dropout)
and :mod:`~helpers.models.voice.hazard` (its data and fit). This package re-exports their public
names (and :class:`helpers.errors.DataError`, which they raise), so ``voice.NAME`` works for each.
"""
from helpers.errors import DataError
from helpers.models.voice.churn_gain import (
    COMPLAINT_FEATURES, ChurnGain, complaint_churn_gain, complaint_features, try_complaint_churn_gain
)
from helpers.models.voice.customers import came_back, customer_voice
from helpers.models.voice.delay import DELAY_BANDS, DELAY_LABELS, DelayEffect, delay_effect
from helpers.models.voice.hazard import HazardFit, complaint_histories, fit_complaint_hazard, try_complaint_hazard
from helpers.models.voice.intervals import diff_means, diff_proportions, wilson_interval
from helpers.models.voice.likelihood import complaint_loglik_terms, numerical_hessian
from helpers.models.voice.scores import headline, score_by, score_over_time
from helpers.models.voice.table import (
    BREAKDOWNS, COMPLAINT_LABELS, FILE, HIGH_MIN, KIND_LABELS, LOW_MAX, OPTIONAL, REQUIRED, available,
    check_feedback, complaint_flags, complaint_source
)
from helpers.models.voice.text import (
    DEFAULT_LANGUAGES, KEEP_WORDS, distinctive_terms, lower, stop_words, strip_accents, term_counts, top_terms
)

__all__ = ["BREAKDOWNS", "COMPLAINT_FEATURES", "COMPLAINT_LABELS", "ChurnGain", "DEFAULT_LANGUAGES", "DELAY_BANDS",
           "DELAY_LABELS", "DataError", "DelayEffect", "FILE", "HIGH_MIN", "HazardFit", "KEEP_WORDS", "KIND_LABELS",
           "LOW_MAX", "OPTIONAL", "REQUIRED", "available", "came_back", "check_feedback", "complaint_churn_gain",
           "complaint_features", "complaint_flags", "complaint_histories", "complaint_loglik_terms",
           "complaint_source", "customer_voice", "delay_effect", "diff_means", "diff_proportions",
           "distinctive_terms", "fit_complaint_hazard", "headline", "lower", "numerical_hessian", "score_by",
           "score_over_time", "stop_words", "strip_accents", "term_counts", "top_terms", "try_complaint_churn_gain",
           "try_complaint_hazard", "wilson_interval"]
