"""The main flow: ingest -> extract -> validate -> store each document, then tables and catalog.

One broken document yields an error record (file, stage, cause) and never sinks the run.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from extractors.pipeline import extract
from flows import store
from flows.ingest import Ingested, iter_sources, read_document
from flows.review import review_new_revisions
from schemas.errors import Errors, PolicyflowError
from schemas.models import ErrorRecord, RevisionDocument

KINDS = ("sections", "measures", "targets", "amounts", "units", "conditions")


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


def build_document(ing: Ingested) -> dict:
    """Extract and validate one decoded document; the contract's JSON as a dict."""
    doc = extract(ing.text, portal=ing.portal)
    doc["source"] = {"filename": ing.filename, "sha256": ing.sha256, "encoding": ing.encoding,
                     "format": ing.format, "size_bytes": ing.size_bytes}
    doc["warnings"] = list(ing.warnings) + doc["warnings"]
    ordered = {"schema_version": "1.0", "policy_id": doc["policy_id"], "revision_id": doc["revision_id"],
               "source": doc["source"], **doc}
    return RevisionDocument.model_validate(ordered).model_dump(mode="json", by_alias=True)


def _error(path: Path, exc: Exception, stage: str) -> dict:
    if isinstance(exc, PolicyflowError):
        code, message, stage = exc.code, exc.message, exc.stage or stage
    else:
        code = "E010" if stage == "validate" else "E009"
        cause = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        message = getattr(Errors, code).format(path=path, stage=stage, cause=cause)
    return ErrorRecord(filename=path.name, path=str(path), stage=stage, code=code,
                       message=message).model_dump()


def process_document(path: Path, out: Path, *, root: Path | None = None) -> Outcome:
    """Ingest, extract and store one file. Never raises for bad input."""
    stage = "ingest"
    try:
        ing = read_document(path, root=root)
        stage = "extract"
        doc = build_document(ing)
    except Exception as exc:  # noqa: BLE001 - isolation boundary: every failure becomes a record
        err = _error(path, exc, stage)
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
        for stale in (out / "revisions").glob(f"*/{doc['revision_id']}.json"):
            if stale != target:
                stale.unlink()
        store.atomic_write(target, store.dump_json(doc))
    return Outcome(str(path), path.name, status, doc["policy_id"], doc["revision_id"],
                   {k: len(doc[k]) for k in KINDS}, len(doc["warnings"]), source_sha256=doc["source"]["sha256"])


@task(name="extract-document", task_run_name="extract {path.name}")
def extract_document(path: Path, out: Path, root: Path | None) -> Outcome:
    outcome = process_document(path, out, root=root)
    if outcome.error:
        get_run_logger().warning("%s: %s", outcome.filename, outcome.error["message"])
    return outcome


@task(name="register-revisions")
def register_revisions(out: Path, outcomes: list[Outcome], first_seen: str) -> list[str]:
    stored = [{"revision_id": o.revision_id, "policy_id": o.policy_id, "filename": o.filename,
               "source_sha256": o.source_sha256} for o in outcomes if o.status == "ok"]
    return store.register(out, stored, first_seen)


@task(name="write-tables")
def write_outputs(out: Path, outcomes: list[Outcome]) -> dict[str, int]:
    counts = store.write_tables(out, store.iter_revisions(out), [o.error for o in outcomes if o.error])
    store.write_catalog(out)
    return counts


@task(name="write-diffs")
def write_diffs(out: Path, new_ids: list[str]) -> list[str]:
    return [str(p["html"]) for p in review_new_revisions(out, new_ids)]


def summarize(outcomes: list[Outcome], table_counts: dict[str, int]) -> dict:
    records = Counter()
    for o in outcomes:
        records.update(o.counts)
    return {
        "documents": len(outcomes),
        "extracted": sum(o.status == "ok" for o in outcomes),
        "duplicates": sum(o.status == "duplicate" for o in outcomes),
        "errors": [o.error for o in outcomes if o.error],
        "warnings": sum(o.warnings for o in outcomes),
        "records": {k: records.get(k, 0) for k in KINDS},
        "stored_revisions": table_counts.get("documents", 0),
    }


def summary_markdown(summary: dict) -> str:
    lines = ["# policyflow extract", "",
             "| documents | extracted | duplicates | warnings | errors |", "|---|---|---|---|---|",
             f"| {summary['documents']} | {summary['extracted']} | {summary['duplicates']} | "
             f"{summary['warnings']} | {len(summary['errors'])} |", "",
             "| kind | records |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in summary["records"].items()]
    if summary["errors"]:
        lines += ["", "## Errors", "", "| file | stage | code | message |", "|---|---|---|---|"]
        lines += [f"| {e['filename']} | {e['stage']} | {e['code']} | {e['message']} |" for e in summary["errors"]]
    return "\n".join(lines) + "\n"


def resolve_inputs(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """(file, root) pairs: a folder argument is the root its files must stay inside."""
    pairs = []
    for p in paths:
        root = p if p.is_dir() else None
        pairs += [(f, root) for f in iter_sources([p])]
    seen, out = set(), []
    for f, root in pairs:
        if f not in seen:
            seen.add(f)
            out.append((f, root))
    return out


@flow(name="policyflow-extract", log_prints=False)
def extract_flow(paths: list[str], out: str = "output") -> dict:
    """Extract every policy file under `paths` into the output folder `out`."""
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    first_seen = datetime.now(timezone.utc).isoformat(timespec="seconds")
    outcomes = [extract_document(f, out_dir, root) for f, root in resolve_inputs([Path(p) for p in paths])]
    new_ids = register_revisions(out_dir, outcomes, first_seen)
    table_counts = write_outputs(out_dir, outcomes)
    reviews = write_diffs(out_dir, new_ids)
    summary = summarize(outcomes, table_counts)
    summary["new_revisions"] = len(new_ids)
    summary["reviews"] = reviews
    create_markdown_artifact(summary_markdown(summary), key="policyflow-extract-summary",
                             description="documents, records per kind, warnings, errors")
    return summary
