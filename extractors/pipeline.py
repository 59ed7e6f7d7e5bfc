"""One call from decoded text to the contract's revision record (without `source`)."""
from __future__ import annotations

import hashlib

from extractors import __version__
from extractors.metadata import extract_metadata
from extractors.normalize import Normalized, compact, normalize, revision_digest
from extractors.structure import closing_start, extract_structure
from extractors.units import extract_units



def policy_id(metadata: dict) -> str:
    """Stable id of a policy: region + issuer + title, status marks and width/space differences removed."""
    from extractors.metadata import _STATUS  # the status-mark pattern lives with metadata

    parts = [metadata.get("region") or "", metadata.get("issuer") or "", metadata.get("title") or ""]
    key = "|".join(normalize(_STATUS.sub("", compact(p)), join_breaks=False).text for p in parts)
    return "pol-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def extract(text: str, *, portal: dict | None = None, norm: Normalized | None = None) -> dict:
    """Every extracted field of one document, spans into `text`."""
    norm = norm or normalize(text)
    body_end = closing_start(norm)
    metadata, warnings = extract_metadata(norm, portal=portal, body_end=body_end)
    sections, measures = extract_structure(norm, body_end=body_end)
    doc = {
        "policy_id": policy_id(metadata),
        "revision_id": revision_digest(norm),
        "text": text,
        "metadata": metadata,
        "sections": sections,
        "measures": measures,
        "targets": [],
        "amounts": [],
        "units": extract_units(norm, measures, region=metadata.get("region")),
        "conditions": [],
        "warnings": warnings,
        "extractor_version": __version__,
    }
    if not measures:
        from schemas.errors import warning
        doc["warnings"].append(warning("W004"))
    return doc
