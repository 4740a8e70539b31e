"""Figures and tables of the campaigns notebook (08): reach, response, funnel, targeted vs not, profiles.

Each recipe takes a small table from :mod:`helpers.models.campaigns` and returns a plotly figure
with a title and labelled axes (units in the labels), or a pandas Styler with the column names
in the report language. Every word shown comes from the glossary (``glossary/glossary.yaml``)
through :mod:`helpers.i18n`; :func:`inputs_note` says which campaign tables a run has, :func:`translated_groups` names the
profile groupings.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from helpers import i18n
from helpers.i18n import _, lookup, pgettext
from helpers.plots.base import TEMPLATE, plain
from helpers.plots.clv import tier_name

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
_LEGEND = {"orientation": "h", "y": -0.2, "x": 0}

#: formats of the table columns: share (0..1 shown as %), money, count, days, p-value, date
_SHARES = {"response_rate", "rate_low", "rate_high", "repeat_rate", "non_responder_repeat_rate", "share_targeted",
           "share_not_targeted", "difference", "diff_low", "diff_high", "se", "share_of_reached", "share_of_previous",
           "share_of_responders", "share_of_non_responders", "true_uplift", "estimated_uplift", "tolerance",
           "uplift_error", "true_response_rate", "estimated_response_rate", "rate_tolerance"}
_MONEY = {"responder_revenue", "responder_revenue_per_responder", "revenue_targeted", "revenue_not_targeted",
          "revenue_difference", "revenue_low", "revenue_high"}
_DAYS = {"median_days_to_respond"}
_P = {"p_value", "min_expected"}
_DATES = {"window_start", "window_end"}


def inputs_note(data) -> str:
    """What a run's campaign tables hold (:func:`helpers.models.campaigns.load_inputs`), or which is missing,
    in one sentence of the report language."""
    ex, rs, at = data.exposures, data.responses, data.attributes
    if ex is None:
        return _("The data has no campaign exposures (table 'exposures'): who was sent which campaign is unknown, so reach, response and the targeted vs not targeted comparison cannot be measured.")
    if len(ex) == 0:
        return _("The exposures table is empty: no campaign to analyse.")
    if rs is None:
        return _("The data has exposures but no responses: reach and the targeted vs not targeted comparison are shown; response rates, the funnel and the responder profile need a 'responses' table.")
    n = i18n.fmt_number
    return _("{campaigns} campaigns, {exposures} customer-campaign exposures, {responses} responses, attributes of {attributes} customers.", campaigns=n(ex["campaign_id"].nunique()), exposures=n(len(ex)), responses=n(len(rs)),
             attributes=n(0 if at is None else len(at)))



def translated_groups(groups: pd.DataFrame, language: str | None = None) -> pd.DataFrame:
    """:func:`helpers.models.campaigns.profile_groups` with its names in ``language`` (default: the report's):
    in Turkish the RFM segments of :data:`helpers.models.segments.SEGMENTS`, in any language but English the
    CLV tiers (:func:`helpers.plots.clv.tier_name`, as notebook 04 shows them); orders kept."""
    from helpers.models import segments

    language = language or i18n.language()
    out = groups.copy()
    if language == "tr" and "rfm_segment" in out.columns:
        names = dict(zip(segments.SEGMENTS["segment"], segments.SEGMENTS["turkish"]))
        out["rfm_segment"] = pd.Categorical(out["rfm_segment"].map(names),
                                            categories=[names[s] for s in segments.SEGMENT_ORDER], ordered=True)
    if language != "en" and "clv_tier" in out.columns:
        tiers = out["clv_tier"]
        names = {c: tier_name(c, language) for c in tiers.cat.categories}
        values = tiers.astype("object").map(lambda v: names.get(v, v) if isinstance(v, str) else None)
        out["clv_tier"] = pd.Categorical(values, categories=[names[c] for c in tiers.cat.categories], ordered=True)
    return out


def pct(share: float, decimals: int = 1) -> str:
    """A share 0..1 as a percentage in the report language's style (``12.5 %``, ``%12,5``)."""
    if pd.isna(share):
        return "–"
    if hasattr(i18n, "fmt_percent"):
        return i18n.fmt_percent(share, decimals)
    return f"{100 * float(share):.{decimals}f} %"


def points(diff: float, decimals: int = 1) -> str:
    """A difference of two shares in signed percentage points: ``+7.3``, ``-0.4`` (``+7,3`` in Turkish)."""
    if pd.isna(diff):
        return "–"
    v = 100 * float(diff)
    return ("+" if v > 0 else "") + i18n.fmt_number(v, decimals)


def _capital(text: str) -> str:
    """First letter upper case, the Turkish way in Turkish (i -> İ)."""
    if not text:
        return text
    first = "İ" if text[0] == "i" and i18n.language() == "tr" else text[0].upper()
    return first + text[1:]


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 420) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, template=TEMPLATE, height=height,
                      legend=_LEGEND, separators=",." if i18n.language() == "tr" else ".,")
    return fig


def _type_colours(types) -> dict:
    return {k: COLOURS[i % len(COLOURS)] for i, k in enumerate(sorted(pd.unique(pd.Series(types).astype(str))))}


def variable_name(variable: str) -> str:
    """A profile grouping's name in the report language (``cmp_var_<name>``), else the column name in words."""
    key = f"cmp_var_{variable}"
    return lookup(key) if i18n.has(key) else str(variable).replace("_", " ")


def headers(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each column named in the report language (glossary key ``cmp_col_<column>``)."""
    return df.rename(columns={c: lookup(f"cmp_col_{c}") for c in df.columns if i18n.has(f"cmp_col_{c}")})


def styled(df: pd.DataFrame, caption: str, currency: str, *, percent_decimals: int = 1):
    """A display table: shares in %, money with 2 decimals, counts with thousands, columns in the report language."""
    fmt = {}
    for c in df.columns:
        if c in _SHARES:
            fmt[c] = lambda v, d=percent_decimals: "–" if pd.isna(v) else pct(v, d)
        elif c in _MONEY:
            fmt[c] = lambda v: "–" if pd.isna(v) else f"{i18n.fmt_number(v, 2)} {currency}"
        elif c in _DAYS:
            fmt[c] = lambda v: "–" if pd.isna(v) else i18n.fmt_number(v, 1)
        elif c in _P:
            fmt[c] = lambda v: "–" if pd.isna(v) else f"{v:.3g}"
        elif c in _DATES:
            fmt[c] = lambda v: "–" if pd.isna(v) else i18n.fmt_date(v)
        elif pd.api.types.is_integer_dtype(df[c]):
            fmt[c] = lambda v: "–" if pd.isna(v) else i18n.fmt_number(v, 0)
        elif pd.api.types.is_bool_dtype(df[c]):
            fmt[c] = lambda v: "–" if pd.isna(v) else (pgettext("cmp", "yes") if v else pgettext("cmp", "no"))
    sty = i18n.EscapedStyler(df).format(fmt, na_rep="–").hide(axis="index").set_caption(caption)
    return sty.relabel_index([lookup(f"cmp_col_{c}") if i18n.has(f"cmp_col_{c}") else c for c in df.columns],
                             axis="columns")


def timeline(windows: pd.DataFrame) -> go.Figure:
    """Each campaign's window as a bar on a date axis, coloured by type, with its reach in the label."""
    colours = _type_colours(windows["campaign_type"])
    fig = go.Figure()
    seen = set()
    ms = pd.Timedelta(milliseconds=1)
    for w in windows.itertuples(index=False):
        length = (w.window_end + pd.Timedelta(days=1) - w.window_start) / ms
        # the campaign id reaches the hover as %{y}: data never goes into the template itself
        fig.add_bar(y=[plain(str(w.campaign_id))], x=[length], base=[w.window_start.isoformat()], orientation="h",
                    marker_color=colours[str(w.campaign_type)], name=plain(str(w.campaign_type)),
                    showlegend=str(w.campaign_type) not in seen, text=[i18n.fmt_number(w.reached)],
                    textposition="inside",
                    hovertemplate=f"%{{y}}: {i18n.fmt_date(w.window_start)} .. {i18n.fmt_date(w.window_end)}, "
                                  f"{w.reached} {pgettext('cmp_col_reached', 'reached')}<extra></extra>")
        seen.add(str(w.campaign_type))
    fig.update_xaxes(type="date")
    fig.update_layout(barmode="overlay", legend_title_text=_("campaign type"),
                      yaxis={"categoryorder": "array", "categoryarray": plain(windows["campaign_id"].astype(str))[::-1]})
    return _layout(fig, _("Campaign windows (label: customers reached)"), _("date"), _("campaign"),
                   height=max(300, 22 * len(windows) + 160))


def _rate_bars(labels, rate, low, high, colours, title, y_title, height) -> go.Figure:
    fig = go.Figure(go.Bar(
        x=100 * rate, y=labels, orientation="h", marker_color=colours,
        error_x={"type": "data", "symmetric": False, "array": 100 * (high - rate), "arrayminus": 100 * (rate - low)},
        text=[pct(v) if pd.notna(v) else "" for v in rate], textposition="inside", insidetextanchor="start"))
    fig.update_layout(yaxis={"categoryorder": "array", "categoryarray": list(labels)[::-1]})
    return _layout(fig, title, _("response rate (%)"), y_title, height=height)


def response_rates(summary: pd.DataFrame) -> go.Figure:
    """Response rate per campaign (%, bars) with its Wilson interval, coloured by campaign type."""
    colours = _type_colours(summary["campaign_type"])
    return _rate_bars(plain(summary["campaign_id"].astype(str)), summary["response_rate"], summary["rate_low"],
                      summary["rate_high"], [colours[str(k)] for k in summary["campaign_type"]],
                      _("Response rate per campaign, with its Wilson interval"), _("campaign"), max(320, 24 * len(summary) + 160))


def type_rates(types: pd.DataFrame) -> go.Figure:
    """Response rate per campaign type (pooled over its campaigns) with its Wilson interval."""
    colours = _type_colours(types["campaign_type"])
    return _rate_bars(plain(types["campaign_type"].astype(str)), types["response_rate"], types["rate_low"],
                      types["rate_high"], [colours[str(k)] for k in types["campaign_type"]],
                      _("Response rate per campaign type (pooled), with its Wilson interval"), _("campaign type"), max(300, 40 * len(types) + 160))


def days_to_respond(pairs: pd.DataFrame) -> go.Figure:
    """Histogram of days from a customer's exposure to the first response."""
    d = pairs.loc[pairs["responded"].fillna(False).astype(bool), "days_to_respond"].astype(float)
    fig = go.Figure(go.Histogram(x=d, nbinsx=40, marker_color=COLOURS[0]))
    fig.update_layout(bargap=0.05)
    return _layout(fig, _("Days from exposure to the first response"), _("days to respond (days)"), _("responders (count)"), 380)


def funnel(total: pd.DataFrame) -> go.Figure:
    """Reached -> responded -> bought again (customer-campaign pairs), with the share of the step before."""
    names = [lookup(f"cmp_step_{s}") for s in total["step"]]
    fig = go.Figure(go.Funnel(y=names, x=total["pairs"], textinfo="value+percent previous",
                              marker={"color": COLOURS[:len(total)]}))
    return _layout(fig, _("Campaign funnel: reached → responded → bought again (customer-campaign pairs)"), _("customer-campaign pairs (count)"), _("funnel step"), 360)


def uplift_forest(comparison: pd.DataFrame, check: pd.DataFrame | None = None) -> go.Figure:
    """Targeted minus not targeted (percentage points) per campaign with its Newcombe interval.

    With ``check`` (:func:`helpers.models.campaigns.truth_check`) the planted values are drawn as crosses.
    """
    c = comparison.dropna(subset=["difference"])
    labels = plain(c["campaign_id"].astype(str))
    fig = go.Figure(go.Scatter(
        x=100 * c["difference"], y=labels, mode="markers", marker={"size": 9, "color": COLOURS[0]},
        name=_("estimate and interval"),
        error_x={"type": "data", "symmetric": False, "array": 100 * (c["diff_high"] - c["difference"]),
                 "arrayminus": 100 * (c["difference"] - c["diff_low"])}))
    if check is not None and len(check):
        fig.add_scatter(x=100 * check["true_uplift"], y=plain(check["campaign_id"].astype(str)), mode="markers",
                        marker={"symbol": "x", "size": 11, "color": COLOURS[3]}, name=_("planted uplift"))
    fig.add_vline(x=0, line_dash="dot", line_color="grey")
    fig.update_layout(yaxis={"categoryorder": "array", "categoryarray": list(labels)[::-1]})
    return _layout(fig, _("Targeted minus not targeted: share buying in the window, with the Newcombe interval"), _("difference in share buying (percentage points)"), _("campaign"),
                   height=max(320, 26 * len(c) + 160))


def targeted_shares(comparison: pd.DataFrame) -> go.Figure:
    """Share of eligible customers buying in the window (%), targeted vs not targeted, per campaign."""
    labels = plain(comparison["campaign_id"].astype(str))
    fig = go.Figure()
    fig.add_bar(x=labels, y=100 * comparison["share_targeted"], name=_("targeted"), marker_color=COLOURS[1])
    fig.add_bar(x=labels, y=100 * comparison["share_not_targeted"], name=_("not targeted"),
                marker_color=COLOURS[0])
    fig.update_layout(barmode="group")
    return _layout(fig, _("Share of eligible customers buying in the campaign window"), _("campaign"), _("share buying in the window (%)"))


def profile_bars(profile: pd.DataFrame, variable: str, title_name: str | None = None) -> go.Figure:
    """Responders vs non-responders: share of each group (%) in every value of one grouping column."""
    p = profile[profile["variable"] == variable]
    sig = bool(p["significant"].iloc[0]) if len(p) else False
    pv = p["p_value"].iloc[0] if len(p) else float("nan")
    fig = go.Figure()
    fig.add_bar(x=plain(p["value"]), y=100 * p["share_of_responders"], name=_("responders"), marker_color=COLOURS[1])
    fig.add_bar(x=plain(p["value"]), y=100 * p["share_of_non_responders"], name=_("non-responders"),
                marker_color=COLOURS[0])
    fig.update_layout(barmode="group")
    name = plain(title_name or variable_name(variable))
    ptext = "–" if pd.isna(pv) else f"{pv:.3g}"
    verdict = _("significant") if sig else _("not significant")
    title = _("Responders vs non-responders by {variable} (chi-square p = {p}: {verdict})", variable=_capital(name) if i18n.language() == "tr" else name, p=ptext, verdict=verdict)
    return _layout(fig, title, name, pgettext("cmp", "share of the group (%)"), 380)


# ----------------------------------------------------------------------------- notebook 08's sections
#: The campaign summary's columns shown with responses, and without (reach only).
SUMMARY_COLUMNS = ["campaign_id", "campaign_type", "window_start", "window_end", "reached", "responders", "response_rate",
                   "rate_low", "rate_high", "median_days_to_respond", "responders_outside_window", "unreached_responders",
                   "responder_revenue", "responder_revenue_per_responder"]
REACH_COLUMNS = ["campaign_id", "campaign_type", "window_start", "window_end", "reached", "reached_buyers_in_window"]
FUNNEL_COLUMNS = ["campaign_id", "campaign_type", "reached", "responded", "repeat", "response_rate", "repeat_rate",
                  "non_responder_repeat_rate", "follow_up_complete"]
TARGETING_COLUMNS = ["campaign_id", "campaign_type", "eligible", "targeted", "not_targeted", "reached_not_eligible",
                     "share_targeted", "share_not_targeted", "difference", "diff_low", "diff_high", "p_value"]


def config_note(name: str, start, end, currency: str, tables) -> str:
    """The run in one line: its name, period, currency and the tables it has (by their config keys)."""
    return _("config {name}: analysis window {start} .. {end}, currency {currency}; tables {tables}", name=name, start=i18n.fmt_date(start), end=i18n.fmt_date(end), currency=currency,
             tables=", ".join(f"tables.{t}" for t in tables))


def reach_section(data, windows: pd.DataFrame | None, end_inclusive: bool) -> list:
    """Who the campaigns reached (campaigns, customers, pairs, how the window end is read) and their timeline;
    the note that there is nothing to analyse when the run lacks exposures (``data.ready`` false)."""
    if not data.ready:
        return [_("No campaign exposures: nothing to show in this notebook.")]
    n = i18n.fmt_number
    return [_("{campaigns} campaigns reached {customers} customers ({pairs} customer-campaign pairs); the exposures' end is read as {reading}.", campaigns=n(len(windows)), customers=n(data.exposures["customer_id"].nunique()),
              pairs=n(len(data.exposures)), reading=_("the window's last day") if end_inclusive else _("the first day after the window")),
            timeline(windows)]


def summary_section(camp: pd.DataFrame | None, data, currency: str) -> list:
    """The campaign summary: with responses the response table and rates; with exposures only, the note saying
    so and the reach table; nothing without exposures."""
    if data.has_responses:
        return [styled(camp[SUMMARY_COLUMNS], _("Reach and response per campaign (revenue in {currency})", currency=currency), currency), response_rates(camp)]
    if data.ready:
        return [_("No responses table: response rates are unknown; the reach per campaign:"), styled(camp[REACH_COLUMNS], _("Reach per campaign"), currency)]
    return []


def funnel_section(fun: pd.DataFrame | None, repeat_days: int, currency: str) -> list:
    """The reached -> responded -> bought again funnel per campaign and in total (or the note that no campaign's
    follow-up window is complete); nothing without responses (``fun`` None)."""
    from helpers.models.campaigns import funnel_total

    if fun is None:
        return []
    total = funnel_total(fun)
    return [styled(fun[FUNNEL_COLUMNS], _("Funnel per campaign (bought again = a purchase within {days} days after the window)", days=repeat_days), currency),
            funnel(total) if total["pairs"].iloc[0] > 0 else _("No campaign has {days} days of follow-up before the analysis date; the funnel total is empty.", days=repeat_days)]


def targeting_section(comp: pd.DataFrame | None, randomised: bool, currency: str) -> list:
    """Targeted against not-targeted eligible customers: how to read the difference (randomised or observational),
    the table, the uplift forest and the targeted shares; nothing without exposures (``comp`` None)."""
    if comp is None:
        return []
    return [_("Targeting in this data is random: the difference estimates the causal uplift.") if randomised else _("Targeting is not known to be random: the difference is observational, not the campaign's uplift."),
            styled(comp[TARGETING_COLUMNS], _("Eligible customers targeted vs not targeted: share buying in the window"), currency), uplift_forest(comp), targeted_shares(comp)]


def truth_section(check: pd.DataFrame | None, comp: pd.DataFrame | None, truth: dict | None, currency: str) -> list:
    """On synthetic data with planted campaigns, the estimated against the planted uplift (a count, the table,
    the forest with the planted values); else the note why there is no check."""
    if check is not None:
        return [_("z = {z}; the uplift is within tolerance for {ok} of {campaigns} campaigns.", z=i18n.fmt_number(check.attrs["z"], 2), ok=int(check["uplift_ok"].sum()), campaigns=len(check)),
                styled(check, _("Known truth: estimated vs planted uplift and response rate"), currency, percent_decimals=2), uplift_forest(comp, check)]
    return [_("Real data: the true uplift is unknown, so there is no known-truth check; read Step 5 as observational.") if truth is None else _("This synthetic data set has no planted campaign truth; no check.")]


def clv_tiers(btyd: pd.DataFrame | None, *, time_unit: str | None, clv_months: int, discount_rate: float,
              scores: pd.DataFrame | None = None) -> tuple:
    """The customers' CLV tiers for the responder profile and what to say about them: the CLV's horizon, rate and
    sources (and the customers without a tier), or why the tiers come from spend instead (no BTYD summary, or no
    fit). ``scores``: the run's shared CLV per customer (``helpers.fitted.clv_scores``), so the tiers come from the
    run's one CLV model. Returns ``(tiers or None, notes)``."""
    from helpers.models import clv

    if btyd is None:  # customers_btyd is prepared beside the sales lines (pipeline.LINE_TABLES)
        tiers, reason = None, _("this run has no customers_btyd table (frequency, recency and T per customer).")
    else:
        tiers, reason = clv.value_tier_table(btyd, time_unit=time_unit, clv_months=clv_months, discount_rate=discount_rate,
                                             scores=scores)
    if tiers is None:
        return None, [_("Value tier: no CLV model could be fitted, so the spend tier (terciles of total revenue) stands in for the CLV tier. Reason: {reason}", reason=i18n.say_value(reason))]
    n = i18n.fmt_number
    notes = [_("Value tier: the CLV tier (the purchase and spend models of notebook 04, named below): CLV over the next {months} months at a {rate} yearly discount rate, tiers top 1 %, 1-5 %, 5-20 % and the rest of {customers} customers.", months=clv_months, rate=i18n.fmt_percent(discount_rate, 0), customers=n(len(tiers))),
             _("The CLV models used: purchases: {purchase}; spend: {spend}.", purchase=i18n.say(tiers.attrs["purchase_source"].phrase), spend=i18n.say(tiers.attrs["spend_source"].phrase))]
    if tiers["clv_tier"].isna().any():
        notes.append(_("{n} customers have an unknown CLV under these steps and no CLV tier (left empty).", n=n(tiers["clv_tier"].isna().sum())))
    return tiers, notes


def responder_section(flags: pd.DataFrame, rfm: pd.DataFrame, attributes: pd.DataFrame | None, tiers, *, alpha: float,
                      currency: str) -> tuple:
    """Responders against non-responders by RFM segment, CLV tier and attributes: the profile, and what to show
    (the counts and test level in words, the tests table). Returns ``(profile, shown)``."""
    from helpers.models import campaigns as cmp

    groups = cmp.profile_groups(rfm, attributes, tier_labels=(_("low spend"), _("middle spend"), _("high spend")),
                                clv_tiers=tiers)
    groups = translated_groups(groups, i18n.language())
    profile = cmp.responder_profile(flags, groups, alpha=alpha, missing_label=_("(missing)"))
    n = i18n.fmt_number
    note = _("{responders} responders and {non_responders} non-responders among the reached customers; each grouping is tested at {level}.", responders=n(flags["campaign_responder"].sum()),
             non_responders=n((~flags["campaign_responder"]).sum()), level=n(profile.attrs["level"], 4))
    tests = cmp.profile_tests(profile)
    tests["variable"] = tests["variable"].map(variable_name)
    return profile, [note, styled(tests, _("Chi-square tests: responders vs non-responders per grouping"), currency)]
