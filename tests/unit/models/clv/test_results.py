"""Tests for helpers.models.clv.results: step codes, reasons and labels, and the fit result types, by hand."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers import i18n
from helpers.models import clv
from helpers.models.clv import results
from helpers.models.results import FitResult
from tests.unit.models.clv.stubs import StubModel

#: the reason of the purchase chain's first step on a summary with 7 repeat customers of 10
TOO_FEW = "BG/NBD (maximum likelihood) needs at least 10 repeat customers, and only 7 of 10 bought on more than one day"


def params(**values) -> pd.DataFrame:
    return pd.DataFrame({"estimate": list(values.values())}, index=pd.Index(list(values), name="parameter"))


class TestSteps:
    def test_purchase_steps(self):
        assert results.purchase_step("bgnbd", "map", "flat") == "bgnbd_ml"
        assert results.purchase_step("pareto_nbd", "map", "weak") == "pareto_nbd_weak"
        assert results.purchase_step("bgnbd", "map", "default") == "bgnbd_default"
        assert results.purchase_step("pareto_nbd", "mcmc", "default") == "pareto_nbd_mcmc"
        assert results.purchase_step("nbd", "map", "flat") == "nbd_ml"
        assert results.purchase_step("empirical", "empirical", "none") == "empirical_rate"

    def test_spend_steps(self):
        assert [results.spend_step("map", p) for p in ("flat", "weak", "halfnormal")] == ["gg_ml", "gg_weak",
                                                                                        "gg_halfnormal"]
        assert results.spend_step("mcmc", "halfnormal") == "gg_mcmc"
        assert results.spend_step("empirical", "none", "empirical") == "empirical_spend"

    def test_every_step_is_named(self):
        assert all(i18n.say(clv.step_phrase(s), "en") != f"clv_step_{s}" for s in clv.STEPS)


class TestSourceAndAttempt:
    def test_label_and_reason_in_english(self):
        exc = clv.ModelFitError("too few", "too_few_repeat", {"n": 7, "total": 10, "min": 10})
        a = results.failed_attempt("bgnbd_ml", exc)
        assert (a.step, a.why) == ("bgnbd_ml", "too_few_repeat") and i18n.say(a.phrase, "en") == TOO_FEW
        src = clv.Source("empirical_rate", (a,))
        assert i18n.say(src.phrase, "en") == "empirical purchase rates (each customer's own repeat rate): " + TOO_FEW
        assert i18n.say(clv.Source("bgnbd_ml").phrase, "en") == "BG/NBD (maximum likelihood)"


class TestFits:
    def test_purchase_fit_derives_its_step(self):
        fit = clv.PurchaseFit(model="bgnbd", method="map", priors="weak", estimator=StubModel(),
                              params=params(r=0.25, alpha=4.0, a=0.8, b=2.4), time_unit="W", log_likelihood=None,
                              n_customers=10, n_repeat=7)
        assert isinstance(fit, FitResult) and isinstance(fit, clv.StepFit)
        assert fit.step == "bgnbd_weak" and i18n.say(fit.phrase, "en") == "BG/NBD with weakly-informative priors"
        assert fit.source.attempts == ()
        assert fit.values == {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.4} and fit.n_draws == 1
        assert fit.name == "BG/NBD" and fit.has_p_alive

    def test_population_mean_spend_by_hand(self):
        fit = clv.SpendFit(method="map", estimator=StubModel(), params=params(p=6.0, q=3.0, v=15.0),
                           log_likelihood=None, n_customers=7, n_excluded=0)
        assert fit.step == "gg_ml" and fit.population_mean_spend == pytest.approx(6 * 15 / 2)
        fit.params = params(p=6.0, q=0.9, v=15.0)
        assert math.isinf(fit.population_mean_spend)


@pytest.mark.parametrize("language", ["en", "tr"])
def test_phrases_put_the_step_and_its_reason_together(language):
    from helpers import i18n

    edge = results.Attempt("bgnbd_ml", "param_edge", (("param", "a"), ("value", 7.2391e-10)))
    few = results.Attempt("bgnbd_weak", "too_few_repeat", (("n", 3), ("total", 1200), ("min", 10)))
    src = results.Source("nbd_ml", (edge, few))
    step = {s: i18n.lookup(f"clv_step_{s}", language) for s in ("bgnbd_ml", "bgnbd_weak", "nbd_ml")}
    edge_text = step["bgnbd_ml"] + " " + i18n.lookup("clv_why_param_edge", language, param="a",
                                                     value=i18n.fmt_spec(7.2391e-10, ".3g", language))
    few_text = step["bgnbd_weak"] + " " + i18n.lookup("clv_why_too_few_repeat", language, n="3", min="10",
                                                      total=i18n.fmt_number(1200, 0, language))
    assert i18n.say(edge.phrase, language) == edge_text
    assert i18n.say(src.phrase, language) == f"{step['nbd_ml']}: {edge_text}; {few_text}"
    assert i18n.say(results.Source("gg_ml").phrase, language) == i18n.lookup("clv_step_gg_ml", language)
    assert "7.24e-10" in i18n.say(edge.phrase, "en") and "1,200" in i18n.say(few.phrase, "en")
