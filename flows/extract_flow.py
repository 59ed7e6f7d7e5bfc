"""The main flow: ingest -> extract -> validate -> store each document, then tables, catalog and reviews.

Tasks have side effects (they write the store), so none is cached by Prefect: the store's own
content-hash cache decides what is re-extracted. Documents travel in batches (one Prefect task per batch: a task costs ~5 ms of orchestration,
a document ~5 ms of extraction), so orchestration stays a small share of the run. Locally the
batches run one at a time (threads only add GIL contention to CPU-bound work); for parallelism
run on Dask (`--workers N` or `--dask-address`). One broken
document yields an error record (file, stage, cause) and never sinks the run. A document whose
bytes and extractor fingerprint are unchanged since the last run is not re-extracted.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.artifacts import create_markdown_artifact
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from extractors import fingerprint
from extractors.pipeline import extract
from flows import store
from flows.hints import Hints, digest as hints_digest, load_hints
from flows.ingest import Ingested, iter_sources, read_document
from flows.review import review_new_revisions
from schemas.errors import Errors, PolicyflowError
from schemas.models import SCHEMA_VERSION, ErrorRecord, RevisionDocument

KINDS = ("sections", "measures", "targets", "amounts", "units", "conditions")
ATTEMPTS = 3  # an unexpected failure is retried twice before it becomes an error record


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


def _error(path: Path, exc: BaseException, stage: str, attempts: int = 1) -> dict:
    if isinstance(exc, PolicyflowError):
        code, message, stage = exc.code, exc.message, exc.stage or stage
    else:
        code = "E010" if stage == "validate" else "E009"
        cause = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        message = getattr(Errors, code).format(path=path, stage=stage, cause=cause)
        if attempts > 1:
            message += f" (after {attempts} attempts)"
    return ErrorRecord(filename=path.name, path=str(path), stage=stage, code=code, message=message).model_dump()


def _cache_path(out: Path, sha256: str, suffix: str, hint: dict | None = None) -> Path:
    """The cache entry of a file's bytes read as its format (the same bytes as .txt and .docx differ)
    with its source hints (other hints, other metadata)."""
    tag = f"-{hints_digest(hint)}" if hint else ""
    return out / ".cache" / f"{sha256}{suffix.lower()}{tag}.json"


def _cached(out: Path, path: Path, hint: dict | None = None) -> Outcome | None:
    """The stored outcome of a file whose bytes, hints and extractor fingerprint are unchanged, else None."""
    try:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        entry = json.loads(_cache_path(out, sha, path.suffix, hint).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if entry.get("extractor") != fingerprint():
        return None
    if not store.revision_path(out, entry["policy_id"], entry["revision_id"]).exists():
        return None
    return Outcome(str(path), path.name, entry["status"], entry["policy_id"], entry["revision_id"], entry["counts"],
                   entry["warnings"], source_sha256=sha, cached=True)


@dataclass(frozen=True)
class Limits:
    """Per-document limits: a file over `max_bytes` or an extraction over `time_limit` seconds is recorded
    as an error (E011, E015) instead of stalling the run."""

    max_bytes: int | None = 20_000_000
    time_limit: float | None = 120.0


def _extract_with_retries(path: Path, root: Path | None, limits: Limits,
                          hint: dict | None = None) -> tuple[dict | None, dict | None]:
    """(document, None) or (None, error record); unexpected failures are retried, bad input is not."""
    for attempt in range(1, ATTEMPTS + 1):
        stage = "ingest"
        try:
            ing = read_document(path, root=root, max_bytes=limits.max_bytes)
            stage = "extract"
            return build_document(ing, time_limit=limits.time_limit, hints=hint), None
        except PolicyflowError as exc:
            if exc.code == "E015":
                exc = type(exc)("E015", path=str(path), stage=exc.stage, limit=f" of {limits.time_limit:g} s")
            return None, _error(path, exc, stage)
        except Exception as exc:  # noqa: BLE001 - isolation boundary: every failure becomes a record
            if attempt == ATTEMPTS or isinstance(exc, (ValueError, TypeError, KeyError, IndexError)):
                return None, _error(path, exc, stage, attempt)
    raise AssertionError("unreachable")


def process_document(path: Path, out: Path, *, root: Path | None = None, use_cache: bool = True,
                     limits: Limits = Limits(), hint: dict | None = None) -> Outcome:
    """Ingest, extract and store one file. Never raises for bad input."""
    if use_cache and (hit := _cached(out, path, hint)):
        return hit
    doc, err = _extract_with_retries(path, root, limits, hint)
    if err:
        store.atomic_write(store.error_path(out, path.name), store.dump_json(err))
        return Outcome(str(path), path.name, "error", error=err)
    store.error_path(out, path.name).unlink(missing_ok=True)
    target = store.revision_path(out, doc["policy_id"], doc["revision_id"])
    status = "ok"
    if target.exists():
        stored = json.loads(target.read_text(encoding="utf-8"))
        if stored["source"]["sha256"] != doc["source"]["sha256"]:
            status = "duplicate"  # the same revision from another file (re-encoded, re-wrapped): first seen wins
    if status == "ok":
        store.atomic_write(target, store.dump_json(doc))
    outcome = Outcome(str(path), path.name, status, doc["policy_id"], doc["revision_id"],
                      {k: len(doc[k]) for k in KINDS}, len(doc["warnings"]), source_sha256=doc["source"]["sha256"])
    entry = {"extractor": doc["extractor_version"], "status": status, "policy_id": outcome.policy_id,
             "revision_id": outcome.revision_id, "counts": outcome.counts, "warnings": outcome.warnings}
    store.atomic_write(_cache_path(out, outcome.source_sha256, path.suffix, hint), store.dump_json(entry))
    return outcome


@task(name="extract-batch", retries=1, task_run_name="extract {items[0][0]} (+{size})", cache_policy=NO_CACHE)
def extract_batch(items: list[tuple[str, str | None]], out: str, use_cache: bool = True, size: int = 0,
                  max_bytes: int | None = None, time_limit: float | None = None,
                  hints: dict[str, dict] | None = None) -> str:
    """A batch of documents; returns the outcomes as one JSON string.

    A string is cheap to ship back from a Dask worker, and Prefect does not walk it the way it
    walks nested task results (which cost more than the cached documents themselves).
    """
    outcomes = []
    for path, root in items:
        o = process_document(Path(path), Path(out), root=Path(root) if root else None, use_cache=use_cache,
                             limits=Limits(max_bytes, time_limit), hint=(hints or {}).get(path))
        if o.error:
            get_run_logger().warning("%s: %s", o.filename, o.error["message"])
        outcomes.append(o.__dict__)
    return json.dumps(outcomes, ensure_ascii=False)


@task(name="register-revisions", cache_policy=NO_CACHE)
def register_revisions(out: Path, stored: list[dict], written: list[str], first_seen: str) -> list[str]:
    """Record revisions not in the registry yet (also those a killed run stored but never registered)."""
    if written:
        store.prune_moved(out, set(written))
    return store.register(out, stored, first_seen)


@task(name="write-tables", cache_policy=NO_CACHE)
def write_outputs(out: Path, errors: list[dict], changed: bool) -> dict[str, int]:
    if not changed and (counts := store.tables_current(out, errors)):
        return counts  # nothing changed since the tables were written
    counts = store.write_tables(out, store.iter_revisions(out), errors)
    store.write_catalog(out)
    return counts


@task(name="write-diffs", cache_policy=NO_CACHE)
def write_diffs(out: Path, new: list[tuple[str, str]]) -> list[str]:
    return [str(p["html"]) for p in review_new_revisions(out, new)]


def summarize(outcomes: list[Outcome], table_counts: dict[str, int]) -> dict:
    records = Counter()
    for o in outcomes:
        records.update(o.counts)
    return {
        "documents": len(outcomes),
        "extracted": sum(o.status == "ok" and not o.cached for o in outcomes),
        "unchanged": sum(o.cached for o in outcomes),
        "duplicates": sum(o.status == "duplicate" for o in outcomes),
        "errors": [o.error for o in outcomes if o.error],
        "warnings": sum(o.warnings for o in outcomes),
        "records": {k: records.get(k, 0) for k in KINDS},
        "stored_revisions": table_counts.get("documents", 0),
    }


def summary_markdown(summary: dict) -> str:
    lines = ["# policyflow extract", "",
             "| documents | extracted | unchanged | duplicates | warnings | errors | seconds |",
             "|---|---|---|---|---|---|---|",
             f"| {summary['documents']} | {summary['extracted']} | {summary.get('unchanged', 0)} | "
             f"{summary['duplicates']} | {summary['warnings']} | {len(summary['errors'])} | "
             f"{summary.get('seconds', '')} |", "",
             "| kind | records |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in summary["records"].items()]
    if summary["errors"]:
        lines += ["", "## Errors", "", "| file | stage | code | message |", "|---|---|---|---|"]
        lines += [f"| {e['filename']} | {e['stage']} | {e['code']} | {e['message']} |" for e in summary["errors"]]
    return "\n".join(lines) + "\n"


def resolve_inputs(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """(file, root) pairs: a folder argument is the root its files must stay inside."""
    seen, out = set(), []
    for p in paths:
        root = p if p.is_dir() else None
        for f in iter_sources([p]):
            if f not in seen:
                seen.add(f)
                out.append((f, root))
    return out


class Progress:
    """A rich progress bar for local CLI runs (no-op when disabled); `stderr` keeps stdout for results."""

    def __init__(self, enabled: bool, total: int, *, label: str = "extracting", stderr: bool = False):
        self.bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn

            self.bar = Bar(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                           transient=True, console=Console(stderr=True) if stderr else None)
            self.task = self.bar.add_task(label, total=total)

    def __enter__(self):
        if self.bar:
            self.bar.__enter__()
        return self

    def advance(self, n: int = 1):
        if self.bar:
            self.bar.advance(self.task, n)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)


def local_settings():
    """Settings for a local run (no PREFECT_API_URL): flow-run heartbeats off.

    Heartbeats let a Prefect server notice crashed runs of deployments; a local ephemeral run has
    nobody watching, and stopping the heartbeat thread costs up to a second per flow run.
    """
    import contextlib
    import os

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    if os.environ.get("PREFECT_API_URL"):
        return contextlib.nullcontext()
    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def auto_batch_size(n: int) -> int:
    """Documents per task: about eight tasks per run, between 25 and 200 documents each."""
    return max(25, min(200, -(-n // 8)))


@flow(name="policyflow-extract", log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=1))
def extract_flow(paths: list[str], out: str = "output", batch_size: int | None = None, use_cache: bool = True,
                 progress: bool = False, wait: float = 0.0, max_bytes: int | None = Limits.max_bytes,
                 time_limit: float | None = Limits.time_limit, hints: str | None = None) -> dict:
    """Extract every policy file under `paths` into the output folder `out` (one run per folder at a time).

    `hints` names a source-hints file (flows/hints.py): a crawl's title/date columns, used where a
    text does not print them.
    """
    source_hints = load_hints(Path(hints)) if hints else None
    with store.output_lock(Path(out), wait=wait):
        store.clean_temporaries(Path(out))
        return _extract(paths, out, batch_size, use_cache, progress, Limits(max_bytes, time_limit), source_hints)


def _extract(paths: list[str], out: str, batch_size: int | None, use_cache: bool, progress: bool,
             limits: Limits, source_hints: Hints | None = None) -> dict:
    started = time.perf_counter()
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    first_seen = datetime.now(timezone.utc).isoformat(timespec="seconds")
    skip = {Path(source_hints.source).resolve()} if source_hints and source_hints.source else set()
    items = [(str(f), str(root) if root else None) for f, root in resolve_inputs([Path(p) for p in paths])
             if Path(f).resolve() not in skip]  # a manifest kept beside the texts is not a document
    batch_size = batch_size or auto_batch_size(len(items))
    batches = [items[i:i + batch_size] for i in range(0, len(items), max(1, batch_size))]
    order = {path: i for i, (path, _) in enumerate(items)}
    outcomes: list[Outcome] = []
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = round(now - mark, 3)
        mark = now

    with Progress(progress, len(items)) as bar:
        def batch_hints(batch):
            if not source_hints:
                return None
            found = {p: source_hints.for_file(Path(p), Path(r) if r else None) for p, r in batch}
            return {p: h for p, h in found.items() if h} or None

        futures = [extract_batch.submit(b, str(out_dir), use_cache, len(b) - 1, limits.max_bytes, limits.time_limit,
                                        batch_hints(b))
                   for b in batches]
        for fut in as_completed(futures):
            done = [Outcome(**o) for o in json.loads(fut.result())]
            outcomes.extend(done)
            bar.advance(len(done))
    outcomes.sort(key=lambda o: order[o.path])
    lap("documents")
    registry = store.load_registry(out_dir)
    stored = [{"revision_id": o.revision_id, "policy_id": o.policy_id, "filename": o.filename,
               "source_sha256": o.source_sha256} for o in outcomes
              if o.status == "ok" and o.revision_id not in registry]
    written = [o.revision_id for o in outcomes if o.status == "ok" and not o.cached]
    new_ids = register_revisions(out_dir, stored, written, first_seen)
    lap("register")
    errors = [o.error for o in outcomes if o.error]
    table_counts = write_outputs(out_dir, errors, bool(written or stored))
    lap("tables")
    policy_of = {o.revision_id: o.policy_id for o in outcomes if o.revision_id}
    reviews = write_diffs(out_dir, [(policy_of[rid], rid) for rid in new_ids])
    lap("diffs")
    summary = summarize(outcomes, table_counts)
    summary.update(new_revisions=len(new_ids), reviews=reviews, seconds=round(time.perf_counter() - started, 2),
                   phases=phases)
    create_markdown_artifact(summary_markdown(summary), key="policyflow-extract-summary",
                             description="documents, records per kind, warnings, errors")
    return summary
