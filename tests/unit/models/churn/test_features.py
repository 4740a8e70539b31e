"""Churn features against hand computation, no look-ahead past the cut-off, P(alive), DuckDB = Spark."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.config import SyntheticConfig
from helpers.io import synth
from helpers.io.engine import table
from helpers import i18n
from helpers.models import churn
from helpers.phrase import Phrase
from tests.fixtures import make_lines
from tests.fixtures.churn_data import COLS, CUT, SPEC


def _features(duck, frame, spec=SPEC, cutoff=CUT):
    return churn.churn_features(table(duck, frame), cutoff=cutoff, spec=spec)

class TestTopValues:
    def test_by_customer_revenue_before_the_cutoff(self, lines):
        # Kitchen: A 30 + D 10 + E 10 = 50; Garden: A 30; Toys: B 5 + E 10 = 15 (the guest's 15 is not counted)
        assert churn.top_values(lines, "category", cutoff=CUT, top=3) == ("Kitchen", "Garden", "Toys")
        assert churn.top_values(lines, "category", cutoff=CUT, top=1) == ("Kitchen",)

class TestMakeSpec:
    def test_follows_the_available_columns(self, lines):
        full = churn.make_spec(lines, cutoff=CUT, has={"category": True, "channel": True, "country": True,
                                                       "product_id": True}, top_categories=2)
        assert full.categories == ("Kitchen", "Garden") and set(full.channels) == {"web", "store", "app"}
        bare = churn.make_spec(lines, cutoff=CUT, has={"customer_id": True})
        assert bare.categories == () and bare.channels == () and not bare.countries and not bare.products

class TestChurnFeatures:
    def test_customer_a_by_hand(self, duck, df):
        a = _features(duck, df).set_index("customer_id").loc["A"]
        assert a["recency_days"] == 10 and a["tenure_days"] == 80          # Mar 21 / Jan 10 -> Mar 31
        assert a["frequency"] == 3 and a["monetary"] == pytest.approx(60.0) and a["avg_order_value"] == pytest.approx(20.0)
        assert a["purchase_days"] == 3
        assert a["ipt_mean_days"] == pytest.approx(35.0)                   # gaps 30 and 40
        assert a["ipt_std_days"] == pytest.approx(np.std([30, 40], ddof=1))
        assert a["ipt_last_days"] == 40
        assert a["overdue_ratio"] == pytest.approx(10 / 35)
        # trend_days 30: recent = Mar 2 .. Mar 31 (10), prior = Jan 31 .. Mar 1 (30)
        assert (a["orders_recent"], a["orders_prior"]) == (1, 1)
        assert (a["revenue_recent"], a["revenue_prior"]) == (10.0, 30.0)
        assert a["spend_trend"] == pytest.approx((10 - 30) / (10 + 30))
        assert a["n_products"] == 2 and a["n_categories"] == 2
        assert a["cat_kitchen"] == pytest.approx(0.5) and a["cat_garden"] == pytest.approx(0.5)
        assert a["top_category_share"] == pytest.approx(0.5)
        assert a["chan_web"] == pytest.approx(50 / 60) and a["chan_app"] == pytest.approx(10 / 60)
        assert a["chan_store"] == 0 and a["n_channels"] == 2
        assert a["main_channel"] == "web" and a["country"] == "UK"

    def test_one_time_and_same_day_buyers(self, duck, df):
        f = _features(duck, df).set_index("customer_id")
        b, e = f.loc["B"], f.loc["E"]
        assert b["recency_days"] == 30 and b["frequency"] == 1
        assert np.isnan(b["ipt_mean_days"]) and np.isnan(b["overdue_ratio"])   # one purchase day: no gaps
        assert b["revenue_prior"] == 5.0 and b["revenue_recent"] == 0.0      # Mar 1 is the last day of the prior window
        assert b["spend_trend"] == -1.0 and b["country"] == "France"
        assert e["frequency"] == 2 and e["purchase_days"] == 1                 # two orders, one day
        assert e["spend_trend"] == 1.0 and e["cat_kitchen"] == pytest.approx(0.5)

    def test_population_is_customers_seen_by_the_cutoff(self, duck, df):
        assert list(_features(duck, df)["customer_id"]) == ["A", "B", "D", "E"]

    def test_without_optional_columns(self, duck, df):
        bare = churn.FeatureSpec(p_alive=False, trend_days=30)
        nulls = {c: pd.array([pd.NA] * len(df), dtype="string") for c in ("category", "channel", "country")}
        f = _features(duck, df.assign(**nulls), spec=bare)
        assert not [c for c in f.columns if c.startswith(("cat_", "chan_")) or c in ("country", "main_channel")]
        assert f.set_index("customer_id").loc["A", "monetary"] == pytest.approx(60.0)

class TestNoLookAhead:
    """No feature reads a line after the cut-off."""

    def test_changing_every_later_line_changes_no_feature(self, duck, df):
        before = _features(duck, df)
        later = df["invoice_ts"] > pd.Timestamp(CUT) + pd.Timedelta(days=1)
        tampered = df.copy()
        tampered.loc[later, ["unit_price", "amount"]] *= 100
        tampered.loc[later, "category"] = "Garden"
        tampered.loc[later, "customer_id"] = "B"
        pd.testing.assert_frame_equal(_features(duck, tampered), before)
        pd.testing.assert_frame_equal(_features(duck, df[~later]), before)       # deleting them too

    def test_a_planted_later_purchase_moves_the_label_not_the_features(self, duck, df):
        extra = make_lines([(99, "99", "2023-04-01 00:00", "B", "P9", "Garden", 50, 100.0, "Spain", "app")], columns=COLS)
        planted = pd.concat([df, extra], ignore_index=True)
        pd.testing.assert_frame_equal(_features(duck, planted), _features(duck, df))
        before = churn.churn_labels(table(duck, df), cutoff=CUT, horizon_days=30).set_index("customer_id")
        after = churn.churn_labels(table(duck, planted), cutoff=CUT, horizon_days=30).set_index("customer_id")
        assert before.loc["B", "churned"] == 1 and after.loc["B", "churned"] == 0

    def test_a_purchase_on_the_cutoff_day_counts_as_history(self, duck, df):
        extra = make_lines([(99, "99", "2023-03-31 23:59", "B", "P9", "Garden", 1, 7.0, "France", "store")], columns=COLS)
        b = _features(duck, pd.concat([df, extra], ignore_index=True)).set_index("customer_id").loc["B"]
        assert b["recency_days"] == 0 and b["monetary"] == pytest.approx(12.0)

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.tuples(st.integers(1, 200), st.sampled_from(["A", "B", "E", "Z"]),
                              st.floats(0.5, 500.0, allow_nan=False)), min_size=1, max_size=8))
    def test_any_later_lines_leave_the_features_alone(self, duck, df, later):
        base = _features(duck, df)
        extra = make_lines([(100 + i, f"X{i}", pd.Timestamp(CUT) + pd.Timedelta(days=d), c, "P1", "Garden", 1, v,
                             "Spain", "app") for i, (d, c, v) in enumerate(later)], columns=COLS)
        pd.testing.assert_frame_equal(_features(duck, pd.concat([df, extra], ignore_index=True)), base)

class TestChurnDataset:
    def test_active_customers_with_labels(self, lines):
        ds = churn.churn_dataset(lines, cutoff=CUT, horizon_days=30, spec=SPEC)
        assert list(ds.frame["customer_id"]) == ["A", "B", "E"]          # D last bought 450 days before: not active
        assert list(ds.y) == [0, 1, 1]
        assert ds.categorical == ["country", "main_channel"] and "recency_days" in ds.numeric
        assert "churned" not in ds.features and "p_alive" not in ds.features
        assert ds.summary()["churn rate"] == pytest.approx(2 / 3)
        assert ds.summary()["label window"] == "2023-04-01 .. 2023-04-30"

    def test_scoring_set_has_no_label(self, lines):
        ds = churn.churn_dataset(lines, cutoff=CUT, horizon_days=30, spec=SPEC, label=False)
        assert not ds.has_label
        with pytest.raises(ValueError, match="has no label"):
            ds.y

    def test_align_adds_missing_columns(self, lines):
        full = churn.churn_dataset(lines, cutoff=CUT, horizon_days=30, spec=SPEC)
        bare = churn.churn_dataset(lines, cutoff=CUT, horizon_days=30, spec=churn.FeatureSpec(p_alive=False, trend_days=30))
        aligned = churn.align(bare, full)
        assert aligned.features == full.features and aligned.frame["cat_kitchen"].isna().all()

    def test_feature_table(self, lines):
        ds = churn.churn_dataset(lines, cutoff=CUT, horizon_days=30, spec=SPEC)
        ft = churn.feature_table(ds).set_index("feature")
        assert ft.loc["recency_days", "median"] == 10                         # A 10, B 30, E 1
        assert ft.loc["ipt_mean_days", "missing"] == pytest.approx(2 / 3)     # only A has a gap
        assert i18n.say(ft.loc["cat_kitchen", "meaning"], "en") == "share of revenue in category kitchen (0..1)"
        assert i18n.say(ft.loc["recency_days", "meaning"], "en") == churn.FEATURE_DOCS["recency_days"]

    def test_every_documented_feature_has_its_label_in_english(self):
        for feature, doc in churn.FEATURE_DOCS.items():
            assert i18n.say(Phrase(f"fdoc_{feature}"), "en") == doc

@pytest.mark.slow
class TestPAliveFeature:
    """P(alive) through helpers.models.clv (BG/NBD, MAP), from lines up to the cut-off only.

    Slow: the first BG/NBD fit in a process compiles pymc's model (up to ~40 s on a busy machine).
    """

    @pytest.fixture(scope="class")
    def shop_lines(self, duck, tmp_path_factory):
        out = synth.generate(SyntheticConfig(customers=600, days=365, seed=3), tmp_path_factory.mktemp("pa") / "s",
                             progress=False)
        return pd.read_parquet(out / "lines.parquet").query("customer_id.notna() and unit_price > 0 "
                                                             "and not invoice.str.startswith('C')")

    def test_in_unit_range_for_every_customer(self, duck, shop_lines):
        cut = dt.date(2023, 9, 30)
        pa, note, source = churn.p_alive_feature(table(duck, shop_lines), cutoff=cut, time_unit="W")
        assert pa is not None, note
        assert source.step == "bgnbd_ml" and not source.attempts
        seen = shop_lines.loc[shop_lines["invoice_ts"] < pd.Timestamp("2023-10-01"), "customer_id"].unique()
        assert set(pa.index) == set(seen)
        assert ((pa >= 0) & (pa <= 1)).all() and note.key == "pa_from"
        assert i18n.say(note, "en").startswith("P(alive) from BG/NBD (maximum likelihood) (time unit W) on ")

    def test_ignores_later_lines(self, duck, shop_lines):
        cut = dt.date(2023, 9, 30)
        early = shop_lines[shop_lines["invoice_ts"] < pd.Timestamp("2023-10-01")]
        pa_all = churn.p_alive_feature(table(duck, shop_lines), cutoff=cut).values
        pa_early = churn.p_alive_feature(table(duck, early), cutoff=cut).values
        pd.testing.assert_series_equal(pa_all.sort_index(), pa_early.sort_index(), check_names=False)

    def test_value_at_stake_is_clv_if_kept(self, duck, shop_lines):
        """Predictive CLV / P(alive): never below the CLV, equal to it for one-time buyers (P(alive) = 1)."""
        from helpers.features import customers
        from helpers.models import clv

        cut = dt.date(2023, 12, 31)
        t = table(duck, shop_lines)
        v, note = churn.value_at_stake(t, analysis_date=cut, margin=0.5)
        assert i18n.say(note, "en").startswith("predictive CLV if kept = CLV / P(alive) (BG/NBD")
        summary = customers.btyd_summary(t, observation_end=cut, time_unit="W").execute()
        fits = clv.fit_models(summary, time_unit="W", standard_errors=False)
        cv = clv.customer_value(fits.purchase, fits.spend, summary, margin=0.5, time_unit="W").set_index("customer_id")
        one_timers = cv.index[cv["frequency"] == 0]
        assert np.allclose(v[one_timers], cv.loc[one_timers, "clv"])
        assert (v >= cv["clv"] - 1e-9).all() and (v > cv["clv"] * 1.5).any()

    def test_too_few_repeat_customers_is_a_note(self, lines):
        pa, note, source = churn.p_alive_feature(lines, cutoff=CUT)
        # one repeat customer: the chain ends in empirical rates, which have no P(alive): unknown, not 1
        assert pa is None and source.step == "empirical_rate" and "no dropout" in i18n.say(note, "en")
        assert source.attempts[0].why == "too_few_repeat"

@pytest.mark.spark
@pytest.mark.slow
def test_spark_gives_the_same_features_and_lifetimes(duck, spark_con, df):
    duck_f = churn.churn_features(table(duck, df), cutoff=CUT, spec=SPEC)
    spark_f = churn.churn_features(table(spark_con, df), cutoff=CUT, spec=SPEC)
    pd.testing.assert_frame_equal(duck_f, spark_f, check_dtype=False)
    args = {"analysis_date": dt.date(2023, 5, 31), "lapse_days": 30, "has": {"country": True}}
    pd.testing.assert_frame_equal(churn.active_lifetimes(table(duck, df), **args),
                                  churn.active_lifetimes(table(spark_con, df), **args), check_dtype=False)


def test_cutoff_datasets_share_one_spec(lines):
    has = {"category": True, "channel": True, "country": True, "product_id": True}
    train, test, now, dropped = churn.cutoff_datasets(lines, train_cut=CUT, test_cut=None, analysis_date=dt.date(2023, 4, 30),
                                                      horizon_days=30, has=has, p_alive=False, trend_days=30)
    assert test is None and dropped == []
    labels = train.frame.set_index("customer_id")["churned"]
    assert labels["A"] == 0 and labels["B"] == 1 and labels["E"] == 1 and "C" not in labels.index
    assert train.cutoff == CUT and now.cutoff == dt.date(2023, 4, 30)
    assert "churned" not in now.frame.columns or now.frame["churned"].isna().all()
    assert train.numeric == now.numeric                             # one spec, the same features
