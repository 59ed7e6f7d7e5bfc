"""The output folder: revision JSON store, Parquet tables, DuckDB catalog, error records.

Every file is written to a temporary name in its folder and renamed into place, so a crash
never leaves a half-written file. Table columns derive from the pydantic models.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from policyflow.schemas import models

RECORD_TABLES = {
    "sections": models.Section,
    "measures": models.Measure,
    "targets": models.Target,
    "amounts": models.Amount,
    "units": models.Unit,
    "conditions": models.Condition,
}
TABLES = ["documents", "revisions", "texts", *RECORD_TABLES, "warnings", "errors"]  # made from revisions, errors
DIFFS_TABLE = "diffs"  # made from the stored diffs (DIR/diffs/*/*.json), after the reviews
CATALOG_TABLES = [*TABLES, DIFFS_TABLE]
REGISTRY = "registry.json"
_UMASK = os.umask(0o022)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK  # what open() would give: temporary files start at 0600
TABLES_STAMP = "tables/.revision-set.sha256"
DIFFS_STAMP = "tables/.diffs.sha256"
# The catalog is written in the storage format of DuckDB 1.1 (storage version 64), which every DuckDB
# from 1.0 on reads, 2.x included: DuckDB 2.0 otherwise writes its own format, which no 1.x client opens.
CATALOG_STORAGE = "v1.1.0"
CATALOG_STORAGE_NUMBER = 64
CATALOG_FORMAT = "catalog 2: diffs table, latest_revisions view, storage v1.1.0"  # a change rebuilds old catalogs
CRASH_ENV = "POLICYFLOW_CRASH_AT"
_crash_counts: dict[str, int] = {}


def crash_point(phase: str) -> None:
    """Fault injection for the kill tests: with POLICYFLOW_CRASH_AT=PHASE:N the process SIGKILLs itself
    at the N-th point of PHASE (documents, registry, tables, catalog, diffs), as a power cut would."""
    want = os.environ.get(CRASH_ENV)
    if not want or not want.startswith(phase + ":"):
        return
    _crash_counts[phase] = _crash_counts.get(phase, 0) + 1
    if _crash_counts[phase] == int(want.split(":", 1)[1]):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def atomic_write(path: Path, data: bytes, *, durable: bool = False) -> bool:
    """Write `data` to `path` via a temporary file and rename; skip (return False) when unchanged.

    The rename makes the write atomic for readers and against a killed process; `durable`
    also fsyncs the data first (for files that index others, where a power loss would hurt).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def dump_json(obj: Any, *, indent: int | None = None) -> bytes:
    """UTF-8 JSON; compact by default (the C encoder: ~10x faster than indented output on large documents)."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":"))
    return (text + "\n").encode("utf-8")


def revision_file_name(revision_id: str) -> str:
    """A revision's file name: its id with the `:` made a `-` (`sha256-<hex>.json`), portable to every file
    system, URL and shell. The id inside the file keeps its `:`."""
    return revision_id.replace(":", "-", 1) + ".json"


def legacy_revision_file_name(revision_id: str) -> str:
    """The name versions before 1.1 of the store gave a revision file (`sha256:<hex>.json`)."""
    return f"{revision_id}.json"


def revision_id_of(path: Path) -> str:
    """The revision id a revision file is named after, whichever naming it has."""
    stem = path.name[:-len(".json")] if path.name.endswith(".json") else path.name
    if ":" in stem:
        return stem
    algorithm, sep, digest = stem.partition("-")
    return f"{algorithm}:{digest}" if sep else stem


def revision_path(out: Path, policy_id: str, revision_id: str) -> Path:
    """Where a revision is stored (where it is written; `find_revision` also finds a legacy name)."""
    return out / "revisions" / policy_id / revision_file_name(revision_id)


def find_revision(out: Path, policy_id: str, revision_id: str) -> Path:
    """The stored file of a revision under its portable name, else under its legacy name (an output folder
    no run has migrated yet); the portable path when neither exists."""
    path = revision_path(out, policy_id, revision_id)
    if not path.exists():
        legacy = path.with_name(legacy_revision_file_name(revision_id))
        if legacy.exists():
            return legacy
    return path


def revision_files(out: Path, prefix: str = "") -> list[Path]:
    """Stored revision files, under either name, whose revision id starts with `prefix` (`sha256:1a2b`),
    sorted by path."""
    root = out / "revisions"
    if not root.is_dir():
        return []
    escape = lambda text: "".join(f"[{c}]" if c in "*?[]" else c for c in text)  # noqa: E731
    patterns = {f"*/{escape(prefix.replace(':', '-', 1))}*.json", f"*/{escape(prefix)}*.json"}
    found = {p for pattern in patterns for p in root.glob(pattern)}
    return sorted(p for p in found if revision_id_of(p).startswith(prefix))


def migrate_file_names(out: Path) -> int:
    """Rename revision files stored under a legacy name (`sha256:<hex>.json`) to their portable name, each by
    one atomic rename (a killed migration leaves every file under one of its names; the next run goes on).
    When both names exist the portable one, written by a later run, is kept. Returns the files renamed."""
    root = out / "revisions"
    moved = 0
    for path in sorted(root.glob("*/*:*.json")) if root.is_dir() else []:
        target = path.with_name(revision_file_name(revision_id_of(path)))
        if target.exists():
            path.unlink(missing_ok=True)
            continue
        os.rename(path, target)
        moved += 1
    if moved:
        for d in {p for p in root.iterdir() if p.is_dir()}:
            _fsync_dir(d)
    return moved


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def clean_temporaries(out: Path) -> int:
    """Remove what a killed run left behind: temporary files (they never replaced a real file) and
    staged documents (their run never settled them; this run extracts them again)."""
    removed = 0
    for pattern in (".*.tmp", "*/.*.tmp", "*/*/.*.tmp", ".catalog.*.duckdb", ".catalog.*.duckdb.wal",
                    ".staging/*.json"):
        for p in out.glob(pattern):
            p.unlink(missing_ok=True)
            removed += 1
    return removed


def stored_source(path: Path) -> dict:
    """The `source` object of a stored revision, read from the head of the file (it is written near the top)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192).decode("utf-8", "ignore")
        at = head.find('"source":')
        if at >= 0:
            try:
                return json.JSONDecoder().raw_decode(head, at + len('"source":'))[0]
            except ValueError:
                pass
        return json.loads(path.read_text(encoding="utf-8")).get("source") or {}
    except (OSError, ValueError):
        return {}


def iter_revisions(out: Path) -> Iterator[dict]:
    """Stored revision documents, in a stable order (policy, revision)."""
    root = out / "revisions"
    if not root.is_dir():
        return
    for path in sorted(root.glob("*/*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


def error_path(out: Path, key: str) -> Path:
    """The error record of a source file, named after its key (the file's path): readable and unique."""
    name = os.path.basename(key.rstrip("/")) or key
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:120]
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return out / "errors" / f"{safe}.{digest}.json"


# --- Arrow schemas derived from the models -------------------------------------------------

def _arrow_type(annotation: Any) -> pa.DataType:
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        return _arrow_type(args[0])
    if origin is typing.Annotated:
        return _arrow_type(args[0])
    if origin is list:
        return pa.list_(_arrow_type(args[0]))
    if isinstance(annotation, type):
        if issubclass(annotation, Enum) or annotation is str:
            return pa.string()
        if annotation is bool:
            return pa.bool_()
        if annotation is int:
            return pa.int64()
        if annotation is float:
            return pa.float64()
        if issubclass(annotation, models.BaseModel):
            return pa.struct([(n, _arrow_type(f.annotation)) for n, f in annotation.model_fields.items()
                              if n not in SPAN_FIELDS])
    raise TypeError(f"no Arrow type for {annotation!r}")


SPAN_FIELDS = ("span", "span_utf16")  # [start, end) pairs: columns <name>_start, <name>_end


def _record_schema(model: type[models.BaseModel], *, ids: bool = True) -> pa.Schema:
    cols = [("policy_id", pa.string()), ("revision_id", pa.string())] if ids else []
    for name, f in model.model_fields.items():
        if name in SPAN_FIELDS:
            cols += [(f"{name}_start", pa.int64()), (f"{name}_end", pa.int64())]
        else:
            cols.append((name, _arrow_type(f.annotation)))
    return pa.schema(cols)


def _documents_schema() -> pa.Schema:
    cols = [("policy_id", pa.string()), ("revision_id", pa.string())]
    cols += [(n, _arrow_type(f.annotation)) for n, f in models.Source.model_fields.items()
             if n not in ("sha256",)]
    cols.append(("source_sha256", pa.string()))
    for n, f in models.Metadata.model_fields.items():
        if n == "period":
            cols += [("period_start", pa.int64()), ("period_end", pa.int64())]
        elif n == "issue_date":
            cols.append((n, pa.date32()))
        else:
            cols.append((n, _arrow_type(f.annotation)))
    cols += [(f"n_{k}", pa.int64()) for k in (*RECORD_TABLES, "warnings")]
    cols.append(("extractor_version", pa.string()))
    return pa.schema(cols)


SCHEMAS: dict[str, pa.Schema] = {
    "documents": _documents_schema(),
    **{k: _record_schema(m) for k, m in RECORD_TABLES.items()},
    "revisions": pa.schema([("policy_id", pa.string()), ("revision_id", pa.string()),
                            ("first_seen", pa.timestamp("s", tz="UTC")),
                            ("seq", pa.int64()), ("filename", pa.string()), ("source_sha256", pa.string()),
                            ("status", pa.string()), ("issue_date", pa.date32()), ("title", pa.string()),
                            ("position", pa.int64())]),
    "texts": pa.schema([("policy_id", pa.string()), ("revision_id", pa.string()), ("text", pa.large_string())]),
    "warnings": pa.schema([("policy_id", pa.string()), ("revision_id", pa.string()), ("code", pa.string()),
                           ("message", pa.string()), ("span_start", pa.int64()), ("span_end", pa.int64()),
                           ("span_utf16_start", pa.int64()), ("span_utf16_end", pa.int64()),
                           ("evidence", pa.large_string())]),
    "errors": _record_schema(models.ErrorRecord, ids=False),
}


# --- the diffs table: one row per change of every stored diff --------------------------------

DIFF_KEYS = [("policy_id", pa.string()), ("from_revision", pa.string()), ("to_revision", pa.string()),
             ("from_filename", pa.string()), ("to_filename", pa.string()), ("schema_version", pa.string()),
             ("consecutive", pa.bool_()), ("report", pa.string()), ("change_index", pa.int64())]
DIFF_RENAMED = {"from": "from_value", "to": "to_value", "group": "group_id"}  # clear of SQL keywords
DIFF_VALUES = {"from", "to"}  # any JSON value: as text (a string as is, anything else as JSON)


def _is_span(annotation: Any) -> bool:
    """A [start, end) pair (`Span`, optional or not)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_span(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin is typing.Annotated:
        return _is_span(typing.get_args(annotation)[0])
    return origin is tuple


def _diff_columns() -> tuple[list[tuple[str, str, pa.DataType]], set[str]]:
    """(JSON key, column, type) per field `models.Change` declares, and the columns holding JSON text (fields
    whose type has no column type). A span `x` (`from_span`, `to_span_utf16`...) becomes `x_start`, `x_end`."""
    cols, as_json = [], set()
    for name, f in models.Change.model_fields.items():
        key = f.alias or name
        column = DIFF_RENAMED.get(key, key)
        if key in DIFF_VALUES:
            cols.append((key, column, pa.string()))
        elif _is_span(f.annotation):
            cols += [(key, f"{key}_start", pa.int64()), (key, f"{key}_end", pa.int64())]
        else:
            try:
                cols.append((key, column, _arrow_type(f.annotation)))
            except TypeError:
                cols.append((key, column, pa.string()))
                as_json.add(column)
    return cols, as_json


DIFF_COLUMNS, DIFF_JSON = _diff_columns()
SCHEMAS[DIFFS_TABLE] = pa.schema([*DIFF_KEYS, *[(c, t) for _, c, t in DIFF_COLUMNS],
                                  ("extra", pa.string())])  # undeclared keys of a change, as a JSON object


def _value_text(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def diff_rows(d: dict, *, report: str | None = None, consecutive: bool = False) -> list[dict]:
    """One stored diff as `diffs` rows: its pair on every row, then each change's fields in columns (spans
    split, `from`/`to` as text), in the order of `changes` (`change_index`, the report's `change-<i>`)."""
    head = {"policy_id": d.get("policy_id"), "from_revision": d.get("from_revision"),
            "to_revision": d.get("to_revision"), "from_filename": d.get("from_filename"),
            "to_filename": d.get("to_filename"), "schema_version": d.get("schema_version"),
            "consecutive": consecutive, "report": report}
    declared = {key for key, _, _ in DIFF_COLUMNS}
    rows = []
    for i, c in enumerate(d.get("changes") or []):
        row = dict(head, change_index=i)
        for key, column, _ in DIFF_COLUMNS:
            v = c.get(key)
            if key in DIFF_VALUES or column in DIFF_JSON:
                row[column] = _value_text(v)
            elif column == f"{key}_start":
                row[column], row[f"{key}_end"] = (v[0], v[1]) if v else (None, None)
            elif column == f"{key}_end":
                continue
            else:
                row[column] = v
        extra = {k: v for k, v in c.items() if k not in declared}
        row["extra"] = json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None
        rows.append(row)
    return rows


def consecutive_pairs(out: Path) -> list[tuple[str, str, str]] | None:
    """(policy_id, older, newer) for every consecutive pair of every policy's history, read from the
    `revisions` table (ordered by history); None when the table is missing."""
    table = out / "tables" / "revisions.parquet"
    if not table.exists():
        return None
    rows = pq.read_table(table, columns=["policy_id", "revision_id", "position"]).to_pylist()
    rows.sort(key=lambda r: (r["policy_id"], r["position"]))
    return [(a["policy_id"], a["revision_id"], b["revision_id"]) for a, b in zip(rows, rows[1:])
            if a["policy_id"] == b["policy_id"]]


def stored_diffs(out: Path) -> list[Path]:
    """The stored diff JSON files (DIR/diffs/<policy_id>/<old>..<new>.json), sorted."""
    root = out / "diffs"
    return sorted(p for p in root.glob("*/*.json") if not p.name.startswith(".")) if root.is_dir() else []


def diffs_digest(out: Path) -> str:
    """A digest of everything the diffs table is made from: the diff files' names and bytes, which pairs are
    consecutive, and the table's columns."""
    digest = hashlib.sha256(str(SCHEMAS[DIFFS_TABLE]).encode())
    for p in stored_diffs(out):
        digest.update(f"{p.parent.name}/{p.name}\0".encode("utf-8", "surrogateescape"))
        digest.update(hashlib.sha256(p.read_bytes()).digest())
    digest.update(json.dumps(consecutive_pairs(out) or []).encode())
    return digest.hexdigest()


def write_diffs_table(out: Path) -> int:
    """Rewrite DIR/tables/diffs.parquet from the stored diffs; returns its row count."""
    pairs = set(consecutive_pairs(out) or [])
    writer = _TableWriter(out, DIFFS_TABLE)
    try:
        for p in stored_diffs(out):
            try:
                d = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # not a diff (a damaged file is rewritten by the next review of its pair)
            if not isinstance(d, dict):
                continue
            report = p.with_suffix(".html").relative_to(out).as_posix()
            key = (d.get("policy_id"), d.get("from_revision"), d.get("to_revision"))
            writer.add(diff_rows(d, report=report, consecutive=key in pairs))
        crash_point("tables")
        return writer.close()
    except BaseException:
        writer.abort()
        raise


def _flat(rec: dict, ids: dict) -> dict:
    row = dict(ids)
    for k, v in rec.items():
        if k in SPAN_FIELDS:
            row[f"{k}_start"], row[f"{k}_end"] = (v[0], v[1]) if v else (None, None)
        else:
            row[k] = v
    return row


def rows_of(doc: dict) -> dict[str, list[dict]]:
    """One revision document as table rows."""
    ids = {"policy_id": doc["policy_id"], "revision_id": doc["revision_id"]}
    src, md = doc["source"], doc["metadata"]
    period = md.get("period") or {}
    drow = dict(ids, **{k: v for k, v in src.items() if k != "sha256"}, source_sha256=src["sha256"])
    drow.update({k: v for k, v in md.items() if k != "period"})
    drow["cited"] = [{"title": c["title"], "doc_number": c.get("doc_number"), "evidence": c.get("evidence")}
                     for c in md.get("cited") or []]
    drow["period_start"], drow["period_end"] = period.get("start"), period.get("end")
    drow["issue_date"] = _date(md.get("issue_date"))
    drow.update({f"n_{k}": len(doc.get(k) or []) for k in (*RECORD_TABLES, "warnings")})
    drow["extractor_version"] = doc.get("extractor_version")
    out = {"documents": [drow], "texts": [dict(ids, text=doc["text"])]}
    for k in (*RECORD_TABLES, "warnings"):
        out[k] = [_flat(r, ids) for r in doc.get(k) or []]
    return out


def _date(value: str | None):
    """An ISO date string as a date (the tables' DATE columns); None stays None."""
    import datetime

    return datetime.date.fromisoformat(value) if value else None


def _timestamp(value: str | None):
    import datetime

    return datetime.datetime.fromisoformat(value) if value else None


def load_registry(out: Path) -> dict[str, dict]:
    """revision_id -> {policy_id, first_seen, seq, filename, source_sha256}: when each revision was first stored."""
    path = out / REGISTRY
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["revisions"]


def register(out: Path, stored: list[dict], first_seen: str) -> list[str]:
    """Record revisions not seen before (in the given order); returns their ids.

    An entry keeps its first-seen stamp and sequence number for ever; its policy and source follow
    the stored copy (which `settle` may have replaced by a higher-ranked file).
    """
    registry = load_registry(out)
    added, changed = [], False
    seq = max((e["seq"] for e in registry.values()), default=0)
    for doc in stored:
        rid = doc["revision_id"]
        fields = {"policy_id": doc["policy_id"], "filename": doc["filename"], "source_sha256": doc["source_sha256"]}
        if rid in registry:
            if any(registry[rid].get(k) != v for k, v in fields.items()):
                registry[rid].update(fields)
                changed = True
            continue
        seq += 1
        registry[rid] = {"policy_id": doc["policy_id"], "first_seen": first_seen, "seq": seq,
                         "filename": doc["filename"], "source_sha256": doc["source_sha256"]}
        added.append(rid)
    if added or changed:
        crash_point("registry")
        atomic_write(out / REGISTRY, dump_json({"revisions": dict(sorted(registry.items()))}, indent=1), durable=True)
        crash_point("registry")
    return added


def history_key(row: dict) -> tuple:
    """Order of a policy's revisions: issue_date (undated first), draft before final, then first seen."""
    return (row.get("issue_date") or "", row.get("status") == "final", row.get("first_seen") or "", row.get("seq") or 0)


def revision_rows(documents: list[dict], registry: dict[str, dict]) -> list[dict]:
    """The `revisions` table from `documents` rows: first-seen stamp and position within the policy."""
    rows = []
    for d in documents:
        entry = registry.get(d["revision_id"], {})
        issued = d.get("issue_date")
        rows.append({"policy_id": d["policy_id"], "revision_id": d["revision_id"],
                     "first_seen": entry.get("first_seen"), "seq": entry.get("seq"),
                     "filename": entry.get("filename", d["filename"]),
                     "source_sha256": entry.get("source_sha256", d["source_sha256"]),
                     "status": d["status"], "issue_date": issued.isoformat() if issued else None,
                     "title": d.get("title")})
    rows.sort(key=lambda r: (r["policy_id"], history_key(r)))
    position: dict[str, int] = {}
    for r in rows:
        position[r["policy_id"]] = r["position"] = position.get(r["policy_id"], 0) + 1
        r["issue_date"], r["first_seen"] = _date(r["issue_date"]), _timestamp(r["first_seen"])
    return rows


class _TableWriter:
    """Rows of one table streamed to Parquet in row groups, into a temporary file renamed at the end."""

    ROW_GROUP = 20_000

    def __init__(self, out: Path, name: str):
        self.path = out / "tables" / f"{name}.parquet"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.schema = SCHEMAS[name]
        fd, self.tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.path.parent)
        os.fchmod(fd, FILE_MODE)
        os.close(fd)
        self.writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd")
        self.rows: list[dict] = []
        self.count = 0

    def add(self, rows: list[dict]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= self.ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.count += len(self.rows)
            self.rows = []

    def close(self) -> int:
        """Finish the file; replace the old table only when the bytes differ (re-runs stay identical)."""
        self.flush()
        if self.count == 0:
            self.writer.write_table(pa.Table.from_pylist([], schema=self.schema))
        self.writer.close()
        try:
            if self.path.exists() and self.path.read_bytes() == Path(self.tmp).read_bytes():
                return self.count
            os.replace(self.tmp, self.path)
        finally:
            Path(self.tmp).unlink(missing_ok=True)
        return self.count

    def abort(self) -> None:
        self.writer.close()
        Path(self.tmp).unlink(missing_ok=True)


def write_tables(out: Path, docs: Iterable[dict], errors: Iterable[dict]) -> dict[str, int]:
    """Rewrite DIR/tables/*.parquet from the given revisions (streamed) and errors; returns row counts."""
    writers = {name: _TableWriter(out, name) for name in TABLES}
    documents: list[dict] = []
    try:
        for doc in docs:
            for k, rs in rows_of(doc).items():
                if k == "documents":
                    documents.extend(rs)
                writers[k].add(rs)
        writers["revisions"].add(revision_rows(documents, load_registry(out)))
        writers["errors"].add(list(errors))
        counts = {}
        for name, w in writers.items():
            crash_point("tables")
            counts[name] = w.close()
        return counts
    except BaseException:
        for w in writers.values():
            w.abort()
        raise


def revision_set_digest(out: Path, errors: list[dict]) -> str:
    """A digest of everything the tables are made from: stored revisions (name, size, mtime), registry, errors."""
    digest = hashlib.sha256()
    for p in sorted((out / "revisions").glob("*/*.json")):
        st = p.stat()
        digest.update(f"{p.parent.name}/{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    registry = out / REGISTRY
    digest.update(registry.read_bytes() if registry.exists() else b"")
    digest.update(json.dumps(errors, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def refresh_tables(out: Path, errors: list[dict], *, catalog: bool = True) -> tuple[dict[str, int], bool]:
    """Tables made to describe exactly what is stored: rebuilt when their stamp is stale (a killed run, a
    changed revision or error); then, with `catalog`, the diffs table and the catalog (`refresh_catalog`).
    The flow refreshes the catalog after the reviews instead, which may add diffs. (row counts, rebuilt)."""
    want = revision_set_digest(out, errors)
    stamp = out / TABLES_STAMP
    tables = out / "tables"
    fresh = (stamp.exists() and stamp.read_text() == want
             and all((tables / f"{n}.parquet").exists() for n in TABLES))
    if fresh:
        counts = {n: pq.ParquetFile(tables / f"{n}.parquet").metadata.num_rows for n in TABLES}
    else:
        stamp.unlink(missing_ok=True)
        counts = write_tables(out, iter_revisions(out), errors)
        atomic_write(stamp, want.encode(), durable=True)
    if catalog:
        refresh_catalog(out)
    return counts, not fresh


def refresh_diffs(out: Path) -> tuple[int, bool]:
    """The diffs table made to describe exactly the stored diffs: rebuilt when its stamp is stale (a diff
    written, rewritten or removed; a pair that stopped or started being consecutive). (rows, rebuilt)"""
    want = diffs_digest(out)
    stamp = out / DIFFS_STAMP
    table = out / "tables" / f"{DIFFS_TABLE}.parquet"
    if stamp.exists() and stamp.read_text() == want and table.exists():
        return pq.ParquetFile(table).metadata.num_rows, False
    stamp.unlink(missing_ok=True)
    rows = write_diffs_table(out)
    atomic_write(stamp, want.encode(), durable=True)
    return rows, True


def refresh_catalog(out: Path) -> Path:
    """The diffs table, then the catalog, made to describe what is stored (each rebuilt only when stale).
    Run after anything that writes diffs: the flow's reviews, `policyflow diff`."""
    refresh_diffs(out)
    return write_catalog(out)


def refresh_catalog_if_idle(out: Path) -> bool:
    """After a diff written outside a run (`policyflow diff`): refresh the diffs table and the catalog of an
    extract output folder unless a run holds it (that run, or the next one, refreshes them). True if done."""
    from policyflow.schemas.errors import LockedError

    if not (out / "tables" / "documents.parquet").exists():
        return False  # not an output folder of `extract`: only the diff files are written
    try:
        with output_lock(out):
            refresh_catalog(out)
    except LockedError:
        return False
    return True


def catalog_storage_number(path: Path) -> int | None:
    """The storage version number in a DuckDB file's header (64: readable by DuckDB 1.0 and later;
    DuckDB 2.0's own format reads as 999 here), None when the file is not a DuckDB database."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(20)
    except OSError:
        return None
    if len(head) < 20 or head[8:12] != b"DUCK":
        return None
    return int.from_bytes(head[12:20], "little")


def _catalog_ok(target: Path) -> bool:
    """The catalog opens, is in the storage format DuckDB 1.x clients read and has every table and view;
    a WAL beside it belongs to a client that died (never to us)."""
    import duckdb

    if not target.exists() or target.with_name(target.name + ".wal").exists():
        return False
    if catalog_storage_number(target) != CATALOG_STORAGE_NUMBER:
        return False  # e.g. written by DuckDB 2.0 in its own format before the catalog named its storage
    try:
        con = duckdb.connect(str(target), read_only=True)
    except duckdb.Error:
        return False
    try:
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    except duckdb.Error:
        return False
    finally:
        con.close()
    return {*CATALOG_TABLES, *CATALOG_VIEWS} <= names


CATALOG_VIEWS = {
    # each policy's latest revision (last in history order), as a `documents` row
    "latest_revisions": "SELECT d.* FROM documents d JOIN (SELECT policy_id, revision_id FROM revisions QUALIFY "
                        "row_number() OVER (PARTITION BY policy_id ORDER BY position DESC) = 1) r "
                        "USING (policy_id, revision_id)",
}


def write_catalog(out: Path) -> Path:
    """DIR/catalog.duckdb: one table per Parquet file (the data copied in, so the catalog holds no path and
    opens wherever the folder is moved) and the views of CATALOG_VIEWS, in the storage format of DuckDB
    1.1 (`CATALOG_STORAGE`: DuckDB 1.1 to 2.x open it); rebuilt when the tables changed or it is unsound."""
    import duckdb

    tables_dir = out / "tables"
    if not (tables_dir / f"{DIFFS_TABLE}.parquet").exists():
        refresh_diffs(out)
    digest = hashlib.sha256(CATALOG_FORMAT.encode())
    for name in CATALOG_TABLES:
        digest.update((tables_dir / f"{name}.parquet").read_bytes())
    stamp = out / ".catalog.sha256"
    target = out / "catalog.duckdb"
    if stamp.exists() and stamp.read_text() == digest.hexdigest() and _catalog_ok(target):
        return target
    stamp.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".catalog.", suffix=".duckdb", dir=out)
    os.close(fd)
    os.unlink(tmp)
    try:
        con = duckdb.connect(tmp, config={"storage_compatibility_version": CATALOG_STORAGE})
        try:
            con.execute("BEGIN TRANSACTION")
            for name in CATALOG_TABLES:
                path = str(tables_dir / f"{name}.parquet").replace("'", "''")
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
            for name, sql in CATALOG_VIEWS.items():
                con.execute(f"CREATE VIEW {name} AS {sql}")
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        crash_point("catalog")
        os.replace(tmp, target)
        Path(str(target) + ".wal").unlink(missing_ok=True)
    finally:
        Path(tmp).unlink(missing_ok=True)
        Path(tmp + ".wal").unlink(missing_ok=True)
    crash_point("catalog")
    atomic_write(stamp, digest.hexdigest().encode(), durable=True)
    return target


@contextlib.contextmanager
def output_lock(out: Path, *, wait: float = 0.0):
    """Hold DIR/.lock for a run: a second run on the same folder waits up to `wait` seconds, then fails
    with E013. flock is released by the kernel when a process dies, so a crash leaves no stale lock."""
    import fcntl

    from policyflow.schemas.errors import LockedError

    out.mkdir(parents=True, exist_ok=True)
    fh = open(out / ".lock", "a+")
    deadline = time.monotonic() + max(0.0, wait)
    try:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockedError("E013", path=str(out)) from None
                time.sleep(0.2)
        yield
    finally:
        fh.close()
