"""What must exist in an output folder, derived from what is stored, so a re-run heals any crash.

Every consecutive pair in a policy's history has its review files (JSON, Markdown, HTML) and a
stamp naming the exact revision files they were made from; a missing or stale stamp means the
pair is reviewed again (the stamp names a revision by id, size and time, not by file name, so renaming
legacy `sha256:<hex>.json` files does not redo reviews). Tables, the diffs table and the catalog are
reconciled the same way in `store.refresh_tables` and `store.refresh_catalog` (after the reviews).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from policyflow.flows import store
from policyflow.flows.review import history, review_paths, write_review


def pairs(out: Path) -> list[tuple[str, str, str]]:
    """(policy_id, older revision, newer revision) for every consecutive pair of every policy's history.

    Read from the `revisions` table (refreshed just before reviews, ordered by history) rather than
    by parsing every stored revision on every run; the store is read only when the table is missing.
    """
    found = store.consecutive_pairs(out)
    if found is not None:
        return found
    found = []
    for pid, rows in history(out).items():
        found += [(pid, a["revision_id"], b["revision_id"]) for a, b in zip(rows, rows[1:])]
    return found


def _stamp_path(out: Path, policy_id: str, old_id: str, new_id: str) -> Path:
    stem = review_paths(out, {"policy_id": policy_id, "from_revision": old_id, "to_revision": new_id})["json"]
    return stem.with_name(f".{stem.stem}.stamp")


def _want(out: Path, policy_id: str, old_id: str, new_id: str) -> str:
    h = hashlib.sha256()
    for rid in (old_id, new_id):
        st = store.find_revision(out, policy_id, rid).stat()
        h.update(f"{rid}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def stale_pairs(out: Path) -> list[tuple[str, str, str]]:
    """Pairs whose review files are missing or were made from other revision files."""
    stale = []
    for pid, a, b in pairs(out):
        stamp = _stamp_path(out, pid, a, b)
        files = review_paths(out, {"policy_id": pid, "from_revision": a, "to_revision": b}).values()
        if not (stamp.exists() and stamp.read_text() == _want(out, pid, a, b) and all(p.exists() for p in files)):
            stale.append((pid, a, b))
    return stale


def review_pair(out: Path, policy_id: str, old_id: str, new_id: str) -> str:
    """Write one pair's review files, then its stamp (last, so a crash in between leaves it stale)."""
    load = lambda rid: json.loads(store.find_revision(out, policy_id, rid).read_text(encoding="utf-8"))  # noqa: E731
    paths = write_review(out, load(old_id), load(new_id))
    store.atomic_write(_stamp_path(out, policy_id, old_id, new_id), _want(out, policy_id, old_id, new_id).encode())
    return str(paths["html"])
