"""Semantic diff of two revisions of one policy (CONTRACT, "Diff between two revisions").

Measures are matched by content, not by label: each measure's text is normalized (page-break
joins, widths, whitespace and its own number removed) and compared by character-bigram
similarity; pairs are assigned greedily from the most similar down, with a small position
prior so that repeated boilerplate pairs in order. Unchanged runs are paired first and only the
rest is scored, against a bounded set of candidates, so time grows near-linearly with the
measure count. Records are compared inside matched measures (targets and amounts outside any
measure are compared as one more group).
"""
from __future__ import annotations

import bisect
import difflib
import json
from collections import Counter
from typing import Any, Callable

from extractors.normalize import compact, normalize
from extractors.structure import _match_style
from schemas.models import SCHEMA_VERSION

MATCH_THRESHOLD = 0.5
ABSENT = "\0absent"  # a measure id no record has: compare a measure's records against nothing
METADATA_FIELDS = ("title", "notice_title", "issuer", "doc_number", "status", "region", "period", "issue_date",
                   "cited")
AMOUNT_FIELDS = ("role", "bound", "value_yuan", "ratio", "per")
TARGET_FIELDS = ("indicator", "scope", "year", "value", "value_max", "unit", "comparator", "aspirational")
IDENTITY = {
    "amount": ("role", "bound", "value_yuan", "ratio"),
    "target": ("indicator", "year", "value", "unit"),
    "unit": ("name", "role"),
    "measure": ("title",),
    "section": ("label", "title"),
}


def measure_content(doc: dict, measure: dict) -> str:
    """A measure's text for comparison: normalized, without whitespace or its own number."""
    text = normalize(doc["text"][measure["span"][0]:measure["span"][1]]).text.strip()
    first, _, rest = text.partition("\n")
    style, m = _match_style(first)
    if m:
        first = m.group("rest")
    return compact(first + rest)


FULL_PAIRS = 4096  # up to this many unmatched pairs, every pair is scored
WINDOW = 6  # else: the unmatched items nearest an item's expected position on each side ...
CANDIDATES = 6  # ... and the ones sharing most of its rarer bigrams
RARE = 8  # bigrams of an item looked up in the index
MAX_POSTINGS = 256  # a bigram in more items than this says nothing about which one matches


def _bigrams(s: str) -> Counter:
    return Counter(s[i:i + 2] for i in range(max(1, len(s) - 1)))


def _dice(x: Counter, y: Counter) -> float:
    if len(x) > len(y):
        x, y = y, x
    common = sum(min(n, y[g]) for g, n in x.items() if g in y)
    return 2 * common / (sum(x.values()) + sum(y.values()))


def similarity(a: str, b: str) -> float:
    """Dice coefficient over character bigrams (1.0 for equal strings)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return _dice(_bigrams(a), _bigrams(b))


def _anchors(old: list[str], new: list[str]) -> tuple[list[tuple[int, int]], dict[int, int]]:
    """Equal items of the longest matching runs as pairs, and each other old item's expected new position."""
    pairs, expect = [], {}
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            pairs += zip(range(i1, i2), range(j1, j2))
        else:
            expect.update((i, j1 + (i - i1) * (j2 - j1) // max(1, i2 - i1)) for i in range(i1, i2))
    return pairs, expect


def _nearest(sorted_items: list[int], pos: int, k: int) -> list[int]:
    at = bisect.bisect_left(sorted_items, pos)
    return sorted_items[max(0, at - k):at + k]


def _sharing(index: dict[str, list[int]], item: Counter) -> list[int]:
    """The items of `index` sharing most of `item`'s rarer bigrams (at most CANDIDATES)."""
    rare = sorted((g for g in item if 0 < len(index.get(g, ())) <= MAX_POSTINGS), key=lambda g: len(index[g]))
    hits = Counter(k for g in rare[:RARE] for k in index[g])
    return [k for k, _ in hits.most_common(CANDIDATES)]


def _candidates(old: list[str], new: list[str], left: list[int], right: list[int], expect: dict[int, int],
                grams_a: dict[int, Counter], grams_b: dict[int, Counter]):
    """Pairs worth scoring among unmatched items: all when few, else neighbours and bigram-sharing items."""
    if len(left) * len(right) <= FULL_PAIRS:
        yield from ((i, j) for i in left for j in right)
        return
    index_a: dict[str, list[int]] = {}
    index_b: dict[str, list[int]] = {}
    for i in left:
        for g in grams_a[i]:
            index_a.setdefault(g, []).append(i)
    for j in right:
        for g in grams_b[j]:
            index_b.setdefault(g, []).append(j)
    equal_b: dict[str, list[int]] = {}
    for j in right:
        equal_b.setdefault(new[j], []).append(j)
    for i in left:
        yield from ((i, j) for j in _nearest(right, expect[i], WINDOW))
        yield from ((i, j) for j in _sharing(index_b, grams_a[i]))
        yield from ((i, j) for j in equal_b.get(old[i], [])[:WINDOW])
    for j in right:
        for i in _sharing(index_a, grams_b[j]):
            yield i, j


def align(old: list[str], new: list[str], threshold: float = MATCH_THRESHOLD) -> list[tuple[int, int]]:
    """One-to-one pairs (i, j) of similar items, most similar first; ties favour the same position.

    Runs of equal items pair first; the rest is scored as in `similarity`, against every unmatched item
    when there are few, else against a bounded set of candidates (see `_candidates`).
    """
    pairs, expect = _anchors(old, new)
    used_i, used_j = {i for i, _ in pairs}, {j for _, j in pairs}
    left = [i for i in range(len(old)) if i not in used_i]
    right = [j for j in range(len(new)) if j not in used_j]
    grams_a = {i: _bigrams(old[i]) for i in left}
    grams_b = {j: _bigrams(new[j]) for j in right}
    scored, seen = [], set()
    for i, j in _candidates(old, new, left, right, expect, grams_a, grams_b):
        if (i, j) in seen:
            continue
        seen.add((i, j))
        s = 1.0 if old[i] == new[j] else _dice(grams_a[i], grams_b[j]) if old[i] and new[j] else 0.0
        if s >= threshold:
            drift = abs(i / max(1, len(old)) - j / max(1, len(new)))
            scored.append((s - 0.01 * drift, i, j))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    for _, i, j in scored:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((i, j))
    return sorted(pairs, key=lambda p: p[1])


def _pair_records(old: list[dict], new: list[dict], keys: tuple[str, ...], loose: Callable[[dict], Any]):
    """Pairs of records in document order: runs identical on `keys` pair up, then records of a replaced
    run pair in order when `loose(r)` agrees; the rest were removed or added."""
    key = lambda r: tuple(json.dumps(r.get(k), sort_keys=True) for k in keys)  # noqa: E731
    sm = difflib.SequenceMatcher(None, [key(r) for r in old], [key(r) for r in new], autojunk=False)
    pairs, gone, came = [], [], []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            pairs += list(zip(range(i1, i2), range(j1, j2)))
            continue
        left, right = list(range(i1, i2)), list(range(j1, j2))
        for j in list(right):
            i = next((i for i in left if loose(old[i]) == loose(new[j])), None)
            if i is not None:
                pairs.append((i, j))
                left.remove(i)
                right.remove(j)
        gone += left
        came += right
    return sorted(pairs, key=lambda p: p[1]), gone, came


def _by_measure(records: list[dict]) -> dict[str | None, list[dict]]:
    out: dict[str | None, list[dict]] = {}
    for r in records:
        out.setdefault(r.get("measure_id"), []).append(r)
    return out


class _Differ:
    def __init__(self, a: dict, b: dict):
        self.a, self.b = a, b
        self.changes: list[dict] = []
        self.labels_a = {m["id"]: m["label"] for m in a["measures"]}
        self.labels_b = {m["id"]: m["label"] for m in b["measures"]}
        self.by_measure = {id(doc): {kind: _by_measure(doc[kind]) for kind in ("amounts", "targets", "units")}
                           for doc in (a, b)}

    def add(self, entity: str, change: str, *, rec_a: dict | None = None, rec_b: dict | None = None, **fields):
        out = {"entity": entity, "change": change}
        out.update(fields)
        if rec_a is not None or change == "removed":
            out["measure_from"] = fields.get("measure_from", self.labels_a.get((rec_a or {}).get("measure_id")))
        if rec_b is not None or change == "added":
            out["measure_to"] = fields.get("measure_to", self.labels_b.get((rec_b or {}).get("measure_id")))
        if rec_a is not None:
            out["from_span"] = list(rec_a["span"])
        if rec_b is not None:
            out["to_span"] = list(rec_b["span"])
        self.changes.append(out)

    def identity(self, entity: str, rec: dict) -> dict:
        return {k: rec.get(k) for k in IDENTITY[entity]}

    def records(self, entity: str, old: list[dict], new: list[dict], fields: tuple[str, ...], keys, loose):
        pairs, gone, came = _pair_records(old, new, keys, loose)
        for i, j in pairs:
            for f in fields:
                va, vb = old[i].get(f), new[j].get(f)
                if (sorted(va) if isinstance(va, list) else va) != (sorted(vb) if isinstance(vb, list) else vb):
                    self.add(entity, "modified", rec_a=old[i], rec_b=new[j], field=f, **{"from": va, "to": vb})
        for j in came:
            self.add(entity, "added", rec_b=new[j], **self.identity(entity, new[j]))
        for i in gone:
            self.add(entity, "removed", rec_a=old[i], **self.identity(entity, old[i]))

    def of_measure(self, kind: str, doc: dict, measure_id: str | None) -> list[dict]:
        return self.by_measure[id(doc)][kind].get(measure_id, [])

    def compare_contents(self, mid_a: str | None, mid_b: str | None):
        a, b = self.a, self.b
        self.records("amount", self.of_measure("amounts", a, mid_a), self.of_measure("amounts", b, mid_b),
                     AMOUNT_FIELDS, ("role", "bound", "value_yuan", "ratio"),
                     lambda r: (r["role"], r["value_yuan"] is None))
        self.records("target", self.of_measure("targets", a, mid_a), self.of_measure("targets", b, mid_b),
                     TARGET_FIELDS, ("indicator", "scope", "year", "value"), lambda r: (r["indicator"], r["scope"]))
        self.records("unit", self.of_measure("units", a, mid_a), self.of_measure("units", b, mid_b),
                     ("role",), ("name", "role"), lambda r: r["name"])

    def run(self) -> list[dict]:
        a, b = self.a, self.b
        for f in METADATA_FIELDS:
            va, vb = a["metadata"].get(f), b["metadata"].get(f)
            if f == "cited":
                va = sorted(compact(c.get("doc_number") or c["title"]) for c in va or [])
                vb = sorted(compact(c.get("doc_number") or c["title"]) for c in vb or [])
            if va != vb:
                self.changes.append({"entity": "metadata", "change": "modified", "field": f, "from": va, "to": vb})
        self.sections()
        ca = [measure_content(a, m) for m in a["measures"]]
        cb = [measure_content(b, m) for m in b["measures"]]
        pairs = align(ca, cb)
        matched_a = {i for i, _ in pairs}
        by_new = dict((j, i) for i, j in pairs)
        self.compare_contents(None, None)
        for j, mb in enumerate(b["measures"]):
            i = by_new.get(j)
            if i is None:
                self.add("measure", "added", rec_b=mb, measure_to=mb["label"], title=mb.get("title"))
                self.compare_contents(ABSENT, mb["id"])
                continue
            ma = a["measures"][i]
            labels = {"measure_from": ma["label"], "measure_to": mb["label"]}
            if ma["label"] != mb["label"]:
                self.add("measure", "modified", rec_a=ma, rec_b=mb, field="label",
                         **{"from": ma["label"], "to": mb["label"]}, **labels)
            if ca[i] != cb[j]:
                self.add("measure", "modified", rec_a=ma, rec_b=mb, field="text", **labels)
            if (ma.get("title") or None) != (mb.get("title") or None):
                self.add("measure", "modified", rec_a=ma, rec_b=mb, field="title",
                         **{"from": ma.get("title"), "to": mb.get("title")}, **labels)
            self.compare_contents(ma["id"], mb["id"])
        for i, ma in enumerate(a["measures"]):
            if i not in matched_a:
                self.add("measure", "removed", rec_a=ma, measure_from=ma["label"], title=ma.get("title"))
                self.compare_contents(ma["id"], ABSENT)
        return self.changes

    def sections(self):
        a, b = self.a["sections"], self.b["sections"]
        pairs = align([compact(s["title"]) for s in a], [compact(s["title"]) for s in b], 0.6)
        seen_a = {i for i, _ in pairs}
        seen_b = {j for _, j in pairs}
        for i, j in pairs:
            for f in ("label", "title", "level"):
                if a[i].get(f) != b[j].get(f):
                    self.add("section", "modified", rec_a=a[i], rec_b=b[j], field=f, **{"from": a[i][f], "to": b[j][f]})
        for j, s in enumerate(b):
            if j not in seen_b:
                self.add("section", "added", rec_b=s, **self.identity("section", s))
        for i, s in enumerate(a):
            if i not in seen_a:
                self.add("section", "removed", rec_a=s, **self.identity("section", s))


def diff(old: dict, new: dict) -> dict:
    """The contract's diff object for two revision documents (old -> new)."""
    changes = _Differ(old, new).run()
    for c in changes:
        if c["entity"] in ("amount", "target", "unit", "section", "measure") and c["change"] != "modified":
            c.pop("from_span" if c["change"] == "added" else "to_span", None)
    return {"schema_version": SCHEMA_VERSION, "policy_id": new["policy_id"], "from_revision": old["revision_id"],
            "to_revision": new["revision_id"], "from_filename": old["source"]["filename"],
            "to_filename": new["source"]["filename"], "changes": changes}
