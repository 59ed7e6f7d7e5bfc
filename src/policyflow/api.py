"""The library API: a text, a file or a crawl dump's rows to the contract's revision records, with no Prefect
and no output folder."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterator

from policyflow.schemas.models import RevisionDocument


def extract_text(text: str, *, filename: str = "text.txt", hints: dict | None = None,
                 time_limit: float | None = None) -> RevisionDocument:
    """Extract every record of one decoded text.

    `filename` is what `source.filename` says; `hints` is metadata the source gives beside the
    text (`{"title": …, "date": …, "url": …}`), used only where the text prints nothing (W011).
    `time_limit` (seconds) raises `ExtractionError` E015 past it. Spans index `text` as given.
    """
    from policyflow.flows.documents import build_revision
    from policyflow.flows.ingest import Ingested

    if not isinstance(text, str):
        raise TypeError(f"extract_text() takes str, not {type(text).__name__}; use extract_file() for bytes on disk")
    data = text.encode("utf-8", "surrogatepass")
    ing = Ingested(path=Path(filename), filename=filename, text=text, encoding="utf-8", format="text",
                   sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), portal={}, warnings=[])
    return build_revision(ing, time_limit=time_limit, hints=hints)


def extract_file(path: str | os.PathLike, *, hints: dict | None = None, max_bytes: int | None = 20_000_000,
                 time_limit: float | None = None) -> RevisionDocument:
    """Read, decode and extract one file (.txt in any common Chinese encoding, .html, .docx, .pdf).

    Bad input raises `policyflow.schemas.errors.IngestError` with its code (E001–E018) and the file.
    """
    from policyflow.flows.documents import build_revision
    from policyflow.flows.ingest import read_document

    ing = read_document(Path(path), max_bytes=max_bytes)
    return build_revision(ing, time_limit=time_limit, hints=hints)


def extract_rows(path: str | os.PathLike, *, text_column: str | None = None, title_column: str | None = None,
                 date_column: str | None = None, url_column: str | None = None,
                 max_bytes: int | None = 20_000_000, time_limit: float | None = None,
                 skip_errors: bool = False) -> Iterator[RevisionDocument]:
    """Extract every row of a crawl dump (.csv/.tsv/.jsonl/.parquet, one document per row), streaming.

    Columns are found by name as `policyflow extract` finds them (text, content, 正文, 内容…; title,
    date, url as hints), unless named here. Each document's `source.row` is its 1-based data row.
    A row that cannot be a document raises its `PolicyflowError` (E002, E007, E011, E025…), or with
    `skip_errors` is logged on the `policyflow` logger and skipped; a file that is not a readable
    dump raises `IngestError` E024 either way.
    """
    import logging

    from policyflow.flows import dumps
    from policyflow.flows.documents import build_revision
    from policyflow.schemas.errors import PolicyflowError

    path = Path(path)
    columns = dumps.column_names(text=text_column, title=title_column, date=date_column, url=url_column)
    refs, broken = dumps.plan(path, columns, max_bytes=max_bytes)
    if broken is not None and not refs:
        raise broken
    log = logging.getLogger("policyflow")
    for ref in refs:
        try:
            cell = dumps.read_row(path, ref, columns, max_bytes=max_bytes)
            yield build_revision(dumps.ingest_row(path, cell), time_limit=time_limit, hints=cell.hint or None)
        except PolicyflowError as exc:
            if not skip_errors:
                raise
            log.warning("%s", exc)
    if broken is not None:
        if not skip_errors:
            raise broken
        log.warning("%s", broken)
