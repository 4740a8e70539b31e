"""Tests of helpers.plots.segments on the RFM scores and clusters of twelve hand-made customers (notebook 03)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import i18n
from helpers.models import segments
from helpers.plots import segments as plots
from tests.unit.plots import assert_labelled

RFM = pd.DataFrame({
    "customer_id": [f"c{i}" for i in range(12)],
    "recency_days": [5, 10, 20, 40, 60, 80, 100, 200, 300, 400, 15, 250],
    "frequency": [6, 4, 3, 2, 1, 1, 1, 1, 2, 1, 5, 1],
    "monetary": [600.0, 400, 300, 250, 200, 150, 100, 80, 60, 20, 500, 30],
    "avg_order_value": [100.0, 100, 100, 125, 200, 150, 100, 80, 30, 20, 100, 30],
    "tenure_days": [400, 300, 200, 300, 60, 80, 100, 200, 500, 400, 350, 250],
})
LABELS = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 2])


@pytest.fixture(scope="module")
def scored():
    return segments.rfm_scores(RFM)


@pytest.fixture(scope="module")
def clusters():
    return segments.cluster_profiles(RFM, LABELS)


def test_cluster_label_translates_each_part():
    assert plots.cluster_label("recent · one-time · low spend (2)") == " · ".join(
        i18n.label(p, "cluster_") for p in ("recent", "one-time", "low spend")) + " (2)"


def test_score_spread_counts_per_score(scored):
    spread = segments.score_spread(scored)
    fig = plots.score_spread(spread)
    assert [list(tr.y) for tr in fig.data] == [list(spread[c]) for c in spread.columns]
    assert sum(fig.data[0].y) == len(RFM)
    assert_labelled(fig, y="(count)")


def test_rf_grid_counts_and_segments(scored):
    grid = segments.rf_grid(scored)
    fig = plots.rf_grid(grid)
    assert np.array(fig.data[0].z).sum() == len(RFM)
    assert list(fig.data[0].y) == [f"R{i}" for i in range(5, 0, -1)]
    assert plots.segment_label("Champions") in fig.data[0].text[0][4]        # R5 F5
    assert_labelled(fig)


def test_treemap_sizes_by_customers(scored):
    profile = segments.segment_profile(scored)
    fig = plots.treemap(profile, "GBP")
    shown = profile[profile["customers"] > 0]
    assert list(fig.data[0].values) == list(shown["customers"])
    assert "GBP" in fig.layout.title.text


def test_revenue_vs_customers_in_percent(scored):
    profile = segments.segment_profile(scored)
    fig = plots.revenue_vs_customers(profile)
    assert list(fig.data[0].x) == pytest.approx(list(100 * profile["share"]))
    assert sum(fig.data[1].x) == pytest.approx(100.0)
    assert_labelled(fig, x="%")


def test_transitions_counts_and_row_shares(scored):
    later = segments.rfm_scores(RFM.assign(recency_days=RFM["recency_days"] + 90))
    moves = segments.segment_transitions(scored, later)
    shares = segments.segment_transitions(scored, later, normalize=True)
    fig = plots.transitions(moves, title="Moves", shares=shares.fillna(0))
    assert np.array(fig.data[0].z) == pytest.approx(100 * shares.fillna(0).to_numpy())
    assert sum(int(s.replace(",", "")) for row in fig.data[0].text for s in row if s) == len(RFM)
    assert_labelled(fig)
    counts_only = plots.transitions(moves, title="Moves")
    assert np.array(counts_only.data[0].z).sum() == len(RFM)


def test_silhouette_marks_the_chosen_k():
    curve = pd.DataFrame({"k": [3, 4, 5], "silhouette": [0.3, 0.45, 0.4]})
    fig = plots.silhouette(curve, 4)
    assert list(fig.data[1].x) == [4] and list(fig.data[1].y) == [0.45]
    assert_labelled(fig)


def test_projection_one_trace_per_cluster_and_sampling(clusters):
    coords = pd.DataFrame({"pc1": np.arange(12.0), "pc2": np.arange(12.0)[::-1], "cluster": LABELS,
                           "name": pd.Series(LABELS).map(dict(zip(clusters["cluster"], clusters["name"])))})
    coords.attrs["explained"] = [0.6, 0.25]
    fig = plots.projection(coords, title="PCA")
    assert len(fig.data) == 3 and sum(len(tr.x) for tr in fig.data) == 12
    assert "60" in fig.layout.xaxis.title.text
    assert_labelled(fig)
    sampled = plots.projection(coords, title="PCA", max_points=6)
    assert sum(len(tr.x) for tr in sampled.data) == 6 and sampled.layout.title.text != "PCA"


def test_profile_heatmap_medians_and_z_scores(clusters):
    fig = plots.profile_heatmap(clusters, "GBP")
    z = np.array(fig.data[0].z, dtype=float)
    assert z.mean(axis=0) == pytest.approx(np.zeros(z.shape[1]))
    assert len(fig.data[0].y) == len(clusters) and any("GBP" in x for x in fig.data[0].x)
    assert_labelled(fig)


def test_crosstab_row_shares(scored, clusters):
    names = pd.Series(LABELS).map(dict(zip(clusters["cluster"], clusters["name"])))
    ct = segments.crosstab_segments(names, scored["segment"])
    fig = plots.crosstab(ct, title="Clusters x segments")
    assert np.array(fig.data[0].z).sum(axis=1) == pytest.approx(np.full(len(ct), 100.0))
    assert_labelled(fig)


def test_stylers(scored, clusters):
    profile = segments.segment_profile(scored)
    assert "GBP" in plots.profile_styler(profile, "GBP").to_html()
    assert plots.segment_action("Champions") in plots.actions_styler(segments.SEGMENTS).to_html()
    html = plots.cluster_styler(clusters, "GBP", "k-means").to_html()
    assert "k-means" in html and plots.cluster_label(clusters["name"].iloc[0]) in html


def test_demographic_table_one_line_per_segment_or_a_note(scored):
    assert plots.demographic_table(scored, None) == i18n._("This data has no customer attribute table: no demographic profile per segment (see tables.attributes in the config).")
    attributes = pd.DataFrame({"customer_id": RFM["customer_id"], "region": ["North"] * 6 + ["South"] * 6})
    html = plots.demographic_table(scored, attributes).to_html()
    assert i18n._("Demographic profile of each RFM segment (significant differences from the whole customer base)") in html
    for segment in scored["segment"].astype(str).unique():
        assert i18n.label(segment, "seg_") in html


def test_planted_mix_shares_per_cluster_or_a_note():
    ids = pd.Series(["a", "b", "c", "d"])
    truth = {"customers": pd.DataFrame({"customer_id": ["d", "c", "b", "a"], "type": ["loyal", "loyal", "bargain", "bargain"]})}
    assert plots.planted_mix(None, ids, ([0, 0, 1, 1], {0: "x", 1: "y"})) == [i18n._("Real data (or no clusters): there is no planted truth to compare with.")]
    assert plots.planted_mix(truth, ids, None) == [i18n._("Real data (or no clusters): there is no planted truth to compare with.")]
    note, table = plots.planted_mix(truth, ids, (np.array([0, 0, 1, 1]), {0: "recent", 1: "lapsed"}))
    assert i18n.fmt_number(1.0, 3) in note                       # clusters match the planted types exactly
    shares = table.data.to_numpy()
    assert shares.tolist() == [[0.0, 1.0], [1.0, 0.0]] or shares.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert i18n.pgettext("nb03", "Share of each cluster by planted customer type") in table.to_html()


@pytest.mark.parametrize("language", ["en", "tr"])
def test_audience_table_is_every_customer_by_segment_then_spend_with_the_action(scored, language):
    i18n.set_language(language)                  # the plots' conftest sets English back after each test
    t = plots.audience_table(scored)
    order = {s: i for i, s in enumerate(segments.SEGMENT_ORDER)}
    expected = scored.assign(o=scored["segment"].astype(str).map(order)).sort_values(["o", "monetary"],
                                                                                      ascending=[True, False])
    shown = t.data
    assert shown.iloc[:, 0].tolist() == expected["customer_id"].tolist()
    assert shown[i18n.column("segment")].tolist() == [plots.segment_label(s) for s in expected["segment"]]
    assert shown[i18n.column("action")].tolist() == [plots.segment_action(s) for s in expected["segment"]]
    capped = plots.audience_table(scored, most=3)
    assert len(capped.data) == 3 and i18n.fmt_number(len(scored)) in capped.caption
