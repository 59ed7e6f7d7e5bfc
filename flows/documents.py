"""One document through ingest, extraction, validation and the store, without Prefect.

Workers (threads, Dask processes, the watchdog's child) run `extract_one`: it stages the document's
JSON under DIR/.staging and never touches DIR/revisions. Which file's JSON becomes the stored
revision is decided once, by `settle`, after every worker has returned: the decision depends on
the set of files only, never on batches, workers or argument order.
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
from policyflow.extractors.pipeline import extract
from policyflow.flows import store
from policyflow.flows.hints import digest as hints_digest
from policyflow.flows.ingest import Ingested, display_name, read_document, sha256_file
from policyflow.schemas.errors import Errors, PolicyflowError
from policyflow.schemas.models import SCHEMA_VERSION, ErrorRecord, RevisionDocument

KINDS = ("sections", "measures", "targets", "amounts", "units", "conditions")
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
    deadline = time.perf_counter() + time_limit if time_limit else None
    doc = extract(ing.text, portal=ing.portal, hints=hints, deadline=deadline)
    doc["source"] = {"filename": ing.filename, "sha256": ing.sha256, "encoding": ing.encoding,
                     "format": ing.format, "size_bytes": ing.size_bytes}
    doc["warnings"] = list(ing.warnings) + doc["warnings"]
    ordered = {"schema_version": SCHEMA_VERSION, "policy_id": doc["policy_id"], "revision_id": doc["revision_id"],
               "source": doc["source"], **doc}
    return RevisionDocument.model_validate(ordered).model_dump(mode="json", by_alias=True)


def source_key(path: Path) -> str:
    """A file's identity in error records and staging: its absolute path (two `x.txt` in two folders differ)."""
    return display_name(os.path.abspath(path))


def error_record(path: Path, exc: BaseException, stage: str, attempts: int = 1) -> dict:
    if isinstance(exc, PolicyflowError):
        code, message, stage = exc.code, exc.message, exc.stage or stage
    else:
        code = "E010" if stage == "validate" else "E009"
        cause = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        message = getattr(Errors, code).format(path=display_name(str(path)), stage=stage, cause=cause)
        if attempts > 1:
            message += f" (after {attempts} attempts)"
    return ErrorRecord(filename=display_name(path.name), path=source_key(path), stage=stage, code=code,
                       message=message).model_dump()


def record_error(out: Path, path: Path, err: dict) -> Outcome:
    store.atomic_write(store.error_path(out, source_key(path)), store.dump_json(err))
    return Outcome(str(path), display_name(path.name), "error", error=err)


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
        entry = json.loads(_cache_path(out, sha, path.suffix, hint).read_text(encoding="utf-8"))
    except (OSError, ValueError, PolicyflowError):
        return None
    if entry.get("extractor") != fingerprint():
        return None
    if not store.revision_path(out, entry["policy_id"], entry["revision_id"]).exists():
        return None
    return Outcome(str(path), display_name(path.name), "ok", entry["policy_id"], entry["revision_id"],
                   entry["counts"], entry["warnings"], source_sha256=sha, cached=True)


def _extract_with_retries(path: Path, root: Path | None, limits: Limits,
                          hint: dict | None = None) -> tuple[dict | None, dict | None]:
    """(document, None) or (None, error record); unexpected failures are retried, bad input is not."""
    for attempt in range(1, ATTEMPTS + 1):
        stage = "ingest"
        report_stage(stage)
        try:
            ing = read_document(path, root=root, max_bytes=limits.max_bytes)
            stage = "extract"
            report_stage(stage)
            return build_document(ing, time_limit=limits.time_limit, hints=hint), None
        except PolicyflowError as exc:
            if exc.code == "E015":
                exc = type(exc)("E015", path=display_name(str(path)), stage=exc.stage,
                                limit=f" of {limits.time_limit:g} s")
            return None, error_record(path, exc, stage)
        except Exception as exc:  # noqa: BLE001 - isolation boundary: every failure becomes a record
            if attempt == ATTEMPTS or isinstance(exc, (ValueError, TypeError, KeyError, IndexError)):
                return None, error_record(path, exc, stage, attempt)
    raise AssertionError("unreachable")


def staging_path(out: Path, path: Path) -> Path:
    return out / ".staging" / f"{hashlib.sha256(os.fsencode(os.path.abspath(path))).hexdigest()[:32]}.json"


def extract_one(path: Path, out: Path, *, root: Path | None = None, use_cache: bool = True,
                limits: Limits = Limits(), hint: dict | None = None) -> Outcome:
    """Ingest, extract and stage one file (the store is written by `settle`). Never raises for bad input."""
    path = Path(path)
    if use_cache and (hit := _cached(out, path, root, limits, hint)):
        return hit
    doc, err = _extract_with_retries(path, root, limits, hint)
    if err:
        return record_error(out, path, err)
    report_stage("store")
    store.error_path(out, source_key(path)).unlink(missing_ok=True)
    staged = staging_path(out, path)
    store.atomic_write(staged, store.dump_json(doc))
    outcome = Outcome(str(path), doc["source"]["filename"], "ok", doc["policy_id"], doc["revision_id"],
                      {k: len(doc[k]) for k in KINDS}, len(doc["warnings"]), source_sha256=doc["source"]["sha256"],
                      staged=str(staged))
    entry = {"extractor": doc["extractor_version"], "policy_id": outcome.policy_id,
             "revision_id": outcome.revision_id, "counts": outcome.counts, "warnings": outcome.warnings}
    store.atomic_write(_cache_path(out, outcome.source_sha256, path.suffix, hint), store.dump_json(entry))
    return outcome


def _rank(o: Outcome) -> tuple:
    """The order in which copies of one revision compete: source bytes, then file name, then place."""
    return (o.source_sha256 or "", o.filename, o.path)


def settle(out: Path, outcomes: list[Outcome], *, redo=None) -> None:
    """Decide, once, which file's JSON is the stored copy of each revision, and store it.

    Copies of one revision (the same text re-encoded, re-wrapped, or with other line ends) compete
    by `_rank`; a stored copy whose source is not in this run keeps its place (first seen wins across
    runs, so re-saving a file in place does not rewrite its revision).
    Every other stored copy of a revision that was just written is removed: that is the only
    prune, so a copy is dropped only when the same revision provably lives elsewhere. `redo(outcome)`
    re-extracts a cached winner whose stored copy is another file's (rare); outcomes are updated
    in place (status ok or duplicate).
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
        if winner.staged is None and (mine.get("sha256"), mine.get("filename")) != (winner.source_sha256,
                                                                                     winner.filename):
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
