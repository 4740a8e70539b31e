"""One YAML config file = one run.

A config says where the sales lines come from and how to read them, the analysis window
and period, the engine, the cleaning rules, where reports go, and parameters per notebook.
It is validated with pydantic: an unknown key or a wrong type stops the run with a message
naming the file, the key, the value given and what is allowed.

Example (``configs/example_own_file.yaml`` has a commented version)::

    name: my_shop
    data:
      source: file
      path: data/raw/sales.csv
      separator: ";"
      decimal: ","
      dayfirst: true
      encoding: cp1254
      currency: TRY
      columns: {invoice: Fatura No, invoice_ts: Tarih, customer_id: Müşteri,
                product_id: Ürün Kodu, quantity: Adet, unit_price: Birim Fiyat}
    analysis: {end: 2024-12-31, period: month}

Optional tables beside the sales lines (customer attributes, campaign exposures, campaign
responses, feedback) are described under ``tables:`` (:class:`TablesConfig`, read by
:mod:`helpers.io.tables`); ``data.source: none`` means a data set with no sales lines at all
(e.g. a contract business known only from its customer table).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from helpers import paths
from helpers.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ColumnMap(_Strict):
    """Canonical column -> header in the user's file. Leave out what the file lacks.

    ``amount`` may replace ``unit_price`` (then unit_price = amount / quantity), and either
    ``quantity`` or ``amount`` is enough when the other is absent (quantity defaults to 1).
    """

    invoice: str | None = None
    invoice_ts: str | None = None
    customer_id: str | None = None
    product_id: str | None = None
    description: str | None = None
    category: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    amount: str | None = None
    country: str | None = None
    channel: str | None = None
    currency: str | None = None
    line_no: str | None = Field(None, description="line number within the invoice, when the export has one")
    original_invoice: str | None = Field(None, description="the invoice a return or credit note refers to")
    return_flag: str | None = Field(None, description="a column marking return lines (values: data.return_flag_values)")


class SyntheticConfig(_Strict):
    """Size and seed of the embedded synthetic shop (see :mod:`helpers.io.synth`)."""

    customers: int = Field(5000, ge=20, le=20_000_000)
    start: dt.date = dt.date(2023, 1, 1)
    days: int = Field(730, ge=60, le=3650)
    seed: int = 42
    target_lines: int | None = Field(None, ge=1000, description="scale customers to reach about this many lines")


#: Cell texts that mean "no customer" in exports (R and BI tools write NA, Excel #N/A, databases NULL).
DEFAULT_CUSTOMER_NA = ["", "NA", "N/A", "NULL", "null", "None", "nan", "#N/A", "-"]
#: Return-flag values that mean "this line is a return" and "this line is a sale" (compared case-insensitively).
DEFAULT_RETURN_VALUES = ["1", "true", "yes", "y", "t", "x", "return", "returned", "r", "iade", "evet", "e"]
#: Identifier and text columns that missing-value tokens (``data.na_values``) apply to.
NA_COLUMNS = ("invoice", "customer_id", "product_id", "description", "category", "country", "channel", "line_no",
              "original_invoice")
DEFAULT_SALE_VALUES = ["0", "false", "no", "n", "f", "sale", "s", "satış", "satis", "hayır", "hayir", "h"]


class FileOptions(_Strict):
    """Where a file is and how to read it: the options ``data:`` and each file of ``tables:`` share."""

    path: str | None = None
    format: Literal["auto", "csv", "tsv", "txt", "parquet", "xlsx"] = "auto"
    sheets: list[str] | None = None
    separator: str | None = None
    decimal: Literal[".", ","] = "."
    thousands: str | None = None
    encoding: str = "utf-8"
    dayfirst: bool = False
    date_format: str | None = None

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str) -> str:
        import codecs

        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError("is not a text encoding Python knows (try utf-8, cp1254, iso-8859-9, latin-1)") from None
        return v


class DataConfig(FileOptions):
    source: Literal["synthetic", "online_retail_ii", "cdnow", "file", "olist", "none"] = "synthetic"
    columns: ColumnMap | None = None
    currency: str = "GBP"
    cdnow_variant: Literal["auto", "master", "sample"] = "auto"
    synthetic: SyntheticConfig = SyntheticConfig()
    na_values: list[str] | dict[str, list[str]] = Field(
        default_factory=lambda: {"customer_id": list(DEFAULT_CUSTOMER_NA)},
        description="cell texts read as missing: a list for every identifier and text column, or per canonical "
                    "column; compared after trimming, case-insensitively")
    return_flag_values: list[str] = Field(
        default_factory=lambda: list(DEFAULT_RETURN_VALUES),
        description="values of columns.return_flag that mark a return (case-insensitive); "
                    f"{', '.join(DEFAULT_SALE_VALUES)} and blanks mark a sale")

    @field_validator("na_values")
    @classmethod
    def _na_columns(cls, v):
        if isinstance(v, dict):
            bad = [k for k in v if k not in NA_COLUMNS]
            if bad:
                raise ValueError(f"names unknown column(s) {bad}; allowed: {', '.join(NA_COLUMNS)}")
        return v

    @field_validator("currency")
    @classmethod
    def _iso(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError("must be a 3-letter ISO currency code in capitals, e.g. GBP, EUR, TRY, USD")
        return v

    @model_validator(mode="after")
    def _needs_path(self):
        if self.source in ("file", "online_retail_ii", "cdnow", "olist") and not self.path:
            raise ValueError(f"data.source '{self.source}' needs data.path (the file to read)")
        if self.source == "file" and self.columns is None:
            raise ValueError("data.source 'file' needs data.columns: map at least invoice_ts, "
                             "customer_id, and quantity with unit_price or amount to your file's headers")
        return self


class AnalysisConfig(_Strict):
    start: dt.date | None = Field(None, description="first day kept; earlier lines are removed")
    end: dt.date | None = Field(None, description="analysis date (inclusive); default: last invoice date")
    period: Literal["month", "week", "quarter"] = "month"
    time_unit: Literal["D", "W", "M"] = "W"

    @model_validator(mode="after")
    def _order(self):
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"analysis.start {self.start} is after analysis.end {self.end}")
        return self


class EngineConfig(_Strict):
    backend: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"
    spark_conf: dict[str, str] = {}
    # null: twice the cores DuckDB detects. Its hash aggregations over tables larger than the CPU caches wait on
    # memory; on 2 cores, 4 threads made the 10M-line customer tables 10-25 % faster at the same peak memory
    # (summary, RFM, cohorts, pairs; README "Performance"). Set a number to pin it.
    duckdb_threads: int | None = Field(None, ge=1)
    # DuckDB's own default is 80 % of RAM; a cap makes large inputs spill to disk instead. 1GB keeps a
    # 10M-line csv export under 2 GB for the whole process and took no longer than 3GB did (make bench,
    # README "Performance"). Raise it on a big machine; null: DuckDB's default.
    duckdb_memory_limit: str | None = Field("1GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")


class ExtremeQuantityRule(_Strict):
    """A sale line is extreme when quantity > multiplier x the quantile of sale quantities,
    or > max_quantity when that is given (then the quantile rule is not used)."""

    enabled: bool = True
    quantile: float = Field(0.99, gt=0, lt=1)
    multiplier: float = Field(10.0, gt=1)
    max_quantity: float | None = Field(None, gt=0)
    action: Literal["remove", "flag"] = "remove"


DEFAULT_NON_PRODUCT_CODES = [
    "POST", "DOT", "M", "C2", "D", "S", "B", "PADS", "CRUK", "BANK CHARGES", "AMAZONFEE",
    "ADJUST", "ADJUST2", "TEST001", "TEST002", "GIFT", "FEE", "SHIPPING",
]


#: Customer ids that look like a placeholder rather than a person (case-insensitive, whole id).
DEFAULT_PLACEHOLDER_PATTERN = (r"^(0+|9{3,}|-1|x+|n/?a|walk[ _-]?in.*|cash.*|guest.*|anonym.*|unknown|"
                               r"misafir.*|perakende.*|nakit.*|pe[sş]in.*)$")


class CleaningConfig(_Strict):
    """The cleaning rules (:mod:`helpers.clean`); ``configs/example_own_file.yaml`` lists each with its
    default and the audit row it produces."""

    overlap: bool = True
    duplicates: Literal["auto"] | bool = "auto"
    outside_window: bool = True
    non_product: bool = True
    non_product_codes: list[str] = DEFAULT_NON_PRODUCT_CODES
    non_product_pattern: str | None = r"^(gift_|DCGS|TEST|ADJUST|FEE-|SHIP-)"
    cancellations: bool = True
    return_prefixes: list[str] = Field(default_factory=lambda: ["C"])
    return_window_days: int = Field(90, ge=0, le=3660)
    zero_price: Literal["keep", "remove"] = "keep"
    extreme_quantity: ExtremeQuantityRule = ExtremeQuantityRule()
    catch_all_ids: list[str] = Field(default_factory=list)
    catch_all_share: float = Field(0.05, gt=0, le=1)
    catch_all_action: Literal["auto", "guest", "flag"] = "auto"
    catch_all_pattern: str | None = DEFAULT_PLACEHOLDER_PATTERN

    @field_validator("zero_price", mode="before")
    @classmethod
    def _zero_price_bool(cls, v):
        # the rule used to be a switch: true removed zero-price lines, false kept them
        if isinstance(v, bool):
            return "remove" if v else "keep"
        return v

    @field_validator("return_prefixes")
    @classmethod
    def _prefixes(cls, v):
        if any(not p or p != p.strip() for p in v):
            raise ValueError("must be non-empty prefixes without surrounding spaces, e.g. [C, IADE-]")
        return v

    @field_validator("non_product_pattern", "catch_all_pattern")
    @classmethod
    def _regex(cls, v):
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"is not a valid regular expression ({exc})") from None
        return v


class OutputConfig(_Strict):
    reports_dir: str = "reports"
    run_name: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$")
    mask_customer_ids: bool = False
    notebooks: list[str] | None = Field(None, description="numbered notebooks to run, e.g. ['01']; default all")
    jobs: int = Field(2, ge=1, le=32, description="notebooks executed at once (each in its own kernel)")
    skip_notebooks: list[str] = Field(
        default_factory=list, description="numbered notebooks not to run, e.g. ['06']; the rest of the batch runs")

    @model_validator(mode="after")
    def _skip(self):
        """Turn ``skip_notebooks`` into the list of notebooks to run (the batch minus the skipped ones)."""
        if not self.skip_notebooks:
            return self
        from helpers.batch import NOTEBOOKS  # plain list, no imports: no cycle

        def matches(nb: str, wanted: str) -> bool:
            return nb == wanted or nb.split("_")[0] == wanted

        unknown = [w for w in self.skip_notebooks if not any(matches(nb, w) for nb in NOTEBOOKS)]
        if unknown:
            raise ValueError(f"output.skip_notebooks names unknown notebook(s) {unknown}; the batch has {NOTEBOOKS}")
        base = [nb for nb in NOTEBOOKS if self.notebooks is None or any(matches(nb, w) for w in self.notebooks)]
        self.notebooks = [nb for nb in base if not any(matches(nb, w) for w in self.skip_notebooks)]
        return self


# --------------------------------------------------------------------------------------
# optional tables beside the sales lines (read by helpers.io.tables)
# --------------------------------------------------------------------------------------
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")

#: canonical columns per optional table: (required in the column map, other standard names).
#: ``attributes`` and ``feedback`` also accept any other snake_case name (kept as given).
TABLE_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "attributes": (("customer_id",), ("region", "age_band", "income_band", "household_size", "contract",
                                      "tenure", "churned", "monthly_charges", "total_charges")),
    "exposures": (("customer_id", "campaign_id"), ("campaign_type", "start", "end", "channel", "group")),
    "responses": (("customer_id", "campaign_id", "response_ts"), ("response_type", "value")),
    "feedback": (("feedback_ts", "score"), ("feedback_id", "customer_id", "invoice", "title", "text",
                                            "category", "language")),
}
TABLE_ADAPTERS = ("olist",)


class TableFile(FileOptions):
    """Where one optional table comes from and how to read it.

    Either a file (``path`` + ``columns``: canonical name -> header in the file, same reading
    options as ``data:``) or a named adapter for a published data set whose layout needs joins
    (``adapter: olist`` + ``path`` = the data set's folder; no ``columns``).
    """

    adapter: Literal["olist"] | None = None
    columns: dict[str, str] | None = Field(None, description="canonical name: header in the file")
    constants: dict[str, str | float | bool] = Field(
        default_factory=dict, description="canonical columns the file lacks, filled with one value")
    fill_blank: dict[str, float] = Field(
        default_factory=dict, description="numeric column: value for its blank cells (default: left null)")

    def _check(self, table: str, extra_ok: bool) -> None:
        required, standard = TABLE_COLUMNS[table]
        if self.adapter is None:
            if not self.path:
                raise ValueError(f"tables.{table} needs path (the file to read) or adapter "
                                 f"({', '.join(TABLE_ADAPTERS)})")
            if not self.columns:
                raise ValueError(f"tables.{table} needs columns: map at least {', '.join(required)} "
                                 "to the file's headers")
            given = set(self.columns) | set(self.constants)
            missing = [c for c in required if c not in given and not self._provided_elsewhere(c)]
            if missing:
                raise ValueError(f"tables.{table}.columns lacks {', '.join(missing)} (needed: "
                                 f"{', '.join(required)})")
        else:
            if not self.path:
                raise ValueError(f"tables.{table}.adapter '{self.adapter}' needs path: the data set's folder")
            if self.adapter == "olist" and table not in ("attributes", "feedback"):
                raise ValueError(f"tables.{table}: adapter 'olist' provides attributes and feedback only")
            if self.columns:
                raise ValueError(f"tables.{table}: give either adapter or columns, not both "
                                 f"(adapter '{self.adapter}' knows the layout)")
        for key in list(self.columns or {}) + list(self.constants) + list(self.fill_blank):
            if not _SNAKE.match(key):
                raise ValueError(f"tables.{table}: column name '{key}' must be snake_case "
                                 "(lower-case letters, digits, _; starting with a letter)")
            if not extra_ok and key not in required + standard:
                raise ValueError(f"tables.{table}: unknown column '{key}'; allowed: "
                                 f"{', '.join(required + standard)}")

    def _provided_elsewhere(self, column: str) -> bool:
        return False


class CampaignLookup(_Strict):
    """A campaign table joined to the exposures on ``campaign_id`` (type and window per campaign)."""

    path: str
    format: Literal["auto", "csv", "tsv", "txt", "parquet", "xlsx"] = "auto"
    separator: str | None = None
    encoding: str = "utf-8"
    dayfirst: bool = False
    date_format: str | None = None
    columns: dict[str, str] = Field(..., description="campaign_id and any of campaign_type, start, end, channel")

    @model_validator(mode="after")
    def _cols(self):
        allowed = ("campaign_id", "campaign_type", "start", "end", "channel")
        if "campaign_id" not in self.columns:
            raise ValueError("tables.exposures.campaigns.columns needs campaign_id")
        bad = [k for k in self.columns if k not in allowed]
        if bad:
            raise ValueError(f"tables.exposures.campaigns.columns: unknown column(s) {bad}; allowed: "
                             f"{', '.join(allowed)}")
        return self


class AttributesTable(TableFile):
    """One row per customer: ``customer_id`` (unique) + any columns. ``keep`` adds unmapped file
    columns under snake_case names (``all`` = every column of the file). ``tenure_unit`` is the
    unit of the ``tenure`` column (whole periods as a customer): it names the axes and columns of
    the contract churn notebook, sets its Kaplan-Meier horizons and the period of its discount
    rate and remaining lifetimes."""

    keep: Literal["all"] | list[str] = Field(default_factory=list)
    tenure_unit: Literal["day", "week", "month", "quarter", "year"] = Field(
        "month", description="unit of the tenure column: day, week, month, quarter or year")

    @model_validator(mode="after")
    def _valid(self):
        self._check("attributes", extra_ok=True)
        return self


class ExposuresTable(TableFile):
    """Who was sent which campaign, and when (``start``; ``end`` = start when only a date is known).
    ``campaigns`` joins a campaign table for type and window."""

    campaigns: CampaignLookup | None = None

    def _provided_elsewhere(self, column: str) -> bool:
        return self.campaigns is not None and column in self.campaigns.columns

    @model_validator(mode="after")
    def _valid(self):
        self._check("exposures", extra_ok=False)
        if self.adapter is None:
            given = set(self.columns or {}) | set(self.constants)
            if "start" not in given and not self._provided_elsewhere("start"):
                raise ValueError("tables.exposures needs a start date: map columns.start (the send date) or "
                                 "give campaigns: with a start column per campaign")
        return self


class ResponsesTable(TableFile):
    """Who responded to which campaign, and when (e.g. coupon redemptions)."""

    @model_validator(mode="after")
    def _valid(self):
        self._check("responses", extra_ok=False)
        return self


class FeedbackTable(TableFile):
    """Reviews, surveys, complaints: a score on a declared scale, optional text, keyed by customer
    or by order (``invoice``; the customer is then found in the sales lines)."""

    scale: tuple[float, float] | None = Field(None, description="lowest and highest possible score, e.g. [1, 5]")
    language: str | None = Field(None, description="ISO 639-1 code of the text, e.g. pt, tr, en")
    keep: Literal["all"] | list[str] = Field(default_factory=list)

    @field_validator("language")
    @classmethod
    def _lang(cls, v):
        if v is not None and not re.fullmatch(r"[a-z]{2,3}", v):
            raise ValueError("must be an ISO 639 language code in lower case, e.g. pt, tr, en")
        return v

    @model_validator(mode="after")
    def _valid(self):
        self._check("feedback", extra_ok=True)
        if self.scale is not None and not self.scale[0] < self.scale[1]:
            raise ValueError(f"tables.feedback.scale {list(self.scale)} must be [lowest, highest] "
                             "with lowest < highest")
        if self.adapter is None:
            if self.scale is None:
                raise ValueError("tables.feedback needs scale: the lowest and highest possible score, e.g. [1, 5]")
            if not ({"customer_id", "invoice"} & set(self.columns or {})):
                raise ValueError("tables.feedback.columns needs customer_id or invoice (the order, whose "
                                 "customer is then looked up in the sales lines)")
        return self


class TablesConfig(_Strict):
    """Optional tables beside the sales lines; each is optional (see :mod:`helpers.io.tables`)."""

    attributes: AttributesTable | None = None
    exposures: ExposuresTable | None = None
    responses: ResponsesTable | None = None
    feedback: FeedbackTable | None = None

    def present(self) -> dict[str, TableFile]:
        """The configured tables by name, in the canonical order."""
        return {k: v for k in ("attributes", "exposures", "responses", "feedback")
                if (v := getattr(self, k)) is not None}


class BriefConfig(_Strict):
    """The one-page brief of a run (``brief.html``, :mod:`helpers.runner.brief`)."""

    top_n: int = Field(20, ge=1, le=10_000, description="customers on the Monday list (fewer when fewer are to be contacted)")
    pdf: bool = Field(True, description="also print brief.pdf with headless Chromium when it is installed")


class RunConfig(_Strict):
    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]+$")
    description: str | None = None
    language: Literal["en", "tr"] = Field("en", description="language of the reports: en (English) or tr (Türkçe)")
    data: DataConfig = DataConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    engine: EngineConfig = EngineConfig()
    cleaning: CleaningConfig = CleaningConfig()
    output: OutputConfig = OutputConfig()
    brief: BriefConfig = BriefConfig()
    tables: TablesConfig | None = Field(None, description="optional tables beside the sales lines")
    notebooks: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="parameters per notebook, keyed by its file stem")

    # where the config came from; not part of the YAML
    _source_file: str | None = None

    @model_validator(mode="after")
    def _tables_for_none(self):
        if self.data.source == "none" and (self.tables is None or not self.tables.present()):
            raise ValueError("data.source 'none' (no sales lines) needs a tables: section with at least one "
                             "table (attributes, exposures, responses or feedback)")
        return self

    @property
    def source_file(self) -> str | None:
        return self._source_file

    def data_path(self) -> Path | None:
        return paths.resolve(self.data.path) if self.data.path else None

    def fingerprint_payload(self) -> dict:
        """The parts of the config that change the clean data (not the engine or outputs)."""
        payload = {
            "data": self.data.model_dump(mode="json"),
            "analysis": self.analysis.model_dump(mode="json"),
            "cleaning": self.cleaning.model_dump(mode="json"),
        }
        if self.tables is not None:  # only then, so configs without tables keep their fingerprints
            payload["tables"] = self.tables.model_dump(mode="json")
        return payload

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at ``loc`` (the path of the unknown key's parent)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if current is None:
            return []
    return list(current.model_fields)


def _format_errors(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        value = err.get("input")
        shown = repr(value) if not isinstance(value, dict) else "{...}"
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(RunConfig, loc[:-1])) or "none"
            lines.append(f"unknown key '{key}' (value {shown}); allowed keys here: {allowed}")
        elif err["type"] == "missing":
            lines.append(f"key '{key}' is required")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"key '{key}' = {shown}: {msg}")
    return f"{source}: invalid config\n  - " + "\n  - ".join(lines)


def config_from_dict(raw: dict, source: str = "<config>") -> RunConfig:
    """Validate a config dict; raise :class:`ConfigError` listing every bad key."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a config must be a YAML mapping (key: value), got {type(raw).__name__}")
    try:
        cfg = RunConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source)) from None
    cfg._source_file = source
    return cfg


def _deep_update(base: dict, override: dict) -> dict:
    out = dict(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_update(out[k], v)
        else:
            out[k] = v
    return out


def parse_override(text: str) -> dict:
    """Turn ``"analysis.end=2011-06-30"`` into ``{"analysis": {"end": "2011-06-30"}}`` (value parsed as YAML)."""
    if "=" not in text:
        raise ConfigError(f"override '{text}' must look like key.subkey=value")
    key, value = text.split("=", 1)
    out: dict = {}
    node = out
    parts = key.strip().split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = yaml.safe_load(value)
    return out


def load_config(path: str | Path, overrides: list[dict] | None = None) -> RunConfig:
    """Read and validate a YAML config; ``name`` defaults to the file's stem.

    Raises
    ------
    ConfigError
        File missing or not YAML, unknown keys, wrong types or values; the message names
        the file, the key, the value and what is allowed.
    """
    p = Path(path)
    if not p.exists():
        avail = ", ".join(sorted(x.name for x in paths.CONFIGS.glob("*.yaml"))) if paths.CONFIGS.is_dir() else ""
        raise ConfigError(f"{p}: config file not found" + (f" (configs/ has: {avail})" if avail else ""))
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text; save the config as UTF-8") from None
    raw = raw or {}
    if isinstance(raw, dict):
        raw.setdefault("name", p.stem)
    for ov in overrides or []:
        raw = _deep_update(raw, ov)
    return config_from_dict(raw, str(p))
