"""One document through ingest, extraction, validation and the store, without Prefect.

Workers (threads, Dask processes, the watchdog's child) run `extract_one`: it stages the document's
JSON under DIR/.staging and never touches DIR/revisions. Which file's JSON becomes the stored
revision is decided once, by `settle`, after every worker has returned: the decision depends on
the set of files only, never on batches, workers or argument order.

A crawl dump's row (`flows.dumps`) is a document like a file: `extract_one(..., row=ref)` reads that
row alone, caches it by its text cell's bytes and hints, and keys its error record and staging by the
dump's path and the row number, so two rows never overwrite each other.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from policyflow.extractors import fingerprint
from policyflow.flows import dumps, store
from policyflow.flows.hints import digest as hints_digest
from policyflow.flows.ingest import Ingested, display_name, read_document, sha256_file
from policyflow.schemas.errors import Errors, PolicyflowError
from policyflow.schemas.models import RECORD_KINDS, SCHEMA_VERSION, ErrorRecord, RevisionDocument

KINDS = RECORD_KINDS
ATTEMPTS = 3  # an unexpected failure is retried twice before it becomes an error record


def report_stage(stage: str) -> None:
    """Where a document is (ingest, extract, store); the watchdog's child replaces this to tell its parent."""


@dataclass
class Outcome:
    """What happened to one source file: small, so a run over many files stays light."""

    path: str
    filename: str
    status: str  # ok | duplicate | error
    policy_id: str | None = None
    revision_id: str | None = None
    counts: dict = field(default_factory=dict)
    warnings: int = 0
    error: dict | None = None
    source_sha256: str | None = None
    cached: bool = False
    staged: str | None = None  # the extracted JSON waiting for `settle`
    row: int | None = None  # a crawl dump's data row (`path` is the dump's)
    body: str | None = None  # a cached row's `_body_digest`: lets `settle` renumber its stored copy


@dataclass(frozen=True)
class Limits:
    """Per-document bounds: a file over `max_bytes`, a document past `time_limit` seconds or over
    `memory_limit` MB (ingest, extraction and its reviews) is recorded as an error (E011, E015, E017)
    instead of stalling or exhausting the run."""

    max_bytes: int | None = 20_000_000
    time_limit: float | None = 120.0
    memory_limit: int | None = 1024


def build_document(ing: Ingested, *, time_limit: float | None = None, hints: dict | None = None) -> dict:
    """Extract and validate one decoded document; the contract's JSON as a dict."""
    return build_revision(ing, time_limit=time_limit, hints=hints).model_dump(mode="json", by_alias=True)


def build_revision(ing: Ingested, *, time_limit: float | None = None, hints: dict | None = None) -> RevisionDocument:
    """Extract one decoded document into the validated contract model (what the Python API returns)."""
    deadline = time.perf_counter() + time_limit if time_limit else None
    from policyflow.extractors.pipeline import extract  # here: a run's parent process never extracts

    doc = extract(ing.text, portal=ing.portal, hints=hints, deadline=deadline)
    doc["source"] = {"filename": ing.filename, "sha256": ing.sha256, "encoding": ing.encoding,
                     "format": ing.format, "size_bytes": ing.size_bytes, "row": ing.row,
                     "url": (hints or {}).get("url")}
    doc["warnings"] = list(ing.warnings) + doc["warnings"]
    ordered = {"schema_version": SCHEMA_VERSION, "policy_id": doc["policy_id"], "revision_id": doc["revision_id"],
               "source": doc["source"], **doc}
    return RevisionDocument.model_validate(ordered)


def source_key(path: Path, row: int | None = None) -> str:
    """A file's identity in error records and staging: its absolute path (two `x.txt` in two folders differ);
    a dump's row adds its number."""
    key = display_name(os.path.abspath(path))
    return key if row is None else f"{key}#row={row}"


def error_record(path: Path, exc: BaseException, stage: str, attempts: int = 1, row: int | None = None) -> dict:
    if isinstance(exc, PolicyflowError):
        code, message, stage = exc.code, exc.message, exc.stage or stage
    else:
        code = "E010" if stage == "validate" else "E009"
        cause = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        name = display_name(str(path)) if row is None else dumps.row_name(path, row)
        message = getattr(Errors, code).format(path=name, stage=stage, cause=cause)
        if attempts > 1:
            message += f" (after {attempts} attempts)"
    return ErrorRecord(filename=display_name(path.name), path=source_key(path), stage=stage, code=code,
                       message=message, row=row).model_dump()


def record_error(out: Path, path: Path, err: dict) -> Outcome:
    row = err.get("row")
    store.atomic_write(store.error_path(out, source_key(path, row)), store.dump_json(err))
    return Outcome(str(path), display_name(path.name), "error", error=err, row=row)


def _cache_path(out: Path, sha256: str, suffix: str, hint: dict | None = None) -> Path:
    """The cache entry of a file's bytes read as its format (the same bytes as .txt and .docx differ)
    with its source hints (other hints, other metadata)."""
    tag = f"-{hints_digest(hint)}" if hint else ""
    return out / ".cache" / f"{sha256}{suffix.lower()}{tag}.json"


def _cached(out: Path, path: Path, root: Path | None, limits: Limits, hint: dict | None) -> Outcome | None:
    """The stored outcome of a file whose bytes, hints and extractor fingerprint are unchanged, else None.

    The file is looked at before it is read and hashed by streaming: a FIFO, a device or a huge
    file is left to `extract_one`, which records why it cannot be read.
    """
    try:
        sha = sha256_file(path, root=root, max_bytes=limits.max_bytes)
    except (OSError, PolicyflowError):
        return None
    if (entry := _cache_entry(out, _cache_path(out, sha, path.suffix, hint))) is None:
        return None
    return _cached_outcome(path, entry, sha)


def _extract_with_retries(path: Path, root: Path | None, limits: Limits, hint: dict | None = None,
                          read=None, row: int | None = None) -> tuple[dict | None, dict | None]:
    """(document, None) or (None, error record); unexpected failures are retried, bad input is not.

    `read()` gives the decoded document (a dump's row); by default the file is read."""
    name = display_name(str(path)) if row is None else dumps.row_name(path, row)
    for attempt in range(1, ATTEMPTS + 1):
        stage = "ingest"
        report_stage(stage)
        try:
            ing = read() if read else read_document(path, root=root, max_bytes=limits.max_bytes)
            stage = "extract"
            report_stage(stage)
            return build_document(ing, time_limit=limits.time_limit, hints=hint), None
        except PolicyflowError as exc:
            if exc.code == "E015":
                exc = type(exc)("E015", path=name, stage=exc.stage, limit=f" of {limits.time_limit:g} s")
            return None, error_record(path, exc, stage, row=row)
        except Exception as exc:  # noqa: BLE001 - isolation boundary: every failure becomes a record
            if attempt == ATTEMPTS or isinstance(exc, (ValueError, TypeError, KeyError, IndexError)):
                return None, error_record(path, exc, stage, attempt, row=row)
    raise AssertionError("unreachable")


def staging_path(out: Path, path: Path, row: int | None = None) -> Path:
    key = os.fsencode(os.path.abspath(path)) + (b"" if row is None else b"#row=%d" % row)
    return out / ".staging" / f"{hashlib.sha256(key).hexdigest()[:32]}.json"


def extract_one(path: Path, out: Path, *, root: Path | None = None, use_cache: bool = True,
                limits: Limits = Limits(), hint: dict | None = None, row: list | None = None,
                columns: dict | None = None) -> Outcome:
    """Ingest, extract and stage one file, or with `row` (a reference from `dumps.plan`) one row of the
    crawl dump `path` read through `columns` (the store is written by `settle`). Never raises for bad input."""
    path = Path(path)
    if row is not None:
        return _extract_row(path, out, row, root=root, use_cache=use_cache, limits=limits, columns=columns)
    if use_cache and (hit := _cached(out, path, root, limits, hint)):
        return hit
    doc, err = _extract_with_retries(path, root, limits, hint)
    if err:
        return record_error(out, path, err)
    return _stage(out, path, doc, _cache_path(out, doc["source"]["sha256"], path.suffix, hint))


def _stage(out: Path, path: Path, doc: dict, cache: Path, row: int | None = None) -> Outcome:
    """Stage an extracted document for `settle` and remember it in the incremental cache."""
    report_stage("store")
    store.error_path(out, source_key(path, row)).unlink(missing_ok=True)
    staged = staging_path(out, path, row)
    store.atomic_write(staged, store.dump_json(doc))
    outcome = Outcome(str(path), doc["source"]["filename"], "ok", doc["policy_id"], doc["revision_id"],
                      {k: len(doc[k]) for k in KINDS}, len(doc["warnings"]), source_sha256=doc["source"]["sha256"],
                      staged=str(staged), row=row)
    entry = {"extractor": doc["extractor_version"], "policy_id": outcome.policy_id,
             "revision_id": outcome.revision_id, "counts": outcome.counts, "warnings": outcome.warnings}
    if row is not None:
        entry["body"] = _body_digest(doc)
    store.atomic_write(cache, store.dump_json(entry))
    return outcome


def _extract_row(path: Path, out: Path, ref: list, *, root: Path | None, use_cache: bool, limits: Limits,
                 columns: dict | None) -> Outcome:
    """One row of a crawl dump: read alone, cached by its text cell's bytes, encoding and hints (title, date,
    url cells), so an unchanged row is not re-extracted whatever else changed in the dump."""
    row = ref[0]
    report_stage("ingest")
    try:
        cell = dumps.read_row(path, ref, columns, root=root, max_bytes=limits.max_bytes)
    except Exception as exc:  # noqa: BLE001 - isolation boundary: every failure (coded or not) becomes a record
        return record_error(out, path, error_record(path, exc, "ingest", row=row))
    hint = cell.hint or None
    cache = _cache_path(out, cell.sha256, f".row-{cell.encoding}", hint)
    if use_cache and (entry := _cache_entry(out, cache)):
        return _cached_outcome(path, entry, cell.sha256, row)
    doc, err = _extract_with_retries(path, root, limits, hint, read=lambda: dumps.ingest_row(path, cell), row=row)
    if err:
        return record_error(out, path, err)
    return _stage(out, path, doc, cache, row)


def _cache_entry(out: Path, cache: Path) -> dict | None:
    """A cache entry made by this extractor whose revision is still stored, else None."""
    try:
        entry = json.loads(cache.read_text(encoding="utf-8"))
        if entry.get("extractor") != fingerprint():
            return None
        if not store.revision_path(out, entry["policy_id"], entry["revision_id"]).exists():
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return entry


def _cached_outcome(path: Path, entry: dict, sha256: str, row: int | None = None) -> Outcome:
    """The outcome of a document (a file, or a dump's row) the cache already holds."""
    return Outcome(str(path), display_name(path.name), "ok", entry["policy_id"], entry["revision_id"],
                   entry["counts"], entry["warnings"], source_sha256=sha256, cached=True, row=row,
                   body=entry.get("body"))


def _body_digest(doc: dict) -> str:
    """A digest of a revision document apart from where it was found (file name, row): two documents with the
    same digest differ only there."""
    rest = dict(doc, source={k: v for k, v in doc["source"].items() if k not in ("filename", "row")})
    return hashlib.sha256(store.dump_json(rest)).hexdigest()


def _rank(o: Outcome) -> tuple:
    """The order in which copies of one revision compete: source bytes, then file name, then place (a dump's
    rows by number)."""
    return (o.source_sha256 or "", o.filename, o.path, o.row or 0)


def settle(out: Path, outcomes: list[Outcome], *, redo=None) -> None:
    """Decide, once, which file's JSON is the stored copy of each revision, and store it.

    Copies of one revision (the same text re-encoded, re-wrapped, or with other line ends) compete
    by `_rank`; a stored copy whose source is not in this run keeps its place (first seen wins across
    runs, so re-saving a file in place does not rewrite its revision).
    Every other stored copy of a revision that was just written is removed: that is the only
    prune, so a copy is dropped only when the same revision provably lives elsewhere. `redo(outcome)`
    re-extracts a cached winner whose stored copy is another file's (rare); outcomes are updated
    in place (status ok or duplicate). A dump row whose stored copy differs only by its row number (rows
    inserted above it) gets the number rewritten in place instead: nothing is re-extracted.
    """
    copies: dict[str, list[Path]] = defaultdict(list)
    for p in (out / "revisions").glob("*/*.json"):
        copies[store.revision_id_of(p)].append(p)
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.status in ("ok", "duplicate") and o.revision_id:
            o.status = "ok"
            groups[o.revision_id].append(o)
    for rid, group in groups.items():
        group.sort(key=_rank)
        stored = {p: store.stored_source(p) for p in copies.get(rid, [])}
        own = {(o.source_sha256, o.filename) for o in group}
        outside = [(s.get("sha256") or "", s.get("filename") or "") for s in stored.values()
                   if (s.get("sha256"), s.get("filename")) not in own]
        winner = group[0]
        for o in group[1:]:
            o.status = "duplicate"
        if outside:
            winner.status = "duplicate"
            _discard(group)
            continue
        target = store.revision_path(out, winner.policy_id, rid)
        mine = stored.get(target, {})
        if (winner.staged is None and (mine.get("sha256"), mine.get("filename"), mine.get("row"))
                != (winner.source_sha256, winner.filename, winner.row) and not _renumber(target, mine, winner)):
            if redo is None:
                continue
            redone = redo(winner)
            if redone.status != "ok" or redone.revision_id != rid:
                continue
            winner.staged, winner.policy_id = redone.staged, redone.policy_id
            target = store.revision_path(out, winner.policy_id, rid)
        if winner.staged:
            store.atomic_write(target, Path(winner.staged).read_bytes())
        for p in stored:
            if p != target:
                p.unlink(missing_ok=True)
        _discard(group)


def _renumber(target: Path, mine: dict, winner: Outcome) -> bool:
    """Give a cached row's stored copy the row's current number when nothing else differs (same cell bytes,
    same document apart from file name and row: `_body_digest` recorded in the cache); False otherwise."""
    if winner.row is None or not winner.body or (mine.get("sha256"), mine.get("filename")) != (
            winner.source_sha256, winner.filename):
        return False
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if doc.get("extractor_version") != fingerprint() or _body_digest(doc) != winner.body:
        return False
    doc["source"]["row"] = winner.row
    store.atomic_write(target, store.dump_json(doc))
    return True


def _discard(group: list[Outcome]) -> None:
    for o in group:
        if o.staged:
            Path(o.staged).unlink(missing_ok=True)
            o.staged = None


def process_document(path: Path, out: Path, *, root: Path | None = None, use_cache: bool = True,
                     limits: Limits = Limits(), hint: dict | None = None) -> Outcome:
    """Ingest, extract and store one file on its own (the flow settles a whole run at once)."""
    outcome = extract_one(path, out, root=root, use_cache=use_cache, limits=limits, hint=hint)
    settle(out, [outcome], redo=lambda o: extract_one(Path(o.path), out, root=root, use_cache=False,
                                                      limits=limits, hint=hint))
    return outcome
