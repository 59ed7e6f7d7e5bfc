"""Revision history and review files: which revisions a policy has, in order, their diffs on disk,
and the `diffs/index.html` page listing them."""
from __future__ import annotations

import json
from pathlib import Path

from policyflow.flows import store
from policyflow.flows.diff import diff
from policyflow.flows.html_report import html, index, kind_counts
from policyflow.flows.report import markdown


def load_revision(out: Path, revision_id: str) -> dict:
    """A stored revision by its id, whichever file name it has (portable, or legacy until a run migrates it)."""
    paths = [p for p in store.revision_files(out, revision_id) if store.revision_id_of(p) == revision_id]
    if not paths:
        raise FileNotFoundError(f"no stored revision {revision_id} under {out / 'revisions'}")
    return json.loads(paths[0].read_text(encoding="utf-8"))


def history(out: Path, policy_id: str | None = None) -> dict[str, list[dict]]:
    """policy_id -> its revisions in order (issue_date, draft before final, first seen), as small rows."""
    registry = store.load_registry(out)
    policies: dict[str, list[dict]] = {}
    root = out / "revisions"
    for pdir in sorted(root.glob("*")) if root.is_dir() else []:
        if policy_id and pdir.name != policy_id:
            continue
        seen = set()
        for path in sorted(pdir.glob("*.json")):
            if store.revision_id_of(path) in seen:
                continue  # both names of one revision (a migration under way): one row
            seen.add(store.revision_id_of(path))
            doc = json.loads(path.read_text(encoding="utf-8"))
            entry = registry.get(doc["revision_id"], {})
            policies.setdefault(doc["policy_id"], []).append({
                "revision_id": doc["revision_id"], "status": doc["metadata"]["status"],
                "issue_date": doc["metadata"].get("issue_date"), "title": doc["metadata"].get("title"),
                "first_seen": entry.get("first_seen"), "seq": entry.get("seq"),
                "filename": entry.get("filename", doc["source"]["filename"]),
                **{f"n_{k}": len(doc[k]) for k in ("measures", "targets", "amounts", "units")}})
    for rows in policies.values():
        rows.sort(key=store.history_key)
    return policies


def review_paths(out: Path, d: dict) -> dict[str, Path]:
    stem = f"{d['from_revision'].split(':')[-1][:12]}..{d['to_revision'].split(':')[-1][:12]}"
    base = out / "diffs" / d["policy_id"]
    return {"json": base / f"{stem}.json", "md": base / f"{stem}.md", "html": base / f"{stem}.html"}


def write_review(out: Path, old: dict, new: dict) -> dict[str, Path]:
    """Diff JSON, Markdown summary and HTML report of old -> new under DIR/diffs/<policy_id>/."""
    d = diff(old, new)
    paths = review_paths(out, d)
    store.atomic_write(paths["json"], store.dump_json(d))
    store.atomic_write(paths["md"], markdown(d, old, new).encode("utf-8"))
    store.atomic_write(paths["html"], html(d, old, new).encode("utf-8"))
    return paths


def review_new_revisions(out: Path, new: list[tuple[str, str]]) -> list[dict[str, Path]]:
    """For every new (policy_id, revision_id) with a neighbour in its policy's history, write that step's review."""
    wanted = {rid for _, rid in new}
    written = []
    for pid in sorted({pid for pid, _ in new}):
        if len({store.revision_id_of(p) for p in (out / "revisions" / pid).glob("*.json")}) < 2:
            continue  # a policy's first revision has nothing to be compared with
        rows = history(out, pid).get(pid, [])
        for prev, cur in zip(rows, rows[1:]):
            if cur["revision_id"] in wanted or prev["revision_id"] in wanted:
                written.append(write_review(out, _load(out, pid, prev["revision_id"]), _load(out, pid, cur["revision_id"])))
    return written


def _load(out: Path, policy_id: str, revision_id: str) -> dict:
    return json.loads(store.find_revision(out, policy_id, revision_id).read_text(encoding="utf-8"))


def index_entries(out: Path) -> list[dict]:
    """Per policy (by title): its revisions in history order and each consecutive diff with its counts."""
    policies = []
    for pid, rows in sorted(history(out).items(), key=lambda kv: ((kv[1][-1].get("title") or ""), kv[0])):
        diffs = []
        for a, b in zip(rows, rows[1:]):
            pair = {"policy_id": pid, "from_revision": a["revision_id"], "to_revision": b["revision_id"]}
            path = review_paths(out, pair)["json"]
            entry = {**pair, "stem": path.stem, "counts": None, "total": None}
            try:
                changes = json.loads(path.read_text(encoding="utf-8"))["changes"]
                entry.update(counts=kind_counts(changes), total=len(changes))
            except (OSError, ValueError, KeyError):
                pass  # not written (yet): listed without counts
            diffs.append(entry)
        policies.append({"policy_id": pid, "title": rows[-1].get("title"), "diffs": diffs,
                         "revisions": [{k: r.get(k) for k in ("revision_id", "status", "issue_date", "filename")}
                                       for r in rows]})
    return policies


def write_index(out: Path) -> Path | None:
    """Rewrite DIR/diffs/index.html from what is stored (unchanged bytes are not rewritten); None when
    no policy has two revisions, so a folder without diffs gets no diffs/ folder."""
    policies = index_entries(out)
    if not any(p["diffs"] for p in policies):
        return None
    path = out / "diffs" / "index.html"
    store.atomic_write(path, index(policies).encode("utf-8"))
    return path
