import pandas as pd

from helpers.models import campaigns as cmp
from helpers.plots import uplift as up
from tests.fixtures.uplift import planted_table


def small_study():
    tab, tau = planted_table(3000, 0, base=0.2, dogs=False)
    return cmp.uplift_study(tab, truth=pd.Series(tau), n_boot=20)


def test_uplift_section_says_the_numbers_and_draws_labelled_figures():
    s = small_study()
    winner = cmp.winning_rule(s["rules"])
    items = up.uplift_section(s, "GBP", per_purchase=10, contact_cost=1, winner=winner)
    text = " ".join(i for i in items if isinstance(i, str))
    assert s["best"] in text and winner in text and "oracle" in text
    figs = [i for i in items if hasattr(i, "layout")]
    assert len(figs) == 2
    for f in figs:
        assert f.layout.title.text and f.layout.xaxis.title.text and f.layout.yaxis.title.text
    assert "GBP" in figs[1].layout.yaxis.title.text


def test_a_sampled_study_says_how_many_pairs_it_used_of_how_many():
    s = {**small_study(), "rows": (1_500, 250_000)}
    items = up.uplift_section(s, "GBP", per_purchase=10, contact_cost=1, winner=cmp.winning_rule(s["rules"]))
    said = next(i for i in items if isinstance(i, str) and "seeded sample" in i)
    assert "100,000" in said and "1,500 of the 250,000" in said


def test_no_control_group_explains_and_planner_warns():
    assert "cannot be estimated" in up.uplift_section(None, "GBP", per_purchase=1, contact_cost=1, winner=None)[0]
    design = cmp.plan_test(0.10, 0.05, 50)
    comp = pd.DataFrame({"campaign_id": ["A"], "targeted": [200], "targeted_buyers": [30],
                         "not_targeted": [1800], "not_targeted_buyers": [180], "share_not_targeted": [0.10]})
    results = cmp.campaign_results(comp, uplift=0.05)
    text = " ".join(i for i in up.planner_section(design, results, has_control=False) if isinstance(i, str))
    assert "686" in text and "27.4" in text          # 2 x 686 / 50 weeks
    assert "group = control" in text and "Warning" not in text      # no control group: no per-campaign reading
    text = " ".join(i for i in up.planner_section(design, results, has_control=True) if isinstance(i, str))
    assert "Warning: 1 of 1 campaigns" in text and "(A;" in text and "686 to 686" in text


def test_arms_note_counts_what_the_rule_removed():
    assert up.arms_note(None) is None
    text = up.arms_note({"treatment": 10, "control": 8, "other_values": 2, "other_examples": ["vip"], "both_arms": 1})
    assert "10 treatment" in text and "8 control" in text and "2 rows" in text and "vip" in text and "1 pairs" in text
