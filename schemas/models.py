"""Pydantic models of the output contract (CONTRACT.md, version 1.1).

These models are the single source of truth: the JSON written per revision, the Parquet
columns and the exported JSON Schema files all derive from them. Fields named by the
contract are never renamed or dropped; extra fields are additions. Every field carries a
description (what it means, its unit, when it is null): the exported JSON Schema is the
consumer's documentation, and a test fails on a field without one.

Documents are written with `SCHEMA_VERSION`; readers accept every version in
`ACCEPTED_SCHEMA_VERSIONS` (1.1 only added fields and values, so a 1.0 document reads as a
1.1 one whose `metadata.notice_title` is null). Changes in 1.1: `metadata.notice_title`;
the `title` of a notice that issues one policy is that policy's own title; diff entity
`condition`. Added within 1.1 (optional, so earlier 1.1 documents still read): `evidence` and
`span_utf16` beside every `span` (diff changes: `from_span_utf16`, `to_span_utf16`), warning and
error codes as enums of the catalogue, the diff change field `label`.
"""
from __future__ import annotations

import math
import re
from enum import Enum
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from policyflow.schemas.errors import Errors, Warnings

SCHEMA_VERSION = "1.1"
"""The contract version this code writes."""
ACCEPTED_SCHEMA_VERSIONS = frozenset({"1.0", "1.1"})
"""Contract versions this code reads."""


def _accepted_version(v: str) -> str:
    if v not in ACCEPTED_SCHEMA_VERSIONS:
        raise ValueError(f"unsupported schema_version {v!r}: this reader accepts "
                         f"{', '.join(sorted(ACCEPTED_SCHEMA_VERSIONS))} (writes {SCHEMA_VERSION}); "
                         "re-extract the document or upgrade policyflow")
    return v


SchemaVersion = Annotated[str, AfterValidator(_accepted_version), Field(
    description=f"output contract version; written as {SCHEMA_VERSION}, read: "
                f"{', '.join(sorted(ACCEPTED_SCHEMA_VERSIONS))}",
    json_schema_extra={"enum": sorted(ACCEPTED_SCHEMA_VERSIONS)})]

Span = Annotated[tuple[int, int], Field(description="[start, end) code-point offsets into `text`")]
SPAN = ("[start, end) offsets into the document's `text` in code points (Python str indices): "
        "`text[start:end]` is the record's evidence")
SPAN_UTF16 = ("the same [start, end) as `span` in UTF-16 code units, for JavaScript, Java and C# strings "
              "(`text.slice(start, end)` in JS); differs from `span` after any character above U+FFFF "
              "(𠮷 counts 2); null when `span` is null or the document was written before this field existed")
EVIDENCE = ("the source text the record is based on: exactly `text[span[0]:span[1]]`, as printed (line "
            "breaks, widths and spaces kept); null when `span` is null or the document was written before "
            "this field existed")
ID = "document-unique record id (s1, m1, t1, a1, u1, c1 …); ids name records within one revision only"
IN_MEASURE = "id of the measure the record is part of; null when it stands outside any measure (e.g. 主要目标)"


def _codes(catalogue: type, prefix: str) -> list[str]:
    """The numbered codes of an error or warning catalogue class (schemas/errors.py), in order."""
    return sorted(name for name in vars(catalogue) if re.fullmatch(prefix + r"\d{3}", name))


WarningCode = Enum("WarningCode", [(c, c) for c in _codes(Warnings, "W")], type=str, module=__name__)
WarningCode.__doc__ = "A warning code of the catalogue (schemas/errors.py `Warnings`), generated from it."
ErrorCode = Enum("ErrorCode", [(c, c) for c in _codes(Errors, "E")], type=str, module=__name__)
ErrorCode.__doc__ = "An error code of the catalogue (schemas/errors.py `Errors`), generated from it."


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, validate_default=True)


class SourceFormat(str, Enum):
    """How the source file was read: `text` (.txt), `html` (.html/.htm), `docx`, `pdf`."""

    text = "text"
    html = "html"
    docx = "docx"
    pdf = "pdf"


class Status(str, Enum):
    """`draft` when marked 征求意见稿 / 草案 / 送审稿 / 讨论稿 / 试行草案, else `final`."""

    draft = "draft"
    final = "final"


class AmountRole(str, Enum):
    """`subsidy`: given to a beneficiary (补助, 奖补, 奖励, 资助, 贴息 …); `budget`: a fund's size or the
    government's own outlay (出资, 总规模); `threshold`: a figure in an eligibility condition."""

    subsidy = "subsidy"
    budget = "budget"
    threshold = "threshold"


class Bound(str, Enum):
    """`exact`; `max` (最高, 不超过, 最多, 上限, 封顶); `min` (最低, 不低于, 以上 in a threshold)."""

    exact = "exact"
    max = "max"
    min = "min"


class Per(str, Enum):
    """What a figure counts per: `project` (每个项目), `entity` (每家), `person` (每人), `year` (每年, 年度),
    `once` (一次性)."""

    project = "project"
    entity = "entity"
    person = "person"
    year = "year"
    once = "once"


class RatePeriod(str, Enum):
    """How often a rate recurs: `day` (每天, 每日), `month` (每月), `quarter` (每季度), `year` (每年, 每年度,
    a yearly cap such as 同一年度最高)."""

    day = "day"
    month = "month"
    quarter = "quarter"
    year = "year"


class Comparator(str, Enum):
    """`>=` (达到, 以上, 不少于, 至少), `>` (超过, 突破), `=` (a bare figure), `<=` (不超过, 以内), `<` (低于),
    `~` (左右, 约)."""

    ge = ">="
    gt = ">"
    eq = "="
    le = "<="
    lt = "<"
    approx = "~"


class UnitRole(str, Enum):
    """`responsible` (责任单位), `lead` (牵头单位), `cooperating` (配合单位)."""

    responsible = "responsible"
    lead = "lead"
    cooperating = "cooperating"


class Entity(str, Enum):
    """What kind of thing a diff change is about (`condition` since 1.1)."""

    metadata = "metadata"
    section = "section"
    measure = "measure"
    target = "target"
    amount = "amount"
    unit = "unit"
    condition = "condition"  # since 1.1: a qualifying clause added, removed or reworded


class ChangeKind(str, Enum):
    """`added` (only in the new revision), `removed` (only in the old one), `modified` (one field changed)."""

    added = "added"
    removed = "removed"
    modified = "modified"


def _check_span(span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    if start < 0 or end < start:
        raise ValueError(f"span {list(span)} is not a [start, end) pair with 0 <= start <= end")
    return span


class Source(_Model):
    """The file a revision was read from."""

    filename: str = Field(description="base name of the source file (no folder)")
    sha256: str = Field(description="SHA-256 hex digest of the file's raw bytes (before decoding)")
    encoding: Optional[str] = Field(description="encoding the text was decoded with, as detected: utf-8, gb18030, "
                                                "utf-16, … (null for binary formats)")
    format: SourceFormat = Field(description="how the file was read: text, html, docx or pdf")
    size_bytes: int = Field(ge=0, description="size of the source file in bytes")
    row: Optional[int] = Field(default=None, ge=1, description=(
        "for a crawl dump (CSV, JSON Lines, Parquet: one document per row), the 1-based data row the text came "
        "from (header and blank lines not counted); `filename` is then the dump's and `sha256`/`size_bytes` "
        "describe the row's text cell; null for a file"))
    url: Optional[str] = Field(default=None, description=(
        "the address the text was crawled from, as its source metadata gives it (a crawl dump's url column or "
        "a --hints file's url); null when not given"))


class Period(_Model):
    """The years a policy applies to."""

    start: Optional[int] = Field(default=None, description="first year (a plan period's start, or the year "
                                                           "it takes effect); null when only the end is stated")
    end: Optional[int] = Field(default=None, description="last year (a plan period's end, or the year its "
                                                         "validity ends); null when only the start is stated")


class Cited(_Model):
    """A document the text cites by 《title》."""

    title: str = Field(description="the cited document's title as printed between 《》, brackets removed")
    doc_number: Optional[str] = Field(default=None, description="the cited document's 发文字号 when printed "
                                                                "beside the title (冀发〔2016〕29号), else null")
    span: Optional[Span] = Field(default=None, description="[start, end) code points into `text`: the citation "
                                                           "as printed, 《title》 and its 发文字号; null when not "
                                                           "located in the text")
    span_utf16: Optional[Span] = Field(default=None, description=SPAN_UTF16)
    evidence: Optional[str] = Field(default=None, description=EVIDENCE)


class Metadata(_Model):
    """What the document says about itself."""

    title: Optional[str] = Field(default=None, description=(
        "the policy's own title as printed, without status marks or a leading issuer; for a notice that "
        "issues or forwards one policy (关于印发《X》的通知), that policy's title X as printed above its "
        "body; a notice issuing several documents keeps its own title; null when no title is found (W003)"))
    notice_title: Optional[str] = Field(default=None, description=(
        "(since 1.1) the notice's own title, issuer removed, when the text is a notice that issues or "
        "forwards other documents (关于印发《X》的通知, …印发…的通知, a 决定 that republishes a "
        "regulation); else null"))
    issuer: Optional[str] = Field(default=None, description="issuing body as printed (济南市科学技术局); joint "
                                                            "issuers joined with 、; null when the text names none")
    doc_number: Optional[str] = Field(default=None, description="发文字号 as printed (聊政字〔2023〕11号); "
                                                                "null when the text prints none")
    status: Status = Field(default=Status.final, description="draft when marked 征求意见稿 / 草案 / 送审稿 / "
                                                             "讨论稿 / 试行草案, else final")
    region: Optional[str] = Field(default=None, description="the administrative region the policy governs "
                                                            "(济南市, 河北省); null when it cannot be told")
    period: Optional[Period] = Field(default=None, description="years the policy applies to: a plan period "
                                                               "（2021-2023年） or a stated validity; null when "
                                                               "neither is stated")
    issue_date: Optional[str] = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                      description="date of issue, YYYY-MM-DD, when the text states it; else null")
    cited: list[Cited] = Field(default_factory=list, description="documents the text cites by 《title》, in "
                                                                 "text order; empty when it cites none")
    index_number: Optional[str] = Field(default=None, description="索引号 from a portal metadata table; null "
                                                                  "when the source has none")
    publish_date: Optional[str] = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                        description="发布日期 (YYYY-MM-DD) from a portal metadata table; null "
                                                    "when the source has none")


class Record(_Model):
    id: str = Field(description=ID)
    span: Span = Field(description=SPAN)
    span_utf16: Optional[Span] = Field(default=None, description=SPAN_UTF16)
    evidence: Optional[str] = Field(default=None, description=EVIDENCE)

    @field_validator("span")
    @classmethod
    def _span_ok(cls, v: tuple[int, int]) -> tuple[int, int]:
        return _check_span(v)


class Section(Record):
    """A heading that groups measures (一、重点任务, （二）…, 第二章); its span is the heading line."""

    label: str = Field(description="the number as printed, brackets and trailing punctuation removed: 一, 二, "
                                   "第二章")
    title: str = Field(description="the heading text after its number")
    level: int = Field(ge=1, le=4, description="numbering style rank: 1 = 一、/第一章, 2 = （一）, 3 = 1./1、, "
                                               "4 = （1）/①")
    parent_id: Optional[str] = Field(default=None, description="id of the enclosing section; null for a "
                                                               "top-level section")


class Measure(Record):
    """A numbered operative item (the unit of policy); its span is the whole item, heading through the end
    of its content including its 责任单位 line."""

    label: str = Field(description="the number as printed, brackets and trailing punctuation removed: 4, 一, "
                                   "第五条")
    title: Optional[str] = Field(default=None, description="the lead sentence when the item opens with a short "
                                                           "heading sentence (up to its first 。), else null")
    level: int = Field(ge=1, le=4, description="numbering style rank: 1 = 一、/第一章, 2 = （一）, 3 = 1./1、/第X条, "
                                               "4 = （1）/①")
    section_id: Optional[str] = Field(default=None, description="id of the innermost section containing the "
                                                                "measure; null when no section does")


class Target(Record):
    """A quantitative goal, one record per figure (到2027年，全市科技型中小企业达到10000家以上)."""

    measure_id: Optional[str] = Field(default=None, description=IN_MEASURE)
    year: Optional[int] = Field(default=None, description="target year (到2025年, 力争到2027年); null when none "
                                                          "applies")
    indicator: str = Field(description="what is counted, without scope words or verbs: 科技型中小企业, "
                                       "技术合同成交额, 研发投入强度")
    scope: Optional[str] = Field(default=None, description="where or whom the figure covers when stated "
                                                           "(全市, 全省, 高校院所), else null")
    value: float = Field(description="the number in base units: money in yuan (700亿元 → 70000000000), counts "
                                     "as counted, percent as the percent number (3.1% → 3.1); a range's lower end")
    value_max: Optional[float] = Field(default=None, description="upper end of a range (1-2家 → 2), in the unit "
                                                                 "of `value`; null when not a range")
    unit: str = Field(description="unit of `value`: 元 for all money, 家, 人, 个, 项, %, …")
    comparator: Comparator = Field(description="how the goal compares with `value`: >= (达到, 以上), > (超过), "
                                               "= (bare figure), <= (不超过), < (低于), ~ (左右, 约)")
    aspirational: bool = Field(default=False, description="true when hedged with 力争 / 争取, else false")

    @field_validator("value", "value_max")
    @classmethod
    def _finite(cls, v: Optional[float]) -> Optional[float]:
        if v is not None and (not math.isfinite(v) or v < 0):
            raise ValueError(f"target value {v} must be finite and non-negative")
        return v


class Amount(Record):
    """A money or ratio figure the policy grants, budgets or requires; its span is the figure with its bound
    words (最高50万元, 1%)."""

    measure_id: Optional[str] = Field(default=None, description=IN_MEASURE)
    role: AmountRole = Field(description="subsidy (given to a beneficiary), budget (a fund's size or the "
                                         "government's own outlay) or threshold (a figure in an eligibility "
                                         "condition)")
    bound: Bound = Field(description="exact, max (最高, 不超过, 上限) or min (最低, 不低于)")
    value_yuan: Optional[int] = Field(default=None, ge=0, description="money in whole yuan (最高50万元 → 500000, "
                                                                      "1.5亿元 → 150000000); null for a ratio "
                                                                      "(exactly one of value_yuan and ratio is set)")
    ratio: Optional[float] = Field(default=None, ge=0, description="a ratio as a fraction (1% → 0.01, 1∶1配套 → "
                                                                   "1.0, 同等额度 → 1.0); null for money")
    basis: Optional[str] = Field(default=None, description="for ratios, what the ratio is of (上年度省拨经费); "
                                                           "null for money or when unstated")
    per: list[Per] = Field(default_factory=list, description="what the figure counts per (each a `Per` value); "
                                                             "empty when unstated")
    per_period: Optional[RatePeriod] = Field(default=None, description=(
        "added field (not in CONTRACT.md): how often the amount recurs when it is a rate paid or spent per "
        "period, so it can be annualized (每人每月2000元 → month, with per [person]; 每生每天4元 → day; "
        "按每人每季度1500元 → quarter; 每年出资5000万元, 同一企业同一年度最高100万元, 100万元/年 → year). Set only "
        "from a period printed in the figure's own clause or right after it (2000元/月); 上年度 or 年度研发费用 "
        "(a basis), 年均 (an average), a yearly selection round (每年遴选一批…，每家给予30万元: each grant is "
        "once) and 一次性 give none. Null when no period is printed, for one-off amounts and for thresholds. "
        "`per` keeps the contract's values: a month or quarter shows only here, and a yearly rate also "
        "has `year` in `per`"))
    condition_id: Optional[str] = Field(default=None, description="id of the condition the amount depends on; "
                                                                  "null when it depends on none")

    @model_validator(mode="after")
    def _one_value(self) -> "Amount":
        if (self.value_yuan is None) == (self.ratio is None):
            raise ValueError("an amount has exactly one of value_yuan or ratio")
        if self.ratio is not None and not math.isfinite(self.ratio):
            raise ValueError("ratio must be finite")
        return self


class Unit(Record):
    """A government unit made responsible for a measure (责任单位：市科技局); its span is the name as printed."""

    measure_id: Optional[str] = Field(default=None, description=IN_MEASURE)
    role: UnitRole = Field(description="responsible (责任单位), lead (牵头单位) or cooperating (配合单位)")
    name: str = Field(description="the unit's name as printed: 市科技局, 人民银行济南分行营管部")
    canonical: Optional[str] = Field(default=None, description="full official name with region when known "
                                                               "(市科技局 in a 济南 text → 济南市科学技术局), else null")


class Condition(Record):
    """Who or what qualifies for an amount; one record per clause, shared by the amounts it gates."""

    measure_id: Optional[str] = Field(default=None, description=IN_MEASURE)
    text: str = Field(description="the qualifying clause as printed: 首次通过高新技术企业认定的企业")
    amount_ids: list[str] = Field(default_factory=list, description="ids of the amounts the condition gates")


class Warning(_Model):
    """Something the pipeline could not parse cleanly (never silent)."""

    code: WarningCode = Field(description="the warning's code in the catalogue (schemas/errors.py `Warnings`)")
    message: str = Field(description="the catalogue's message with this document's details filled in (English)")
    span: Optional[Span] = Field(default=None, description="[start, end) code points into `text` of what the "
                                                           "warning is about; null when it concerns the whole file")
    span_utf16: Optional[Span] = Field(default=None, description=SPAN_UTF16)
    evidence: Optional[str] = Field(default=None, description=EVIDENCE)


RECORD_KINDS = ("sections", "measures", "targets", "amounts", "units", "conditions")  # the spanned record lists


class RevisionDocument(_Model):
    """One ingested source file: one revision of one policy."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    policy_id: str = Field(description="stable id of the policy (pol- + 16 hex digits), the same for its draft "
                                       "and final revisions: derived from region + issuer + title with status "
                                       "marks removed, never from the file name")
    revision_id: str = Field(pattern=r"^sha256:[0-9a-f]{64}$",
                             description="sha256: + hex digest of the normalized text; a re-encoded or re-wrapped "
                                         "copy of the same text is the same revision")
    source: Source = Field(description="the file this revision was read from")
    text: str = Field(description="the text every span indexes: for .txt the decoded file content exactly (no "
                                  "newline translation, no trimming); for HTML, DOCX and PDF the extracted plain "
                                  "text")
    metadata: Metadata = Field(description="title, issuer, 发文字号, status, region, period, dates and citations")
    sections: list[Section] = Field(default_factory=list, description="headings that group measures, in text "
                                                                      "order")
    measures: list[Measure] = Field(default_factory=list, description="numbered operative items, in text order")
    targets: list[Target] = Field(default_factory=list, description="quantitative goals, one record per figure")
    amounts: list[Amount] = Field(default_factory=list, description="money and ratio figures granted, budgeted "
                                                                    "or required")
    units: list[Unit] = Field(default_factory=list, description="government units made responsible for measures")
    conditions: list[Condition] = Field(default_factory=list, description="qualifying clauses of amounts")
    warnings: list[Warning] = Field(default_factory=list, description="what could not be parsed cleanly; empty "
                                                                      "when nothing")
    extractor_version: Optional[str] = Field(default=None, description="`<version>+<digest>` of the rules that "
                                                                       "produced this document; null when not "
                                                                       "recorded")

    @model_validator(mode="after")
    def _spans_inside_text(self) -> "RevisionDocument":
        n = len(self.text)
        ids: set[str] = set()
        for kind in RECORD_KINDS:
            for rec in getattr(self, kind):
                if rec.span[1] > n:
                    raise ValueError(f"{kind} {rec.id}: span {list(rec.span)} outside text of length {n}")
                if rec.id in ids:
                    raise ValueError(f"duplicate record id {rec.id!r}")
                ids.add(rec.id)
        for w in self.warnings:
            if w.span is not None and (w.span[1] > n or w.span[0] > w.span[1]):
                raise ValueError(f"warning {w.code}: span {list(w.span)} outside text of length {n}")
        for c in self.metadata.cited:
            if c.span is not None and c.span[1] > n:
                raise ValueError(f"cited {c.title!r}: span outside text")
        self._check_grounding()
        return self

    def _check_grounding(self) -> None:
        """`evidence` is exactly `text[span]` and `span_utf16` the same span in UTF-16 units, where given."""
        utf16 = None
        spanned = [*(r for kind in RECORD_KINDS for r in getattr(self, kind)), *self.warnings, *self.metadata.cited]
        for rec in spanned:
            name = getattr(rec, "id", None) or getattr(rec, "code", None) or getattr(rec, "title", "")
            if rec.span is None:
                if rec.evidence is not None or rec.span_utf16 is not None:
                    raise ValueError(f"{name}: evidence or span_utf16 without a span")
                continue
            if rec.evidence is not None and rec.evidence != self.text[rec.span[0]:rec.span[1]]:
                raise ValueError(f"{name}: evidence is not text[{rec.span[0]}:{rec.span[1]}]")
            if rec.span_utf16 is not None:
                if utf16 is None:
                    from policyflow.extractors.offsets import Utf16Offsets

                    utf16 = Utf16Offsets(self.text)
                if tuple(rec.span_utf16) != utf16.span(rec.span):
                    raise ValueError(f"{name}: span_utf16 {list(rec.span_utf16)} is not span {list(rec.span)} "
                                     "in UTF-16 code units")


class ErrorRecord(_Model):
    """A source file that could not be turned into a revision document."""

    filename: str = Field(description="base name of the file that failed (a review error: the diff's file name)")
    path: str = Field(description="the failed file's absolute path, its identity in the run (a review error: "
                                  "its diffs folder)")
    stage: str = Field(description="where it failed: ingest, extract (or one of its stages: normalize, metadata, "
                                   "structure, numbers, targets), validate, store or review")
    code: ErrorCode = Field(description="the error's code in the catalogue (schemas/errors.py `Errors`)")
    message: str = Field(description="the catalogue's message with this file's details filled in: what happened "
                                     "and what to do (English, one line)")
    row: Optional[int] = Field(default=None, ge=1, description=(
        "the crawl dump's 1-based data row that failed (`path` is the dump's); null for a file or a whole dump"))


class GatedAmount(_Model):
    """An amount a condition gates, as a reader sees it (on `condition` changes)."""

    role: Optional[AmountRole] = Field(default=None, description="the amount's role; null when unknown")
    bound: Optional[Bound] = Field(default=None, description="the amount's bound; null when unknown")
    value_yuan: Optional[int] = Field(default=None, description="money in whole yuan; null for a ratio")
    ratio: Optional[float] = Field(default=None, description="a ratio as a fraction; null for money")
    text: Optional[str] = Field(default=None, description="the figure as printed: `最高50万元`")


_FOR_READERS = " (added or removed: its own; modified: the new revision's; null when the change is of another kind)"


class Change(_Model):
    """One change of a diff. Besides the contract's fields, every record change names what identifies it
    to a reader (on `modified` changes with the new revision's values) and the titles of the measures
    holding it; a renumbered measure's `label` change carries the `group` of its run. Every key a diff
    writes is declared here (extra keys are refused), so the exported schema describes the whole change."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    entity: Entity = Field(description="what changed: metadata, section, measure, target, amount, unit or "
                                       "condition")
    change: ChangeKind = Field(description="added (only in the new revision), removed (only in the old one) or "
                                           "modified (one field changed)")
    field: Optional[str] = Field(default=None, description="modified changes: the one field that changed "
                                                           "(value_yuan, label, text, title, status …); null for "
                                                           "added and removed")
    from_: Any = Field(default=None, alias="from", description="modified changes: the field's value in the old "
                                                               "revision (null when it had none); null otherwise")
    to: Any = Field(default=None, description="modified changes: the field's value in the new revision (null "
                                              "when it has none); null otherwise")
    measure_from: Optional[str] = Field(default=None, description="label of the measure holding the record in the "
                                                                  "old revision (a measure change: its own label); "
                                                                  "null when outside any measure or not in the old "
                                                                  "revision")
    measure_to: Optional[str] = Field(default=None, description="label of the measure holding the record in the "
                                                                "new revision (a measure change: its own label); "
                                                                "null when outside any measure or not in the new "
                                                                "revision")
    from_span: Optional[Span] = Field(default=None, description="[start, end) code points into the old "
                                                                "revision's text: the record there; null for added "
                                                                "records and metadata changes")
    to_span: Optional[Span] = Field(default=None, description="[start, end) code points into the new revision's "
                                                              "text: the record there; null for removed records "
                                                              "and metadata changes")
    from_span_utf16: Optional[Span] = Field(default=None, description="`from_span` in UTF-16 code units; null "
                                                                      "when from_span is null or the old revision "
                                                                      "was stored without span_utf16")
    to_span_utf16: Optional[Span] = Field(default=None, description="`to_span` in UTF-16 code units; null when "
                                                                    "to_span is null or the new revision was stored "
                                                                    "without span_utf16")
    measure_title_from: Optional[str] = Field(default=None, description="title of the measure holding the record "
                                                                        "in the old revision; null when it has none")
    measure_title_to: Optional[str] = Field(default=None, description="title of the measure holding the record "
                                                                      "in the new revision; null when it has none")
    title: Optional[str] = Field(default=None, description="an added or removed measure's (or section's) title; "
                                                           "null otherwise")
    label: Optional[str] = Field(default=None, description="an added or removed section's number as printed; "
                                                           "null otherwise")
    excerpt: Optional[str] = Field(default=None, description="an added or removed measure's opening text (up to "
                                                             "40 characters), number removed; null otherwise")
    group: Optional[str] = Field(default=None, description="label changes: runs of consecutive measures shifted "
                                                           "by one step share a group id (`renumber-1`); null "
                                                           "otherwise")
    indicator: Optional[str] = Field(default=None, description="targets: what is counted" + _FOR_READERS)
    year: Optional[int] = Field(default=None, description="targets: target year" + _FOR_READERS)
    scope: Optional[str] = Field(default=None, description="targets: 全市, 全省 …" + _FOR_READERS)
    value: Optional[float] = Field(default=None, description="added or removed targets: the value in base units; "
                                                             "null otherwise")
    unit: Optional[str] = Field(default=None, description="targets: 家, 元, % …" + _FOR_READERS)
    role: Optional[str] = Field(default=None, description="amounts: subsidy/budget/threshold; units: "
                                                          "responsible/lead/cooperating" + _FOR_READERS)
    bound: Optional[Bound] = Field(default=None, description="amounts: exact/max/min" + _FOR_READERS)
    value_yuan: Optional[int] = Field(default=None, description="added or removed amounts: money in whole yuan; "
                                                                "null for ratios and other changes")
    ratio: Optional[float] = Field(default=None, description="added or removed amounts: the ratio as a fraction; "
                                                             "null for money and other changes")
    condition: Optional[str] = Field(default=None, description="amounts: the text of the condition the amount "
                                                               "depends on (the old revision's when removed); null "
                                                               "when unconditional")
    condition_from: Optional[str] = Field(default=None, description="modified amounts whose condition text "
                                                                    "differs: the old revision's; null otherwise")
    name: Optional[str] = Field(default=None, description="units: the unit's name as printed" + _FOR_READERS)
    text: Optional[str] = Field(default=None, description="added or removed conditions: the clause as printed; "
                                                          "null otherwise")
    amount_ids: Optional[list[str]] = Field(default=None, description="conditions: ids of the amounts it gates "
                                                                      "(new revision's; old one's when removed); "
                                                                      "null for other entities")
    amounts: Optional[list[GatedAmount]] = Field(default=None, description="conditions: the amounts it gates; "
                                                                           "null for other entities")


class Diff(_Model):
    """The changes between two revisions of one policy (old → new)."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    policy_id: str = Field(description="the policy both revisions belong to")
    from_revision: str = Field(description="revision_id of the old revision")
    to_revision: str = Field(description="revision_id of the new revision")
    from_filename: Optional[str] = Field(default=None, description="source file name of the old revision; null "
                                                                   "when unknown")
    to_filename: Optional[str] = Field(default=None, description="source file name of the new revision; null "
                                                                 "when unknown")
    changes: list[Change] = Field(default_factory=list, description="every change: metadata, sections, then the "
                                                                    "new revision's order; empty when the "
                                                                    "revisions do not differ in substance")


EXPORTED = {
    "revision": RevisionDocument,
    "diff": Diff,
    "error": ErrorRecord,
}
