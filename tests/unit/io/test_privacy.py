"""Masking customer ids: a keyed hash, stable per key, different across keys, off when not asked for."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.io import privacy


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    """The masking secret in a temporary folder (never the project's data/.mask_key)."""
    path = tmp_path / "data" / ".mask_key"
    monkeypatch.setattr(privacy, "KEY_FILE", path)
    return path


def test_the_mask_is_the_keyed_hash_of_rfc_4231():
    # RFC 4231, test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?") = 5bdcc146bf60754e...
    out = privacy.mask_ids(pd.Series(["what do ya want for nothing?"]), key=b"Jefe")
    assert out.tolist() == ["C-5bdcc146bf60"]


def test_the_same_id_gets_the_same_mask_and_different_ids_differ():
    ids = pd.Series(["A", "B", "A", "12345"])
    out = privacy.mask_ids(ids, key=b"k1")
    assert out[0] == out[2]
    assert len({out[0], out[1], out[3]}) == 3
    assert out.str.fullmatch(r"C-[0-9a-f]{12}").all()
    assert str(out.dtype) == "string"
    assert privacy.mask_ids(ids, key=b"k1").tolist() == out.tolist()       # stable across calls


def test_another_key_gives_other_masks():
    ids = pd.Series(["A", "B"])
    assert not (privacy.mask_ids(ids, key=b"k1") == privacy.mask_ids(ids, key=b"k2")).any()


def test_numbers_are_masked_as_their_text_and_missing_stays_missing():
    out = privacy.mask_ids(pd.Series([17, None], dtype="object"), key=b"k")
    assert out[0] == privacy.mask_ids(pd.Series(["17"]), key=b"k")[0]
    assert pd.isna(out[1])


def test_the_key_is_created_once_and_then_reused(key_file):
    assert not key_file.exists()
    first = privacy.mask_key()
    assert key_file.exists() and len(first) == 32                   # 64 hex digits
    assert privacy.mask_key() == first
    masked = privacy.mask_ids(pd.Series(["A"]))                     # no key given: the file's
    assert masked[0] == privacy.mask_ids(pd.Series(["A"]), key=first)[0]


def test_a_new_key_file_changes_every_mask(key_file):
    before = privacy.mask_ids(pd.Series(["A"]))[0]
    key_file.write_text("00" * 32, encoding="utf-8")
    assert privacy.mask_ids(pd.Series(["A"]))[0] != before


def test_maybe_mask_masks_a_copy_only_when_enabled(key_file):
    df = pd.DataFrame({"customer_id": ["A", "B"], "value": [1.0, 2.0]})
    assert privacy.maybe_mask(df, False) is df
    on = privacy.maybe_mask(df, True)
    assert on["customer_id"].tolist() == privacy.mask_ids(df["customer_id"], key=privacy.mask_key()).tolist()
    assert on["value"].tolist() == [1.0, 2.0]
    assert df["customer_id"].tolist() == ["A", "B"]                 # the input is left as it was


def test_maybe_mask_names_the_column_and_skips_a_frame_without_it(key_file):
    no_ids = pd.DataFrame({"value": [1]})
    assert privacy.maybe_mask(no_ids, True) is no_ids
    assert not key_file.exists()                                    # nothing masked, no key made
    df = pd.DataFrame({"buyer": ["A"], "customer_id": ["A"]})
    out = privacy.maybe_mask(df, True, column="buyer")
    assert out["buyer"][0].startswith("C-") and out["customer_id"][0] == "A"
