"""One call from decoded text to the contract's revision record (without `source`)."""
from __future__ import annotations

import hashlib
import time

from policyflow.extractors import fingerprint
from policyflow.extractors.metadata import extract_metadata
from policyflow.extractors.normalize import Normalized, compact, normalize, revision_digest
from policyflow.extractors.anatomy import anatomy
from policyflow.extractors.structure import extract_structure
from policyflow.extractors.amounts import extract_amounts
from policyflow.extractors.clauses import MAX_FIGURES
from policyflow.extractors.numbers import find_quantities
from policyflow.extractors.offsets import Utf16Offsets, ground
from policyflow.extractors.targets import extract_targets
from policyflow.extractors.units import extract_units, measure_index
from policyflow.schemas.models import RECORD_KINDS



def policy_id(metadata: dict) -> str:
    """Stable id of a policy: region + issuer + title, status marks and width/space differences removed."""
    from policyflow.extractors.metadata import _STATUS  # the status-mark pattern lives with metadata

    parts = [metadata.get("region") or "", metadata.get("issuer") or "", metadata.get("title") or ""]
    key = "|".join(normalize(_STATUS.sub("", compact(p)), join_breaks=False).text for p in parts)
    return "pol-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _goal_spans(sections: list[dict]) -> list[tuple[int, int]]:
    """Original-text ranges of 目标 sections: from the heading to the next heading of the same or higher rank."""
    out = []
    for i, s in enumerate(sections):
        if "目标" in s["title"] or "指标" in s["title"]:
            end = next((n["span"][0] for n in sections[i + 1:] if n["level"] <= s["level"]), None)
            out.append((s["span"][0], end if end is not None else 10**12))
    return out


def ground_spans(doc: dict) -> dict:
    """Every span of the document gets its `evidence` (`text[start:end]`, exactly) and `span_utf16`: records,
    spanned warnings and cited documents. The one place these are filled; extractors only give spans."""
    text = doc["text"]
    utf16 = Utf16Offsets(text)
    for kind in RECORD_KINDS:
        for rec in doc[kind]:
            ground(rec, text, utf16)
    for rec in (*doc["warnings"], *(doc["metadata"].get("cited") or ())):
        ground(rec, text, utf16)
    return doc


def _check(deadline: float | None, stage: str) -> None:
    if deadline is not None and time.perf_counter() > deadline:
        from policyflow.schemas.errors import ExtractionError

        raise ExtractionError("E015", stage=stage, path="the document", limit="")


def extract(text: str, *, portal: dict | None = None, hints: dict | None = None, norm: Normalized | None = None,
            deadline: float | None = None) -> dict:
    """Every extracted field of one document, spans into `text`.

    `hints` is metadata the source gives beside the text (a crawl's title and date columns:
    `{"title": …, "date": …}`); it fills only what the text does not print, with a W011 warning.
    `deadline` (a `time.perf_counter()` value) is checked between stages: past it, ExtractionError
    E015 is raised, so one pathological document cannot stall a run.
    """
    norm = norm or normalize(text)
    _check(deadline, "normalize")
    parts = anatomy(norm)
    metadata, warnings = extract_metadata(norm, portal=portal, hints=hints, body_end=parts.body_end)
    _check(deadline, "metadata")
    sections, measures = extract_structure(norm, body_start=parts.body_start, body_end=parts.body_end)
    _check(deadline, "structure")
    in_measure = measure_index(measures)
    quantities = find_quantities(norm.text)
    if len(quantities) > MAX_FIGURES:
        from policyflow.schemas.errors import warning

        warnings.append(warning("W009", span=norm.span(quantities[MAX_FIGURES].start, len(norm.text)),
                                found=len(quantities), limit=MAX_FIGURES))
        quantities = quantities[:MAX_FIGURES]
    _check(deadline, "numbers")
    targets, used = extract_targets(norm, quantities, in_measure=in_measure, goal_spans=_goal_spans(sections))
    _check(deadline, "targets")
    amounts, conditions, amount_warnings = extract_amounts(norm, quantities, used, in_measure=in_measure)
    warnings.extend(amount_warnings)
    doc = {
        "policy_id": policy_id(metadata),
        "revision_id": revision_digest(norm),
        "text": text,
        "metadata": metadata,
        "sections": sections,
        "measures": measures,
        "targets": targets,
        "amounts": amounts,
        "units": extract_units(norm, measures, region=metadata.get("region")),
        "conditions": conditions,
        "warnings": warnings,
        "extractor_version": fingerprint(),
    }
    if not measures:
        from policyflow.schemas.errors import warning
        doc["warnings"].append(warning("W004"))
    return ground_spans(doc)
