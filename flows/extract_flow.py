"""The main flow: ingest -> extract -> validate -> store each document, then tables, catalog and reviews.

Tasks have side effects (they write the store), so none is cached by Prefect: the store's own
content-hash cache decides what is re-extracted. Documents travel in batches (one Prefect task per
batch: a task costs ~5 ms of orchestration, a document ~5 ms of extraction), so orchestration stays
a small share of the run. Locally the batches run one at a time (threads only add GIL contention to
CPU-bound work); for parallelism run on Dask (`--workers N` or `--dask-address`).

Each document runs under a watchdog (flows/watchdog.py) that stops it past its time or memory
limit; one broken document yields an error record (file, stage, cause) and never sinks the run.
Which file's JSON is stored for each revision is decided once, after every batch returned
(`documents.settle`). Everything derived (registry, tables, catalog, reviews) is reconciled with
what is stored on every run, so a re-run after a crash at any point heals the output.
"""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.artifacts import create_markdown_artifact
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from policyflow.flows import dumps, store, watchdog
from policyflow.flows.documents import (KINDS, Limits, Outcome, build_document, error_record, extract_one,  # noqa: F401
                             process_document, record_error, settle, source_key)
from policyflow.flows.hints import Hints, load_hints
from policyflow.flows.ingest import display_name, iter_sources
from policyflow.flows.report import md_text
from policyflow.schemas.errors import ConfigError, ExtractionError, RunFailed
from policyflow.schemas.models import ErrorRecord

OWNER = watchdog.OWNER


def run_document(path: Path, out: Path, *, root: Path | None, use_cache: bool, limits: Limits,
                 hint: dict | None, isolate: bool = True, row: list | None = None,
                 columns: dict | None = None) -> Outcome:
    """`extract_one` under the watchdog: past its time or memory limit the document (a file, or with `row`
    one row of a crawl dump) is an error record."""
    if not isolate:
        return extract_one(path, out, root=root, use_cache=use_cache, limits=limits, hint=hint, row=row,
                           columns=columns)
    number = row[0] if row else None
    try:
        return watchdog.shared().call("policyflow.flows.documents", "extract_one", path, out, root=root, use_cache=use_cache,
                                      limits=limits, hint=hint, row=row, columns=columns,
                                      time_limit=limits.time_limit, memory_limit=limits.memory_limit)
    except watchdog.Stopped as stop:
        name = display_name(str(path)) if row is None else dumps.row_name(path, number)
        exc = (ExtractionError("E015", path=name, stage=stop.stage, limit=f" of {limits.time_limit:g} s")
               if stop.reason == "time" else
               ExtractionError("E017", path=name, stage=stop.stage, limit=limits.memory_limit))
        return record_error(out, path, error_record(path, exc, stop.stage, row=number))
    except (watchdog.ChildDied, RuntimeError) as exc:
        return record_error(out, path, error_record(path, exc, "extract", row=number))


@task(name="extract-batch", retries=1, task_run_name="extract {label}", cache_policy=NO_CACHE)
def extract_batch(items: str, out: str, use_cache: bool = True, label: str = "",
                  max_bytes: int | None = None, time_limit: float | None = None,
                  hints: dict[str, dict] | None = None, memory_limit: int | None = None,
                  isolate: bool = True, columns: dict | None = None) -> str:
    """A batch of documents (`items`: JSON of [path, root, row] triples, row a crawl dump's row reference or
    null for a file; `columns` names a dump's columns); returns the outcomes as one JSON string.

    Strings are cheap to ship to and from a Dask worker, Prefect does not walk them the way it walks
    nested task results, and ASCII-escaped JSON carries file names that are not UTF-8 (Prefect's
    events cannot).
    """
    outcomes = []
    limits = Limits(max_bytes, time_limit, memory_limit)
    hints = {json.loads(k): v for k, v in (hints or {}).items()}
    for path, root, row in json.loads(items):
        o = run_document(Path(path), Path(out), root=Path(root) if root else None, use_cache=use_cache,
                         limits=limits, hint=None if row else (hints or {}).get(path), isolate=isolate, row=row,
                         columns=columns)
        if o.error:
            get_run_logger().warning("%s: %s", o.filename, o.error["message"])
        outcomes.append(o.__dict__)
    return json.dumps(outcomes)


@task(name="register-revisions", cache_policy=NO_CACHE)
def register_revisions(out: Path, stored: list[dict], first_seen: str) -> list[str]:
    """Record revisions not in the registry yet (also those a killed run stored but never registered)."""
    return store.register(out, stored, first_seen)


@task(name="write-tables", cache_policy=NO_CACHE)
def write_outputs(out: Path, errors: list[dict]) -> dict[str, int]:
    return store.refresh_tables(out, errors, catalog=False)[0]  # the catalog follows the reviews


@task(name="write-diffs", cache_policy=NO_CACHE)
def write_diffs(out: Path, limits: Limits, isolate: bool = True) -> tuple[list[str], list[dict]]:
    """Review every consecutive pair whose review files are missing or stale; (HTML paths, error records)."""
    from policyflow.flows.reconcile import review_pair, stale_pairs
    from policyflow.flows.review import write_index

    written, errors = [], []
    for pid, a, b in stale_pairs(out):
        try:
            if isolate:
                written.append(watchdog.shared().call("policyflow.flows.reconcile", "review_pair", out, pid, a, b,
                                                      time_limit=limits.time_limit, memory_limit=limits.memory_limit))
            else:
                written.append(review_pair(out, pid, a, b))
            store.crash_point("diffs")
        except watchdog.Stopped as stop:
            name = f"{pid}: {a[7:19]}..{b[7:19]}"
            limit = f" of {limits.time_limit:g} s" if stop.reason == "time" else f" of {limits.memory_limit} MB"
            exc = ExtractionError("E021", path=name, stage="review", limit=limit)
            errors.append(ErrorRecord(filename=name, path=str(out / "diffs" / pid), stage="review", code="E021",
                                      message=exc.message).model_dump())
    write_index(out)
    store.refresh_catalog(out)  # the diffs table and the catalog, once the reviews are written
    return written, errors


def summarize(outcomes: list[Outcome], table_counts: dict[str, int]) -> dict:
    records = Counter()
    for o in outcomes:
        if o.status == "ok":
            records.update(o.counts)
    return {
        "documents": len(outcomes),
        "extracted": sum(o.status == "ok" and not o.cached for o in outcomes),
        "unchanged": sum(o.cached and o.status == "ok" for o in outcomes),
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
        lines += [f"| {md_text(e['filename'])} | {md_text(e['stage'])} | {md_text(e['code'])} | "
                  f"{md_text(e['message'])} |" for e in summary["errors"]]
    return "\n".join(lines) + "\n"


def check_overlap(paths: list[Path], out: Path) -> None:
    """The output folder is never an input: equal to an input folder, or holding one, is E019."""
    o = out.resolve()
    for p in paths:
        r = p.resolve()
        if r == o:
            raise ConfigError("E019", path=display_name(str(p)), out=display_name(str(out)), relation="the same folder as")
        if r.is_relative_to(o):
            raise ConfigError("E019", path=display_name(str(p)), out=display_name(str(out)), relation="a folder holding")


def resolve_inputs(paths: list[Path], out: Path | None = None, *, include: list[str] | None = None,
                   exclude: list[str] | None = None) -> list[tuple[Path, Path | None]]:
    """(file, root) pairs in one order whatever the order of `paths` (sorted by absolute path): a folder
    argument is the root its files must stay inside; files under the output folder `out` are skipped.

    `include` / `exclude` are glob patterns matched against a file's path relative to its folder
    argument and against its name (`*.txt`, `drafts/*`, `Thumbs.db`): a file is kept when it matches
    some include pattern (or none is given) and no exclude pattern.
    """
    from fnmatch import fnmatch

    def wanted(f: Path, root: Path | None) -> bool:
        names = {f.name, f.relative_to(root).as_posix() if root else f.name}
        hit = lambda patterns: any(fnmatch(n, pat) for pat in patterns for n in names)  # noqa: E731
        return (not include or hit(include)) and not (exclude and hit(exclude))

    skip = out.resolve() if out is not None else None
    found: dict[str, tuple[Path, Path | None]] = {}
    for p in sorted(paths, key=lambda q: os.path.abspath(q)):
        root = p if p.is_dir() else None
        for f in iter_sources([p]):
            key = os.path.abspath(f)
            if (skip is not None and Path(key).is_relative_to(skip)) or not wanted(f, root):
                continue
            found.setdefault(key, (f, root))
    return [found[k] for k in sorted(found)]


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
    """Settings for a local run (no PREFECT_API_URL of the user's): flow-run heartbeats off, and the
    CLI's reusable local server (`flows/local_server.py`) as the API when the CLI started one.

    Heartbeats let a Prefect server notice crashed runs of deployments; a local run has nobody
    watching, and stopping the heartbeat thread costs up to a second per flow run. The API URL is
    applied as a setting, not only as an environment variable, so it holds when Prefect was
    imported before the CLI chose the server.
    """
    import contextlib

    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from policyflow.flows.local_server import LOCAL_API

    url, local = os.environ.get("PREFECT_API_URL"), os.environ.get(LOCAL_API)
    if url and url != local:
        return contextlib.nullcontext()
    updates = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    if local:
        updates[PREFECT_API_URL] = local
    return temporary_settings(updates=updates)


def claim_processes() -> int:
    """Mark this process as the owner of the processes it starts (Prefect's temporary server, the
    watchdog's child, Dask workers inherit the mark) and stop those a killed run left running."""
    import psutil

    me = os.getpid()
    os.environ[OWNER] = str(me)
    stopped = 0
    for proc in psutil.process_iter(["pid", "environ"]):
        try:
            owner = (proc.info.get("environ") or {}).get(OWNER)
            if owner is None or proc.pid == me or int(owner) == me:
                continue
            if not psutil.pid_exists(int(owner)):
                proc.kill()
                stopped += 1
        except (psutil.Error, ValueError):
            continue
    return stopped


def auto_batch_size(n: int) -> int:
    """Documents per task: about eight tasks per run, between 25 and 200 documents each."""
    return max(25, min(200, -(-n // 8)))


@flow(name="policyflow-extract", log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=1))
def extract_flow(paths: list[str], out: str = "output", batch_size: int | None = None, use_cache: bool = True,
                 progress: bool = False, wait: float = 0.0, max_bytes: int | None = Limits.max_bytes,
                 time_limit: float | None = Limits.time_limit, hints: str | None = None,
                 memory_limit: int | None = Limits.memory_limit, isolate: bool = True,
                 allow_errors: bool = False, include: list[str] | None = None,
                 exclude: list[str] | None = None, text_column: str | None = None,
                 title_column: str | None = None, date_column: str | None = None,
                 url_column: str | None = None) -> dict:
    """Extract every policy file under `paths` into the output folder `out` (one run per folder at a time).

    `hints` names a source-hints file (flows/hints.py): a crawl's title/date columns, used where a
    text does not print them. `isolate` runs each document under the watchdog (time and memory
    limits enforced by a child process); off, the limits are only checked between stages.
    The run ends Failed (RunFailed, after every good document is stored and the summary artifact
    written) when a document fails, unless `allow_errors`; a missing input fails it at once.
    `include` / `exclude` are glob patterns choosing files in the folders (`resolve_inputs`).
    A .csv/.tsv/.jsonl/.parquet input is a crawl dump, one document per row (flows/dumps.py): its text is
    in `text_column` (default: the first of text, content, 正文, 内容, 全文, body) and `title_column`,
    `date_column`, `url_column` (default: title/标题, date/发布日期/publish_date, url/链接...) are hints.
    """
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise ConfigError("E023", path=", ".join(display_name(p) for p in missing))
    check_overlap([Path(p) for p in paths], Path(out))
    source_hints = load_hints(Path(hints)) if hints else None
    with store.output_lock(Path(out), wait=wait):
        claim_processes()
        store.clean_temporaries(Path(out))
        store.migrate_file_names(Path(out))
        columns = dumps.column_names(text=text_column, title=title_column, date=date_column, url=url_column)
        summary = _extract(paths, out, batch_size, use_cache, progress, Limits(max_bytes, time_limit, memory_limit),
                           source_hints, isolate, include, exclude, columns)
    if summary["errors"] and not allow_errors:
        raise RunFailed("E022", path=display_name(str(Path(out) / "errors")), failed=len(summary["errors"]),
                        documents=summary["documents"], summary=summary)
    return summary


def _extract(paths: list[str], out: str, batch_size: int | None, use_cache: bool, progress: bool,
             limits: Limits, source_hints: Hints | None = None, isolate: bool = True,
             include: list[str] | None = None, exclude: list[str] | None = None,
             columns: dict | None = None) -> dict:
    started = time.perf_counter()
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    if isolate:
        watchdog.shared().start()  # the child loads the extractors while the batches are planned
    first_seen = datetime.now(timezone.utc).isoformat(timespec="seconds")
    skip = {Path(source_hints.source).resolve()} if source_hints and source_hints.source else set()
    found = resolve_inputs([Path(p) for p in paths], out_dir, include=include, exclude=exclude)
    files = [(str(f), str(root) if root else None) for f, root in found
             if Path(f).resolve() not in skip]  # a manifest kept beside the texts is not a document
    items, unreadable = dumps.expand(files, columns, max_bytes=limits.max_bytes)  # a dump's rows, streamed
    batch_size = batch_size or auto_batch_size(len(items))
    batches = [items[i:i + batch_size] for i in range(0, len(items), max(1, batch_size))]
    order = {(path, row[0] if row else None): i for i, (path, _, row) in enumerate(items)}
    outcomes: list[Outcome] = [record_error(out_dir, Path(p), error_record(Path(p), exc, "ingest"))
                               for p, exc in unreadable]
    for p, _ in files:
        if dumps.is_dump(p) and all(p != q for q, _ in unreadable):
            store.error_path(out_dir, source_key(Path(p))).unlink(missing_ok=True)  # a dump read to its end
    order.update({(p, None): -1 - i for i, (p, _) in enumerate(unreadable)})
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
            found = {p: source_hints.for_file(Path(p), Path(r) if r else None) for p, r, row in batch if not row}
            return {json.dumps(p): h for p, h in found.items() if h} or None

        futures = [extract_batch.submit(json.dumps(b), str(out_dir), use_cache,
                                        f"{display_name(b[0][0])} (+{len(b) - 1})", limits.max_bytes,
                                        limits.time_limit, batch_hints(b), limits.memory_limit, isolate, columns)
                   for b in batches]
        for fut in as_completed(futures):
            done = [Outcome(**o) for o in json.loads(fut.result())]
            outcomes.extend(done)
            bar.advance(len(done))
            store.crash_point("documents")
    outcomes.sort(key=lambda o: order[(o.path, o.row)])
    roots = dict(files)
    refs = {(path, row[0]): row for path, _, row in items if row}

    def redo(o: Outcome) -> Outcome:
        root = roots.get(o.path)
        if o.row is not None:
            return run_document(Path(o.path), out_dir, root=Path(root) if root else None, use_cache=False,
                                limits=limits, hint=None, isolate=isolate, row=refs[(o.path, o.row)], columns=columns)
        return run_document(Path(o.path), out_dir, root=Path(root) if root else None, use_cache=False, limits=limits,
                            hint=source_hints.for_file(Path(o.path), Path(root) if root else None) if source_hints
                            else None, isolate=isolate)

    settle(out_dir, outcomes, redo=redo)
    lap("documents")
    registry = store.load_registry(out_dir)
    stored = [{"revision_id": o.revision_id, "policy_id": o.policy_id, "filename": o.filename,
               "source_sha256": o.source_sha256} for o in outcomes if o.status == "ok"]
    new_ids = register_revisions(out_dir, stored, first_seen)
    lap("register")
    errors = [o.error for o in outcomes if o.error]
    table_counts = write_outputs(out_dir, errors)
    lap("tables")
    reviews, review_errors = write_diffs(out_dir, limits, isolate)
    lap("diffs")
    summary = summarize(outcomes, table_counts)
    summary["errors"] += review_errors
    summary.update(new_revisions=len(new_ids), reviews=reviews, seconds=round(time.perf_counter() - started, 2),
                   phases=phases)
    create_markdown_artifact(summary_markdown(summary), key="policyflow-extract-summary",
                             description="documents, records per kind, warnings, errors")
    get_run_logger().info("%d documents: %d extracted, %d unchanged, %d duplicates, %d failed; %d new revisions, "
                          "%d reviews written", summary["documents"], summary["extracted"], summary["unchanged"],
                          summary["duplicates"], len(summary["errors"]), len(new_ids), len(reviews))
    return summary
