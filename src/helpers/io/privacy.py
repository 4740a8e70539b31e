"""Masking customer ids in what reports show and export.

Customer data is personal data. With ``output.mask_customer_ids: true`` every id a report
shows or writes is replaced by a keyed hash: the same customer gets the same masked id in
every run on this machine (so runs can be compared), but the raw id cannot be recovered by
hashing candidate ids, because the key is a random secret kept in ``data/.mask_key``
(git-ignored, created on first use; share it only with whoever may re-identify customers).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

import pandas as pd

from helpers import paths

KEY_FILE = paths.DATA / ".mask_key"


def mask_key() -> bytes:
    """The masking secret, created on first use."""
    if not KEY_FILE.exists():
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        KEY_FILE.write_text(secrets.token_hex(32), encoding="utf-8")
    return bytes.fromhex(KEY_FILE.read_text(encoding="utf-8").strip())


def mask_ids(ids: pd.Series, key: bytes | None = None) -> pd.Series:
    """Replace each id by ``"C-"`` + 12 hex digits of HMAC-SHA256(key, id); missing stays missing."""
    key = key or mask_key()

    def one(v):
        if pd.isna(v):
            return pd.NA
        return "C-" + hmac.new(key, str(v).encode("utf-8"), hashlib.sha256).hexdigest()[:12]

    return ids.map(one).astype("string")


def maybe_mask(df: pd.DataFrame, enabled: bool, column: str = "customer_id") -> pd.DataFrame:
    """``df`` with ``column`` masked when ``enabled`` (a copy), else ``df`` unchanged."""
    if not enabled or column not in df.columns:
        return df
    out = df.copy()
    out[column] = mask_ids(out[column])
    return out


#: What :func:`mask_ids` writes: ``C-`` and 12 lower-case hex digits.
MASKED_PATTERN = r"C-[0-9a-f]{12}"


def already_masked(ids: pd.Series) -> bool:
    """True when every non-missing id looks like :func:`mask_ids`' output (and there is at least one), so
    masking again would hash the hashes."""
    present = ids.dropna().astype(str)
    return len(present) > 0 and bool(present.str.fullmatch(MASKED_PATTERN).all())
