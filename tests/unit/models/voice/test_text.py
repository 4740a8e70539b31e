"""Words, stop words and distinctive terms by hand."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.models import voice


class TestText:
    def test_stop_words_per_language(self):
        en, pt, tr = voice.stop_words("en"), voice.stop_words("pt"), voice.stop_words("tr")
        assert {"the", "and", "was"} <= en and "never" not in en and "parcel" not in en
        assert {"muito", "no"} <= pt and "não" not in pt and "nao" not in pt and "bom" not in pt
        assert "çok" in tr and "bir" in tr and "bazı" in tr                  # re-decoded from cp1254
        assert not any("ý" in w or "þ" in w for w in tr)

    def test_turkish_lower(self):
        assert voice.lower("KIRIK İADE", "tr") == "kırık iade"
        assert voice.lower("KIRIK", "en") == "kirik"

    def test_counts_with_stop_words_removed(self, fb):
        low = fb[fb["is_low"]]
        c = voice.term_counts(low["full_text"], low["language"])
        # en: the parcel never arrived and the box was damaged -> parcel never arrived box damaged
        # pt: não recebi o produto -> não recebi produto; tr: kargo çok geç geldi ürün kırık -> kargo geç geldi ürün kırık
        for term in ("parcel never", "never arrived", "arrived box", "box damaged", "não recebi", "recebi produto",
                     "kargo geç", "ürün kırık", "kırık", "geç geldi"):
            assert c[term] == 1, term
        for gone in ("the", "and", "was", "çok", "kargo çok", "the parcel", "recebi o"):
            assert gone not in c.index, gone
        assert len(c) == 5 + 4 + 3 + 2 + 5 + 4                          # words + 2-grams of the three texts

    def test_counts_are_texts_mentioning(self):
        c = voice.term_counts(pd.Series(["late late late", "late again"]), "en")
        assert c["late"] == 2
        assert voice.term_counts(pd.Series(["late late late"]), "en", binary=False)["late"] == 3

    def test_unknown_language_uses_all_lists(self):
        c = voice.term_counts(pd.Series(["the produto muito çok kırık"]), None)
        assert list(c.index) == ["kırık", "produto", "produto kırık"]

    def test_distinctive_terms_log_odds(self, fb):
        t = voice.distinctive_terms(fb, min_count=2, top=10)
        assert t.attrs == {"low_texts": 3, "high_texts": 4}
        row = t.set_index("term").loc["produto"]
        # produto: 1 of 3 low texts, 1 of 4 high texts; log((1.5/2.5) / (1.5/3.5)) = log 1.4
        assert (row["low"], row["high"], row["side"]) == (1, 1, "low")
        assert row["log_odds"] == pytest.approx(math.log(1.4))
        assert row["z"] == pytest.approx(math.log(1.4) / math.sqrt(1 / 1.5 + 1 / 2.5 + 1 / 1.5 + 1 / 3.5))
        assert set(t["term"]) == {"produto", "ürün", "kargo"}               # the only terms in 2+ texts

    def test_top_terms(self, fb):
        t = voice.top_terms(fb, "high", top=3)
        assert t.attrs["texts"] == 4 and t["reviews"].iloc[0] == 1 and len(t) == 3
