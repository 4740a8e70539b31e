"""Customer segmentation: RFM scores and named segments, audiences, and k-means / mixture clustering.

RFM scores
----------
Each of recency, frequency and monetary value gets a score from 1 to 5 from its quantiles,
computed so that **equal values always get equal scores** (most customers of a shop buy
once, so frequency has a huge tie at 1, and plain quintile binning either fails on duplicate
edges or splits identical customers at random):

    score = 1 + floor(5 x (customers with a strictly worse value) / customers)

"Worse" is a lower frequency or monetary value, or a *longer* recency. Without ties this is
exactly the quintile (20 % of customers per score). With ties, the tied customers share the
score of the first of them, and the scores above keep their meaning: a frequency score of 4
says "more orders than at least 60 % of customers". With 70 % one-time buyers every one-time
buyer gets F = 1, the customers with two orders (the next 70 % .. 85 %) get
1 + floor(5 x 0.70) = 4, and F = 2 and F = 3 stay empty: this is correct, not a bug, and the
segment map below still works (F = 1 buyers fall in new customers, promising, about to sleep
or hibernating).

Segment map
-----------
The standard ten named segments on the recency x frequency grid (the monetary score is kept
for profiles and audiences), with a recommended action each (:data:`SEGMENTS`):

         F = 1           F = 2           F = 3           F = 4           F = 5
R = 5    New customers   Pot. loyalists  Pot. loyalists  Champions       Champions
R = 4    Promising       Pot. loyalists  Pot. loyalists  Loyal           Loyal
R = 3    About to sleep  About to sleep  Need attention  Loyal           Loyal
R = 2    Hibernating     Hibernating     At risk         At risk         Can't lose them
R = 1    Hibernating     Hibernating     At risk         At risk         Can't lose them

Clustering
----------
k-means on log-transformed, standardised features (the RFM values plus optional ones), k
chosen by the silhouette, a Gaussian mixture as alternative, readable cluster names from the
cluster medians, stability across seeds and subsamples measured by the adjusted Rand index.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.features import customers as _customers
from helpers.io.privacy import maybe_mask

# --------------------------------------------------------------------------------------
# RFM scores and the segment map
# --------------------------------------------------------------------------------------
RFM_COLUMNS = ("recency_days", "frequency", "monetary")


def quantile_score(values, *, higher_is_better: bool = True, n: int = 5) -> pd.Series:
    """Tie-safe quantile score 1..n: ``1 + floor(n x share of values strictly worse)``.

    Parameters
    ----------
    values : array-like of numbers, no missing values
    higher_is_better : bool
        True for frequency and monetary value; False for recency (fewer days is better).
    n : int
        Number of scores (5 for the usual quintiles).

    Returns
    -------
    pandas.Series of int
        Same index as ``values`` (when a Series). Equal values get equal scores; the worst
        value always gets 1; without ties each score holds n-tiles of equal size.
    """
    v = pd.Series(values, dtype="float64")
    if v.isna().any():
        raise ValueError(f"quantile_score: {int(v.isna().sum())} missing values; scores need a number for every customer")
    if n < 2:
        raise ValueError(f"quantile_score: n must be >= 2, got {n}")
    if v.empty:
        return pd.Series(dtype="int64", index=v.index)
    x = v.to_numpy() if higher_is_better else -v.to_numpy()
    worse = np.searchsorted(np.sort(x), x, side="left")  # number of values strictly below
    score = 1 + np.floor(n * worse / len(x)).astype("int64")
    return pd.Series(np.clip(score, 1, n), index=v.index, dtype="int64")


#: name, Turkish name, R scores, F scores, what they are, what to do (in the display order)
SEGMENTS = pd.DataFrame([
    ("Champions", "Şampiyonlar", "5", "45",
     "bought recently, buy often, spend the most",
     "Reward them: early access to new products, loyalty perks, ask for reviews and referrals. No discount needed."),
    ("Loyal customers", "Sadık müşteriler", "34", "45",
     "buy often; responsive to promotions",
     "Up-sell higher tiers, invite to the loyalty programme, ask for feedback."),
    ("Potential loyalists", "Potansiyel sadıklar", "45", "23",
     "recent customers with a few orders",
     "Offer membership or a loyalty programme and recommend related products (cross-sell) to build the habit."),
    ("New customers", "Yeni müşteriler", "5", "1",
     "bought for the first time very recently",
     "Onboarding: welcome series, help with the first use, a reason for a second purchase soon."),
    ("Promising", "Umut vadedenler", "4", "1",
     "recent one-time buyers",
     "Build awareness: brand content and a small time-limited offer for the second purchase."),
    ("Need attention", "İlgi bekleyenler", "3", "3",
     "average recency and frequency",
     "Limited-time offers based on their past purchases; reactivate them before they slip."),
    ("About to sleep", "Uykuya dalmak üzere", "3", "12",
     "below-average recency and frequency",
     "Share popular products and a modest discount; reconnect before they are lost."),
    ("At risk", "Risk altında", "12", "34",
     "bought often, but long ago",
     "Personal win-back: emails with personalised offers, ask what went wrong."),
    ("Can't lose them", "Kaybedilmemesi gerekenler", "12", "5",
     "used to buy the most often, have not come back for long",
     "Win them back first: personal contact, the best offers, a survey on why they stopped."),
    ("Hibernating", "Uykuda", "12", "12",
     "last purchase long ago, few orders",
     "Low-cost reactivation only (one campaign); otherwise leave them out: the contact does not repay."),
], columns=["segment", "turkish", "r_scores", "f_scores", "description", "action"])
SEGMENT_ORDER = list(SEGMENTS["segment"])
#: Glossary key of each segment's display name; ``<key>_action`` holds its recommended action. The
#: segment names above stay the internal keys (files, audiences, published tables); translate at display.
SEGMENT_KEYS = {
    "Champions": "seg_champions", "Loyal customers": "seg_loyal_customers",
    "Potential loyalists": "seg_potential_loyalists", "New customers": "seg_new_customers",
    "Promising": "seg_promising", "Need attention": "seg_need_attention", "About to sleep": "seg_about_to_sleep",
    "At risk": "seg_at_risk", "Can't lose them": "seg_cant_lose_them", "Hibernating": "seg_hibernating",
}


#: Segments of customers who bought long ago (R 1-2): the ones a lapsed customer should land in.
LAPSED_SEGMENTS = ("At risk", "Can't lose them", "Hibernating")


def segment_of(r_score, f_score) -> pd.Series:
    """Named segment for aligned R and F scores (1..5), by :data:`SEGMENTS`."""
    r = pd.Series(r_score).astype("int64")
    f = pd.Series(f_score).astype("int64").to_numpy()
    out = np.full(len(r), None, dtype=object)
    for row in SEGMENTS.itertuples():
        hit = np.isin(r.to_numpy(), [int(c) for c in row.r_scores]) & np.isin(f, [int(c) for c in row.f_scores])
        out[hit & (out == None)] = row.segment  # noqa: E711 (elementwise)
    if (out == None).any():  # noqa: E711
        bad = sorted({(int(a), int(b)) for a, b, o in zip(r, f, out) if o is None})
        raise ValueError(f"segment_of: scores outside 1..5 have no segment: (R, F) = {bad[:5]}")
    return pd.Series(pd.Categorical(out, categories=SEGMENT_ORDER, ordered=True), index=r.index)


def rfm_scores(rfm: pd.DataFrame) -> pd.DataFrame:
    """R, F, M scores and the named segment for each customer.

    Parameters
    ----------
    rfm : pandas.DataFrame
        :func:`helpers.features.customers.rfm_table`: customer_id, recency_days (days), frequency
        (orders), monetary (total revenue, currency), and any other columns (kept).

    Returns
    -------
    pandas.DataFrame
        ``rfm`` plus ``r_score``, ``f_score``, ``m_score`` (1..5, :func:`quantile_score`),
        ``rfm_cell`` (e.g. "545") and ``segment`` (ordered categorical, :data:`SEGMENT_ORDER`).
    """
    missing = [c for c in ("customer_id", *RFM_COLUMNS) if c not in rfm.columns]
    if missing:
        raise ValueError(f"rfm_scores: the RFM table lacks column(s) {missing}; build it with customers.rfm_table")
    out = rfm.copy().reset_index(drop=True)
    out["r_score"] = quantile_score(out["recency_days"], higher_is_better=False)
    out["f_score"] = quantile_score(out["frequency"])
    out["m_score"] = quantile_score(out["monetary"])
    out["rfm_cell"] = out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    out["segment"] = segment_of(out["r_score"], out["f_score"]).to_numpy()
    out["segment"] = pd.Categorical(out["segment"], categories=SEGMENT_ORDER, ordered=True)
    return out


def scores_at(lines, analysis_date: dt.date) -> pd.DataFrame:
    """:func:`rfm_scores` of :func:`helpers.features.customers.rfm_table` at ``analysis_date`` (lines: Ibis table)."""
    rfm = _customers.rfm_table(lines, analysis_date=analysis_date).execute()
    rfm["customer_id"] = rfm["customer_id"].astype("string")
    return rfm_scores(rfm)


def score_spread(scored: pd.DataFrame) -> pd.DataFrame:
    """Customers per score (rows 1..5) for R, F and M (columns): shows how ties fill the scores."""
    out = pd.DataFrame({c[0].upper(): scored[f"{c[0]}_score"].value_counts().reindex(range(1, 6), fill_value=0)
                        for c in ("recency", "frequency", "monetary")})
    out.index.name = "score"
    return out


def rf_grid(scored: pd.DataFrame) -> pd.DataFrame:
    """Customers per (R, F) cell: rows R 5..1, columns F 1..5 (zeros kept)."""
    g = pd.crosstab(scored["r_score"], scored["f_score"]).reindex(index=range(5, 0, -1), columns=range(1, 6),
                                                                  fill_value=0)
    g.index.name, g.columns.name = "R score", "F score"
    return g


def segment_profile(scored: pd.DataFrame) -> pd.DataFrame:
    """One row per segment (all ten, in :data:`SEGMENT_ORDER`, empty ones with 0 customers).

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``turkish``, ``customers``, ``share`` (of customers), ``recency_days``,
        ``frequency``, ``monetary`` (means: days, orders, currency), ``r_score``,
        ``f_score``, ``m_score`` (means), ``revenue`` (sum of monetary, currency),
        ``revenue_share`` and ``action``.
    """
    g = scored.groupby("segment", observed=False)
    out = pd.DataFrame({
        "customers": g.size(),
        "recency_days": g["recency_days"].mean(), "frequency": g["frequency"].mean(),
        "monetary": g["monetary"].mean(), "r_score": g["r_score"].mean(), "f_score": g["f_score"].mean(),
        "m_score": g["m_score"].mean(), "revenue": g["monetary"].sum(),
    }).reindex(SEGMENT_ORDER)
    out["customers"] = out["customers"].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0)
    n, rev = out["customers"].sum(), out["revenue"].sum()
    out["share"] = out["customers"] / n if n else np.nan
    out["revenue_share"] = out["revenue"] / rev if rev else np.nan
    meta = SEGMENTS.set_index("segment")
    out["turkish"] = meta["turkish"]
    out["action"] = meta["action"]
    out.index.name = "segment"
    return out.reset_index()[["segment", "turkish", "customers", "share", "recency_days", "frequency", "monetary",
                              "r_score", "f_score", "m_score", "revenue", "revenue_share", "action"]]


NEW_CUSTOMER = "(not yet a customer)"


def segment_transitions(before: pd.DataFrame, after: pd.DataFrame, *, normalize: bool = False) -> pd.DataFrame:
    """Where the customers of each segment at an earlier date are at a later one.

    Parameters
    ----------
    before, after : pandas.DataFrame
        :func:`rfm_scores` at the earlier and at the later analysis date (customer_id, segment).
    normalize : bool
        False: customer counts. True: shares of each row (each earlier segment sums to 1).

    Returns
    -------
    pandas.DataFrame
        Rows: segment at the earlier date, plus ":data:`NEW_CUSTOMER`" for customers whose
        first order came after it; columns: segment at the later date. All ten segments on
        both axes.
    """
    m = after[["customer_id", "segment"]].merge(before[["customer_id", "segment"]], on="customer_id", how="left",
                                                suffixes=("_after", "_before"))
    lost = set(before["customer_id"]) - set(after["customer_id"])
    if lost:
        raise ValueError(f"segment_transitions: {len(lost)} customers of the earlier table are missing from the later "
                         "one; is the later date really later (and the same data)?")
    rows = m["segment_before"].astype("object").fillna(NEW_CUSTOMER)
    cols = m["segment_after"].astype("object")
    ct = pd.crosstab(rows, cols).reindex(index=[*SEGMENT_ORDER, NEW_CUSTOMER], columns=SEGMENT_ORDER, fill_value=0)
    ct.index.name, ct.columns.name = "segment before", "segment after"
    if normalize:
        ct = ct.div(ct.sum(axis=1).where(lambda s: s > 0), axis=0)
    return ct


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower().replace("'", "")).strip("_")


AUDIENCE_COLUMNS = ["customer_id", "segment", "r_score", "f_score", "m_score", "rfm_cell", "recency_days",
                    "frequency", "monetary", "action"]


def export_audiences(scored: pd.DataFrame, folder: str | Path, *, mask_ids: bool) -> pd.DataFrame:
    """Write one csv per segment (``audience_<segment>.csv``) and one with everyone (``audiences_all.csv``).

    Every segment gets a file, an empty segment a header-only one, so a folder never holds a
    stale audience of an earlier run. Customer ids are masked (:func:`helpers.io.privacy.maybe_mask`)
    when ``mask_ids``.

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``customers``, ``file`` (name inside ``folder``), the combined file last.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    actions = SEGMENTS.set_index("segment")["action"]
    t = scored.assign(action=scored["segment"].astype("object").map(actions))
    t = maybe_mask(t[AUDIENCE_COLUMNS], mask_ids)
    t = t.sort_values(["segment", "monetary"], ascending=[True, False])
    rows = []
    for seg in SEGMENT_ORDER:
        part = t[t["segment"] == seg]
        name = f"audience_{_slug(seg)}.csv"
        part.to_csv(folder / name, index=False)
        rows.append((seg, len(part), name))
    t.to_csv(folder / "audiences_all.csv", index=False)
    rows.append(("all segments", len(t), "audiences_all.csv"))
    return pd.DataFrame(rows, columns=["segment", "customers", "file"])


# --------------------------------------------------------------------------------------
# clustering
# --------------------------------------------------------------------------------------
def _one_thread():
    """Run scikit-learn single-threaded: on customer tables of this size threads gain little, and on a
    busy shared machine OpenMP's waiting threads made k-means 30x slower (6 s instead of 0.2 s)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


#: Features that are counts, days or money: log(1 + x) before scaling (their distributions are skewed).
LOG_FEATURES = ("recency_days", "frequency", "monetary", "tenure_days", "avg_order_value", "avg_unit_price",
                "items_per_order", "categories")


def customer_features(lines, *, analysis_date: dt.date, category_mix: bool = False,
                      top_categories: int = 6) -> pd.DataFrame:
    """Optional per-customer features from the lines (Ibis), beyond the RFM table.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``; ``avg_unit_price`` = revenue / units (currency per unit; a proxy for
        the price tier bought); ``items_per_order`` = units / orders; ``categories`` =
        distinct categories bought (0 when the data has none); with ``category_mix``, one
        column ``share_<category>`` per top category by revenue (share of the customer's
        revenue, 0..1) and ``share_other``.
    """
    import ibis

    t = lines.filter((lines.customer_id.notnull()) & (lines.invoice_ts.date() <= ibis.date(analysis_date)))
    base = t.group_by("customer_id").aggregate(
        revenue=t.amount.sum(), units=t.quantity.sum(), orders=t.invoice.nunique(),
        categories=t.category.nunique()).execute()
    base["customer_id"] = base["customer_id"].astype("string")
    out = pd.DataFrame({
        "customer_id": base["customer_id"],
        "avg_unit_price": base["revenue"] / base["units"].where(base["units"] > 0),
        "items_per_order": base["units"] / base["orders"],
        "categories": base["categories"].fillna(0).astype("int64"),
    })
    if category_mix:
        cv = t.filter(t.category.notnull()).group_by(["customer_id", "category"]).aggregate(
            revenue=t.amount.sum()).execute()
        if not cv.empty:
            cv["customer_id"] = cv["customer_id"].astype("string")
            top = cv.groupby("category")["revenue"].sum().nlargest(top_categories).index
            cv["category"] = cv["category"].where(cv["category"].isin(top), "other")
            mix = cv.pivot_table(index="customer_id", columns="category", values="revenue", aggfunc="sum",
                                 fill_value=0.0)
            mix = mix.div(mix.sum(axis=1).where(lambda s: s != 0), axis=0).fillna(0.0)
            mix.columns = [f"share_{_slug(str(c))}" for c in mix.columns]
            out = out.merge(mix.reset_index(), on="customer_id", how="left")
            share_cols = [c for c in out.columns if c.startswith("share_")]
            out[share_cols] = out[share_cols].fillna(0.0)
    return out


def feature_matrix(table: pd.DataFrame, features: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Transform and standardise features for clustering.

    Columns in :data:`LOG_FEATURES` become log(1 + x) (negative values are clipped to 0
    first); shares (``share_*``) stay as they are. Each column is then scaled to mean 0 and
    standard deviation 1 (a constant column becomes 0).

    Returns
    -------
    (numpy.ndarray, pandas.DataFrame)
        The scaled matrix (customers x features) and the transformed, unscaled values.
    """
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise ValueError(f"feature_matrix: unknown feature(s) {missing}; the table has {list(table.columns)}")
    if not features:
        raise ValueError("feature_matrix: no features given")
    x = table[features].astype("float64").copy()
    if x.isna().any().any():
        bad = x.columns[x.isna().any()].tolist()
        raise ValueError(f"feature_matrix: missing values in {bad}; fill or drop them before clustering")
    for c in features:
        if c in LOG_FEATURES:
            x[c] = np.log1p(x[c].clip(lower=0))
    sd = x.std(ddof=0).replace(0, 1.0)
    z = (x - x.mean()) / sd
    return z.to_numpy(), x


def silhouette_curve(X: np.ndarray, ks=range(3, 9), *, seed: int = 0, sample_size: int = 3000) -> pd.DataFrame:
    """k-means for each k with its silhouette (on a sample of up to ``sample_size`` customers) and inertia.

    The silhouette of a customer is (b - a) / max(a, b), with a the mean distance to its own
    cluster and b to the nearest other cluster; its mean over customers is between -1 and 1,
    higher = better separated. ks that are not below the number of customers are left out.

    Returns
    -------
    pandas.DataFrame
        ``k``, ``silhouette``, ``inertia`` (within-cluster sum of squares).
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rows = []
    n = len(X)
    with _one_thread():
        for k in ks:
            if k < 2 or k >= n:
                continue
            km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(X)
            if len(set(km.labels_)) < 2:
                continue
            s = silhouette_score(X, km.labels_, sample_size=min(sample_size, n), random_state=seed)
            rows.append((k, float(s), float(km.inertia_)))
    return pd.DataFrame(rows, columns=["k", "silhouette", "inertia"])


def choose_k(curve: pd.DataFrame) -> int:
    """The k with the highest silhouette (the smallest such k on a tie)."""
    if curve.empty:
        raise ValueError("choose_k: the silhouette curve is empty (too few customers for the ks asked)")
    best = curve["silhouette"].max()
    return int(curve.loc[curve["silhouette"] >= best - 1e-12, "k"].min())


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0, 1, ... from the largest to the smallest (ties by old label)."""
    labels = np.asarray(labels)
    uniq, counts = np.unique(labels, return_counts=True)
    order = uniq[np.lexsort((uniq, -counts))]
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping[v] for v in labels], dtype="int64")


def kmeans_labels(X: np.ndarray, k: int, *, seed: int = 0, n_init: int = 10) -> np.ndarray:
    """k-means cluster of each row, numbered from the largest cluster (0) to the smallest."""
    from sklearn.cluster import KMeans

    with _one_thread():
        return _by_size(KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(X))


def gmm_labels(X: np.ndarray, k: int, *, seed: int = 0) -> np.ndarray:
    """Gaussian-mixture (full covariances) cluster of each row: the component with the highest
    posterior probability, numbered from the largest to the smallest."""
    from sklearn.mixture import GaussianMixture

    gm = GaussianMixture(n_components=k, covariance_type="full", n_init=3, random_state=seed, reg_covar=1e-4)
    with _one_thread():
        return _by_size(gm.fit(X).predict(X))


def gmm_bic_curve(X: np.ndarray, ks=range(2, 9), *, seed: int = 0) -> pd.DataFrame:
    """BIC of Gaussian mixtures with k components (lower = better trade-off of fit and size)."""
    from sklearn.mixture import GaussianMixture

    rows = []
    with _one_thread():
        for k in ks:
            if k >= len(X):
                continue
            gm = GaussianMixture(n_components=k, covariance_type="full", n_init=2, random_state=seed,
                                 reg_covar=1e-4).fit(X)
            rows.append((k, float(gm.bic(X))))
    return pd.DataFrame(rows, columns=["k", "bic"])


def agreement(a, b) -> float:
    """Adjusted Rand index between two labelings: 1 = the same partition, about 0 = chance."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(np.asarray(a), np.asarray(b)))


def stability(X: np.ndarray, k: int, *, seeds=range(1, 11), subsample: float = 0.8, reference=None) -> pd.DataFrame:
    """How much the k-means partition depends on the random start and on the sample.

    For each seed: fit k-means (one random start) on a random ``subsample`` share of the
    customers, assign every customer to the nearest of its centres, and compare with the
    reference partition (default :func:`kmeans_labels` with seed 0) by the adjusted Rand index.

    Returns
    -------
    pandas.DataFrame
        ``seed``, ``ari``. Mean ARI above ~0.8 is usually read as stable, below ~0.6 as not.
    """
    from sklearn.cluster import KMeans

    ref = kmeans_labels(X, k) if reference is None else np.asarray(reference)
    rows = []
    n = len(X)
    with _one_thread():
        for s in seeds:
            rng = np.random.default_rng(s)
            idx = rng.choice(n, size=max(k + 1, int(round(subsample * n))), replace=False)
            km = KMeans(n_clusters=k, n_init=1, random_state=s).fit(X[idx])
            rows.append((s, agreement(ref, km.predict(X))))
    return pd.DataFrame(rows, columns=["seed", "ari"])


PROFILE_COLUMNS = ("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days")


def cluster_profiles(table: pd.DataFrame, labels, *, columns=PROFILE_COLUMNS) -> pd.DataFrame:
    """Size, revenue share and medians of the profile columns per cluster, with a readable name.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per customer (aligned with ``labels``): the RFM table (recency_days,
        frequency, monetary, avg_order_value, tenure_days) and any other numeric features.
    labels : array-like of int

    Returns
    -------
    pandas.DataFrame
        ``cluster``, ``name`` (:func:`name_clusters`), ``customers``, ``share``,
        ``revenue_share`` and the median of each column in ``columns`` present in ``table``.
    """
    cols = [c for c in columns if c in table.columns]
    t = table.assign(cluster=np.asarray(labels))
    g = t.groupby("cluster")
    out = g[cols].median()
    out.insert(0, "customers", g.size())
    out.insert(1, "share", out["customers"] / len(t))
    out.insert(2, "revenue_share", g["monetary"].sum() / t["monetary"].sum() if "monetary" in t else np.nan)
    out.insert(0, "name", name_clusters(out, table))
    return out.reset_index()


def name_clusters(medians: pd.DataFrame, population: pd.DataFrame) -> pd.Series:
    """Readable cluster names from the cluster medians, relative to all customers.

    recency: "recent" (median recency in the most recent third of customers), "lapsing"
    (middle third), "lapsed" (last third); frequency: "one-time" (median 1 order),
    "frequent" (median at or above the 80th percentile of all customers), else "repeat";
    spend: "low", "mid" or "high spend" by the thirds of the average order value (or of
    monetary value when there is no average order value). A part that is the same for every
    cluster (e.g. all "lapsing") tells them apart by nothing and is left out. Duplicates get
    " (2)", " (3)".
    """
    def third(v, col, labels):
        lo, hi = population[col].quantile([1 / 3, 2 / 3])
        return labels[0] if v <= lo else (labels[2] if v > hi else labels[1])

    spend_col = "avg_order_value" if "avg_order_value" in medians and "avg_order_value" in population else "monetary"
    f80 = population["frequency"].quantile(0.8)
    parts = []
    for _, row in medians.iterrows():
        rec = third(row["recency_days"], "recency_days", ("recent", "lapsing", "lapsed"))
        freq = "one-time" if row["frequency"] <= 1 else ("frequent" if row["frequency"] >= max(f80, 2) else "repeat")
        spend = third(row[spend_col], spend_col, ("low spend", "mid spend", "high spend"))
        parts.append((rec, freq, spend))
    varying = [j for j in range(3) if len(medians) < 2 or len({p[j] for p in parts}) > 1] or [0, 1, 2]
    names = [" · ".join(p[j] for j in varying) for p in parts]
    seen: dict[str, int] = {}
    out = []
    for nm in names:
        seen[nm] = seen.get(nm, 0) + 1
        out.append(nm if seen[nm] == 1 else f"{nm} ({seen[nm]})")
    return pd.Series(out, index=medians.index, dtype="object")


def projection_2d(X: np.ndarray, labels=None, *, names=None) -> pd.DataFrame:
    """First two principal components of the scaled features, for a scatter plot.

    Returns
    -------
    pandas.DataFrame
        ``pc1``, ``pc2`` and, when given, ``cluster`` (label) and ``name``; ``attrs
        ["explained"]`` holds the two shares of variance explained.
    """
    from sklearn.decomposition import PCA

    k = min(2, X.shape[1])
    with _one_thread():
        pca = PCA(n_components=k, random_state=0).fit(X)
        pcs = pca.transform(X)
    out = pd.DataFrame({"pc1": pcs[:, 0], "pc2": pcs[:, 1] if k > 1 else 0.0})
    if labels is not None:
        out["cluster"] = np.asarray(labels)
        if names is not None:
            out["name"] = out["cluster"].map(dict(names))
    out.attrs["explained"] = [float(v) for v in pca.explained_variance_ratio_] + [0.0] * (2 - k)
    return out


def crosstab_segments(cluster_names, segments) -> pd.DataFrame:
    """Customers by cluster (rows) and RFM segment (columns, the ten in order; empty ones dropped)."""
    ct = pd.crosstab(pd.Series(np.asarray(cluster_names), name="cluster"),
                     pd.Series(pd.Categorical(np.asarray(segments, dtype=object), categories=SEGMENT_ORDER),
                               name="RFM segment"), dropna=False)
    return ct.loc[:, ct.sum(axis=0) > 0]
