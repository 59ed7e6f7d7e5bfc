"""Pydantic models of the output contract (CONTRACT.md, version 1.1).

These models are the single source of truth: the JSON written per revision, the Parquet
columns and the exported JSON Schema files all derive from them. Fields named by the
contract are never renamed or dropped; extra fields are additions.

Documents are written with `SCHEMA_VERSION`; readers accept every version in
`ACCEPTED_SCHEMA_VERSIONS` (1.1 only added fields and values, so a 1.0 document reads as a
1.1 one whose `metadata.notice_title` is null). Changes in 1.1: `metadata.notice_title`;
the `title` of a notice that issues one policy is that policy's own title; diff entity
`condition`. Added within 1.1 (optional, so earlier 1.1 documents still read): `evidence` and
`span_utf16` beside every `span` (diff changes: `from_span_utf16`, `to_span_utf16`).
"""
from __future__ import annotations

import math
from enum import Enum
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

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
SPAN_UTF16 = ("the same [start, end) as `span` in UTF-16 code units, for JavaScript, Java and C# strings "
              "(`text.slice(start, end)` in JS); differs from `span` after any character above U+FFFF "
              "(𠮷 counts 2); null when `span` is null or the document was written before this field existed")
EVIDENCE = ("the source text the record is based on: exactly `text[span[0]:span[1]]`, as printed (line "
            "breaks, widths and spaces kept); null when `span` is null or the document was written before "
            "this field existed")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, validate_default=True)


class SourceFormat(str, Enum):
    text = "text"
    html = "html"
    docx = "docx"
    pdf = "pdf"


class Status(str, Enum):
    draft = "draft"
    final = "final"


class AmountRole(str, Enum):
    subsidy = "subsidy"
    budget = "budget"
    threshold = "threshold"


class Bound(str, Enum):
    exact = "exact"
    max = "max"
    min = "min"


class Per(str, Enum):
    project = "project"
    entity = "entity"
    person = "person"
    year = "year"
    once = "once"


class Comparator(str, Enum):
    ge = ">="
    gt = ">"
    eq = "="
    le = "<="
    lt = "<"
    approx = "~"


class UnitRole(str, Enum):
    responsible = "responsible"
    lead = "lead"
    cooperating = "cooperating"


class Entity(str, Enum):
    metadata = "metadata"
    section = "section"
    measure = "measure"
    target = "target"
    amount = "amount"
    unit = "unit"
    condition = "condition"  # since 1.1: a qualifying clause added, removed or reworded


class ChangeKind(str, Enum):
    added = "added"
    removed = "removed"
    modified = "modified"


def _check_span(span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    if start < 0 or end < start:
        raise ValueError(f"span {list(span)} is not a [start, end) pair with 0 <= start <= end")
    return span


class Source(_Model):
    filename: str = Field(description="base name of the source file")
    sha256: str = Field(description="hex digest of the raw bytes")
    encoding: Optional[str] = Field(description="detected encoding: utf-8, gb18030, utf-16, ... (null for binary formats)")
    format: SourceFormat
    size_bytes: int = Field(ge=0)


class Period(_Model):
    start: Optional[int] = None
    end: Optional[int] = None


class Cited(_Model):
    title: str
    doc_number: Optional[str] = None
    span: Optional[Span] = None
    span_utf16: Optional[Span] = Field(default=None, description=SPAN_UTF16)
    evidence: Optional[str] = Field(default=None, description=EVIDENCE)


class Metadata(_Model):
    title: Optional[str] = Field(default=None, description=(
        "the policy's own title as printed, without status marks or a leading issuer; for a notice that "
        "issues or forwards one policy (关于印发《X》的通知), that policy's title X as printed above its "
        "body; a notice issuing several documents keeps its own title"))
    notice_title: Optional[str] = Field(default=None, description=(
        "(since 1.1) the notice's own title, issuer removed, when the text is a notice that issues or "
        "forwards other documents (关于印发《X》的通知, …印发…的通知, a 决定 that republishes a "
        "regulation); else null"))
    issuer: Optional[str] = None
    doc_number: Optional[str] = None
    status: Status = Status.final
    region: Optional[str] = None
    period: Optional[Period] = None
    issue_date: Optional[str] = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    cited: list[Cited] = Field(default_factory=list)
    index_number: Optional[str] = Field(default=None, description="索引号 from a portal metadata table")
    publish_date: Optional[str] = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                        description="发布日期 from a portal metadata table")


class Record(_Model):
    id: str
    span: Span
    span_utf16: Optional[Span] = Field(default=None, description=SPAN_UTF16)
    evidence: Optional[str] = Field(default=None, description=EVIDENCE)

    @field_validator("span")
    @classmethod
    def _span_ok(cls, v: tuple[int, int]) -> tuple[int, int]:
        return _check_span(v)


class Section(Record):
    label: str
    title: str
    level: int = Field(ge=1, le=4)
    parent_id: Optional[str] = Field(default=None, description="the enclosing section, if any")


class Measure(Record):
    label: str
    title: Optional[str] = None
    level: int = Field(ge=1, le=4)
    section_id: Optional[str] = None


class Target(Record):
    measure_id: Optional[str] = None
    year: Optional[int] = None
    indicator: str
    scope: Optional[str] = None
    value: float
    value_max: Optional[float] = None
    unit: str
    comparator: Comparator
    aspirational: bool = False

    @field_validator("value", "value_max")
    @classmethod
    def _finite(cls, v: Optional[float]) -> Optional[float]:
        if v is not None and (not math.isfinite(v) or v < 0):
            raise ValueError(f"target value {v} must be finite and non-negative")
        return v


class Amount(Record):
    measure_id: Optional[str] = None
    role: AmountRole
    bound: Bound
    value_yuan: Optional[int] = Field(default=None, ge=0)
    ratio: Optional[float] = Field(default=None, ge=0)
    basis: Optional[str] = None
    per: list[Per] = Field(default_factory=list)
    condition_id: Optional[str] = None

    @model_validator(mode="after")
    def _one_value(self) -> "Amount":
        if (self.value_yuan is None) == (self.ratio is None):
            raise ValueError("an amount has exactly one of value_yuan or ratio")
        if self.ratio is not None and not math.isfinite(self.ratio):
            raise ValueError("ratio must be finite")
        return self


class Unit(Record):
    measure_id: Optional[str] = None
    role: UnitRole
    name: str
    canonical: Optional[str] = None


class Condition(Record):
    measure_id: Optional[str] = None
    text: str
    amount_ids: list[str] = Field(default_factory=list)


class Warning(_Model):
    code: str
    message: str
    span: Optional[Span] = None
    span_utf16: Optional[Span] = Field(default=None, description=SPAN_UTF16)
    evidence: Optional[str] = Field(default=None, description=EVIDENCE)


_KINDS = ("sections", "measures", "targets", "amounts", "units", "conditions")


class RevisionDocument(_Model):
    """One ingested source file: one revision of one policy."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    policy_id: str
    revision_id: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    source: Source
    text: str
    metadata: Metadata
    sections: list[Section] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    amounts: list[Amount] = Field(default_factory=list)
    units: list[Unit] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)
    warnings: list[Warning] = Field(default_factory=list)
    extractor_version: Optional[str] = Field(default=None, description="version of the rules that produced this")

    @model_validator(mode="after")
    def _spans_inside_text(self) -> "RevisionDocument":
        n = len(self.text)
        ids: set[str] = set()
        for kind in _KINDS:
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
        spanned = [*(r for kind in _KINDS for r in getattr(self, kind)), *self.warnings, *self.metadata.cited]
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

    filename: str
    path: str
    stage: str
    code: str
    message: str


class GatedAmount(_Model):
    """An amount a condition gates, as a reader sees it (on `condition` changes)."""

    role: Optional[AmountRole] = None
    bound: Optional[Bound] = None
    value_yuan: Optional[int] = None
    ratio: Optional[float] = None
    text: Optional[str] = Field(default=None, description="the figure as printed: `最高50万元`")


class Change(_Model):
    """One change of a diff. Besides the contract's fields, every record change names what identifies it
    to a reader (on `modified` changes with the new revision's values) and the titles of the measures
    holding it; a renumbered measure's `label` change carries the `group` of its run."""

    model_config = ConfigDict(extra="allow", use_enum_values=True)

    entity: Entity
    change: ChangeKind
    field: Optional[str] = None
    from_: Any = Field(default=None, alias="from")
    to: Any = None
    measure_from: Optional[str] = None
    measure_to: Optional[str] = None
    from_span: Optional[Span] = None
    to_span: Optional[Span] = None
    from_span_utf16: Optional[Span] = Field(default=None, description="`from_span` in UTF-16 code units; null "
                                                                      "when from_span is null or the old revision "
                                                                      "was stored without span_utf16")
    to_span_utf16: Optional[Span] = Field(default=None, description="`to_span` in UTF-16 code units; null when "
                                                                    "to_span is null or the new revision was stored "
                                                                    "without span_utf16")
    measure_title_from: Optional[str] = Field(default=None, description="title of the measure holding the record "
                                                                        "in the old revision")
    measure_title_to: Optional[str] = Field(default=None, description="title of the measure holding the record "
                                                                      "in the new revision")
    title: Optional[str] = Field(default=None, description="an added or removed measure's (or section's) title")
    excerpt: Optional[str] = Field(default=None, description="an added or removed measure's opening text, "
                                                             "number removed")
    group: Optional[str] = Field(default=None, description="label changes: runs of consecutive measures shifted "
                                                           "by one step share a group id (`renumber-1`)")
    indicator: Optional[str] = Field(default=None, description="targets: what is counted")
    year: Optional[int] = Field(default=None, description="targets: target year")
    scope: Optional[str] = Field(default=None, description="targets: 全市, 全省 …")
    value: Optional[float] = Field(default=None, description="added or removed targets: the value")
    unit: Optional[str] = Field(default=None, description="targets: 家, 元, % …")
    role: Optional[str] = Field(default=None, description="amounts: subsidy/budget/threshold; units: "
                                                          "responsible/lead/cooperating")
    bound: Optional[Bound] = Field(default=None, description="amounts: exact/max/min")
    value_yuan: Optional[int] = Field(default=None, description="added or removed amounts: yuan")
    ratio: Optional[float] = Field(default=None, description="added or removed amounts: ratio")
    condition: Optional[str] = Field(default=None, description="amounts: the text of the condition the amount "
                                                               "depends on (the old revision's when removed)")
    condition_from: Optional[str] = Field(default=None, description="modified amounts whose condition text "
                                                                    "differs: the old revision's")
    name: Optional[str] = Field(default=None, description="units: the unit's name as printed")
    text: Optional[str] = Field(default=None, description="added or removed conditions: the clause as printed")
    amount_ids: Optional[list[str]] = Field(default=None, description="conditions: ids of the amounts it gates "
                                                                      "(new revision's; old one's when removed)")
    amounts: Optional[list[GatedAmount]] = Field(default=None, description="conditions: the amounts it gates")


class Diff(_Model):
    schema_version: SchemaVersion = SCHEMA_VERSION
    policy_id: str
    from_revision: str
    to_revision: str
    from_filename: Optional[str] = None
    to_filename: Optional[str] = None
    changes: list[Change] = Field(default_factory=list)


EXPORTED = {
    "revision": RevisionDocument,
    "diff": Diff,
    "error": ErrorRecord,
}
