"""Config validation: unknown keys and wrong values name the file, key, value and what is allowed."""
from __future__ import annotations

import datetime as dt

import pytest

from helpers import paths
from helpers.config import config_from_dict, load_config, parse_override
from helpers.errors import ConfigError


@pytest.mark.parametrize("name", ["default", "online_retail_ii", "cdnow", "example_own_file"])
def test_shipped_configs_are_valid(name):
    cfg = load_config(paths.CONFIGS / f"{name}.yaml")
    assert cfg.name == name


def test_unknown_key_lists_the_allowed_ones(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nanalysis:\n  perod: month\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"(?s)bad\.yaml.*unknown key 'analysis\.perod' \(value 'month'\); "
                                          r"allowed keys here: start, end, period, time_unit"):
        load_config(p)


def test_wrong_literal_names_key_value_and_choices():
    with pytest.raises(ConfigError, match=r"key 'analysis\.period' = 'year': Input should be 'month', 'week' or 'quarter'"):
        config_from_dict({"name": "x", "analysis": {"period": "year"}}, "c.yaml")


def test_wrong_type_and_several_errors_at_once():
    with pytest.raises(ConfigError) as exc:
        config_from_dict({"name": "x", "data": {"synthetic": {"customers": "many"}, "currency": "lira"}}, "c.yaml")
    msg = str(exc.value)
    assert "key 'data.synthetic.customers' = 'many'" in msg and "valid integer" in msg
    assert "key 'data.currency' = 'lira'" in msg and "3-letter ISO" in msg


def test_file_source_needs_path_and_columns():
    with pytest.raises(ConfigError, match="needs data.path"):
        config_from_dict({"name": "x", "data": {"source": "file"}})
    with pytest.raises(ConfigError, match="needs data.columns"):
        config_from_dict({"name": "x", "data": {"source": "file", "path": "a.csv"}})


def test_bad_regex_and_encoding_and_window():
    with pytest.raises(ConfigError, match="non_product_pattern.*not a valid regular expression"):
        config_from_dict({"name": "x", "cleaning": {"non_product_pattern": "(["}})
    with pytest.raises(ConfigError, match="encoding.*not a text encoding"):
        config_from_dict({"name": "x", "data": {"encoding": "turkish-ish"}})
    with pytest.raises(ConfigError, match="is after analysis.end"):
        config_from_dict({"name": "x", "analysis": {"start": "2024-01-01", "end": "2023-01-01"}})


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: config file not found"):
        load_config(tmp_path / "nope.yaml")
    p = tmp_path / "broken.yaml"
    p.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.yaml: not valid YAML"):
        load_config(p)


def test_overrides_and_defaults(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("analysis: {period: week}\n", encoding="utf-8")
    cfg = load_config(p, [parse_override("analysis.end=2023-06-30"), parse_override("engine.backend=spark")])
    assert cfg.name == "run"                        # from the file name
    assert cfg.analysis.period == "week" and cfg.analysis.end == dt.date(2023, 6, 30)
    assert cfg.engine.backend == "spark"
    with pytest.raises(ConfigError, match="must look like key.subkey=value"):
        parse_override("analysis.end")


def test_fingerprint_payload_ignores_engine_and_output():
    a = config_from_dict({"name": "x"})
    b = config_from_dict({"name": "x", "engine": {"backend": "spark"}, "output": {"mask_customer_ids": True}})
    c = config_from_dict({"name": "x", "cleaning": {"zero_price": "remove"}})
    assert a.fingerprint_payload() == b.fingerprint_payload() != c.fingerprint_payload()


def test_cleaning_switches_keep_their_old_spelling():
    """zero_price was a switch (true removed zero-price lines): old configs keep their meaning."""
    assert config_from_dict({"name": "x", "cleaning": {"zero_price": True}}).cleaning.zero_price == "remove"
    assert config_from_dict({"name": "x", "cleaning": {"zero_price": False}}).cleaning.zero_price == "keep"
    assert config_from_dict({"name": "x"}).cleaning.duplicates == "auto"
    with pytest.raises(ConfigError, match=r"cleaning.return_prefixes"):
        config_from_dict({"name": "x", "cleaning": {"return_prefixes": [" C"]}})
    with pytest.raises(ConfigError, match=r"data.na_values"):
        config_from_dict({"name": "x", "data": {"na_values": {"customer": ["NA"]}}})


def test_example_config_lists_every_cleaning_rule_with_its_default_and_audit_row():
    """configs/example_own_file.yaml shows each cleaning key (set to its default, or commented) and names the
    audit row each rule produces, so a user can see what every rule does and how to turn it off."""
    import re

    import yaml

    from helpers import clean
    from helpers.config import CleaningConfig

    text = (paths.CONFIGS / "example_own_file.yaml").read_text(encoding="utf-8")
    block = text[text.index("\ncleaning:"):text.index("\nengine:")]
    keys = set(re.findall(r"(?m)^  #? ?([a-z_]+):", block))
    assert keys == set(CleaningConfig.model_fields)
    given = yaml.safe_load(block)["cleaning"]
    defaults = CleaningConfig()
    for key, value in given.items():
        if key in ("non_product_codes",):          # shortened on purpose: the full default list is in config.py
            continue
        want = getattr(defaults, key)
        want = want.model_dump() if hasattr(want, "model_dump") else want
        got = {k: v for k, v in value.items()} if isinstance(value, dict) else value
        if isinstance(want, dict):
            assert {k: want[k] for k in got} == got, key
        else:
            assert got == want, key
    audit_lines = [line for line in block.splitlines() if "audit:" in line]
    for rule in [*clean.RULES, *[r for r in clean.INFO_ROWS if r != "guests (kept)"]]:
        assert any(rule in line for line in audit_lines), f"no 'audit: {rule}' in the example's cleaning section"
