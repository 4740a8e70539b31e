"""Test data and stub models shared by the tests of helpers.models.clv.

A ~10-row buy-till-you-die summary (:data:`TEN`) and stub models: an object with the two or three
pymc-marketing prediction methods the helpers call, returning numbers chosen so that every
expected value can be worked out with a pencil.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from helpers.models import clv


def summary_rows(rows) -> pd.DataFrame:
    """(customer_id, frequency, recency, T, monetary_value) tuples as a BTYD summary."""
    return pd.DataFrame(rows, columns=["customer_id", "frequency", "recency", "T", "monetary_value"])


#: ten customers: 3 bought once, 7 repeat buyers; recency <= T everywhere
TEN = summary_rows([
    ("A", 0, 0.0, 30.0, 0.0),
    ("B", 0, 0.0, 12.0, 0.0),
    ("C", 0, 0.0, 5.0, 0.0),
    ("D", 1, 4.0, 30.0, 20.0),
    ("E", 2, 10.0, 28.0, 15.0),
    ("F", 3, 25.0, 26.0, 40.0),
    ("G", 5, 20.0, 30.0, 12.0),
    ("H", 1, 1.0, 20.0, 60.0),
    ("I", 4, 18.0, 19.0, 25.0),
    ("J", 2, 3.0, 30.0, 30.0),
])


class StubModel:
    """Stands in for a fitted pymc-marketing model: one 'draw', simple closed forms.

    expected_purchases(t) = 0.1 * (frequency + 1) * t (linear in t, so increments are equal);
    expected_probability_alive = 1 / (1 + frequency); expected_purchases_new_customer(t) = t
    (one repeat purchase per time unit); expected_customer_spend = monetary_value + 10.
    """

    #: one posterior 'draw', which is all PurchaseFit.n_draws reads
    idata = SimpleNamespace(posterior=SimpleNamespace(sizes={"chain": 1, "draw": 1}))

    def expected_purchases(self, data, future_t):
        t = np.broadcast_to(np.asarray(future_t, dtype=float), (len(data),))
        return (0.1 * (data["frequency"].to_numpy() + 1) * t)[None, None, :]

    def expected_probability_alive(self, data):
        return (1 / (1 + data["frequency"].to_numpy()))[None, None, :]

    def expected_purchases_new_customer(self, data):
        return data["t"].to_numpy(dtype=float)[None, None, :]

    def expected_customer_spend(self, data):
        return (data["monetary_value"].to_numpy() + 10.0)[None, None, :]


def stub_purchase(time_unit="M") -> clv.PurchaseFit:
    return clv.PurchaseFit(model="bgnbd", method="map", priors="flat", estimator=StubModel(),
                           params=pd.DataFrame({"estimate": []}), time_unit=time_unit, log_likelihood=None,
                           n_customers=10, n_repeat=7)


def stub_spend() -> clv.SpendFit:
    return clv.SpendFit(method="map", estimator=StubModel(), params=pd.DataFrame({"estimate": []}),
                        log_likelihood=None, n_customers=7, n_excluded=0)
