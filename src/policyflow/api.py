"""The library API: one text or one file to the contract's revision record, with no Prefect and no output folder."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from policyflow.schemas.models import RevisionDocument


def extract_text(text: str, *, filename: str = "text.txt", hints: dict | None = None,
                 time_limit: float | None = None) -> RevisionDocument:
    """Extract every record of one decoded text.

    `filename` is what `source.filename` says; `hints` is metadata the source gives beside the
    text (`{"title": …, "date": …, "url": …}`), used only where the text prints nothing (W011).
    `time_limit` (seconds) raises `ExtractionError` E015 past it. Spans index `text` as given.
    """
    from policyflow.flows.documents import build_document
    from policyflow.flows.ingest import Ingested

    if not isinstance(text, str):
        raise TypeError(f"extract_text() takes str, not {type(text).__name__}; use extract_file() for bytes on disk")
    data = text.encode("utf-8", "surrogatepass")
    ing = Ingested(path=Path(filename), filename=filename, text=text, encoding="utf-8", format="text",
                   sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), portal={}, warnings=[])
    return RevisionDocument.model_validate(build_document(ing, time_limit=time_limit, hints=hints))


def extract_file(path: str | os.PathLike, *, hints: dict | None = None, max_bytes: int | None = 20_000_000,
                 time_limit: float | None = None) -> RevisionDocument:
    """Read, decode and extract one file (.txt in any common Chinese encoding, .html, .docx, .pdf).

    Bad input raises `policyflow.schemas.errors.IngestError` with its code (E001–E018) and the file.
    """
    from policyflow.flows.documents import build_document
    from policyflow.flows.ingest import read_document

    ing = read_document(Path(path), max_bytes=max_bytes)
    return RevisionDocument.model_validate(build_document(ing, time_limit=time_limit, hints=hints))
