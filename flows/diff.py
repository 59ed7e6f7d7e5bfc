"""Semantic diff of two revisions of one policy (CONTRACT, "Diff between two revisions").

Measures are matched by content, not by label: each measure's text is normalized (page-break
joins, widths, whitespace and its own number removed) and compared by character-bigram
similarity; pairs are assigned greedily from the most similar down, with a small position
prior so that repeated boilerplate pairs in order. Unchanged runs are paired first and only the
rest is scored, against a bounded set of candidates, so time grows near-linearly with the
measure count. Records are compared inside matched measures (targets and amounts outside any
measure are compared as one more group). Every record change names what identifies it to a reader
(a target's indicator and year, an amount's role and condition, a unit's name) and the titles of the
measures holding it; conditions are diffed as records of their own; label changes that shift a run of
consecutive measures by the same step share a `group` id so that readers can fold them.
"""
from __future__ import annotations

import bisect
import difflib
import json
import unicodedata
from collections import Counter
from typing import Any, Callable

from policyflow.extractors.normalize import compact, normalize
from policyflow.extractors.numbers import parse_int
from policyflow.extractors.structure import _match_style
from policyflow.schemas.models import SCHEMA_VERSION

MATCH_THRESHOLD = 0.5
ABSENT = "\0absent"  # a measure id no record has: compare a measure's records against nothing
METADATA_FIELDS = ("title", "notice_title", "issuer", "doc_number", "status", "region", "period", "issue_date",
                   "cited")
AMOUNT_FIELDS = ("role", "bound", "value_yuan", "ratio", "per", "per_period")
TARGET_FIELDS = ("indicator", "scope", "year", "value", "value_max", "unit", "comparator", "aspirational")
IDENTITY = {
    "amount": ("role", "bound", "value_yuan", "ratio"),
    "target": ("indicator", "year", "value", "unit"),
    "unit": ("name", "role"),
    "measure": ("title",),
    "section": ("label", "title"),
    "condition": ("text",),
}
READER = {  # what names a record to a reader, flat on every change of it (the new revision's values)
    "amount": ("role", "bound"),
    "target": ("indicator", "year", "scope", "unit"),
    "unit": ("name", "role"),
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


def label_number(label: str | None) -> tuple[str, int] | None:
    """A measure label's numbering style and value: '4' -> ('arabic', 4), '十二' -> ('cn', 12),
    '第五条' -> ('第条', 5), '①' -> ('circled', 1); None when it is not a number."""
    s = (label or "").strip()
    style = ""
    if len(s) > 2 and s[0] == "第" and s[-1] in "条章节款":
        style, s = "第" + s[-1], s[1:-1]
    if not s:
        return None
    if s.isascii() and s.isdigit():
        return style or "arabic", int(s)
    if len(s) == 1 and s.isdigit():  # circled and other single digit signs (int() refuses ①)
        return style or "circled", int(unicodedata.numeric(s))
    n = parse_int(s)
    return (style or "cn", n) if n is not None else None


def _pair_conditions(old: list[dict], new: list[dict], amount_pairs: dict[str, str]) -> tuple[list, list, list]:
    """Pairs of conditions: equal texts in order, then reworded ones by similar text or by gating paired amounts."""
    ka = [compact(c["text"]) for c in old]
    kb = [compact(c["text"]) for c in new]
    pairs, left, right = [], [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes():
        if op == "equal":
            pairs += zip(range(i1, i2), range(j1, j2))
        else:
            left += range(i1, i2)
            right += range(j1, j2)
    owner = {a: j for j in right for a in new[j].get("amount_ids", [])}
    linked = {(i, owner[amount_pairs[a]]) for i in left for a in old[i].get("amount_ids", [])
              if amount_pairs.get(a) in owner}
    candidates = ((i, j) for i in left for j in right) if len(left) * len(right) <= FULL_PAIRS else iter(linked)
    scored = []
    for i, j in candidates:
        s = similarity(ka[i], kb[j]) + (0.5 if (i, j) in linked else 0.0)
        if s >= MATCH_THRESHOLD:
            scored.append((-s, i, j))
    used_i, used_j = set(), set()
    for _, i, j in sorted(scored):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((i, j))
    gone = [old[i] for i in left if i not in used_i]
    came = [new[j] for j in right if j not in used_j]
    return [(old[i], new[j]) for i, j in sorted(pairs, key=lambda p: p[1])], gone, came


class _Differ:
    def __init__(self, a: dict, b: dict):
        self.a, self.b = a, b
        self.changes: list[dict] = []
        self.labels_a = {m["id"]: m["label"] for m in a["measures"]}
        self.labels_b = {m["id"]: m["label"] for m in b["measures"]}
        self.titles = {id(doc): {m["id"]: m.get("title") for m in doc["measures"]} for doc in (a, b)}
        self.by_measure = {id(doc): {kind: _by_measure(doc.get(kind) or [])
                                     for kind in ("amounts", "targets", "units", "conditions")} for doc in (a, b)}
        self.conds = {id(doc): {c["id"]: c for c in doc.get("conditions") or []} for doc in (a, b)}
        self.amounts = {id(doc): {r["id"]: r for r in doc.get("amounts") or []} for doc in (a, b)}

    def add(self, entity: str, change: str, *, rec_a: dict | None = None, rec_b: dict | None = None, **fields):
        out = {"entity": entity, "change": change}
        out.update(fields)
        own = (lambda r: r.get("id")) if entity == "measure" else (lambda r: r.get("measure_id"))  # noqa: E731
        if rec_a is not None or change == "removed":
            out["measure_from"] = fields.get("measure_from", self.labels_a.get(own(rec_a or {})))
            if entity != "section":
                out["measure_title_from"] = self.titles[id(self.a)].get(own(rec_a or {}))
        if rec_b is not None or change == "added":
            out["measure_to"] = fields.get("measure_to", self.labels_b.get(own(rec_b or {})))
            if entity != "section":
                out["measure_title_to"] = self.titles[id(self.b)].get(own(rec_b or {}))
        for side, rec in (("from", rec_a), ("to", rec_b)):
            if rec is not None:
                out[f"{side}_span"] = list(rec["span"])
                if rec.get("span_utf16") is not None:  # revisions stored before it existed have none
                    out[f"{side}_span_utf16"] = list(rec["span_utf16"])
        self.changes.append(out)

    def identity(self, entity: str, rec: dict) -> dict:
        return {k: rec.get(k) for k in IDENTITY[entity]}

    def condition_text(self, doc: dict, rec: dict | None) -> str | None:
        cond = self.conds[id(doc)].get((rec or {}).get("condition_id"))
        return cond["text"] if cond else None

    def reader(self, entity: str, rec_a: dict | None, rec_b: dict | None) -> dict:
        """What names the record to a reader (the new revision's values; the old one's when removed)."""
        rec = rec_b if rec_b is not None else rec_a
        out = {k: rec.get(k) for k in READER.get(entity, ())}
        if entity == "amount":
            ca, cb = self.condition_text(self.a, rec_a), self.condition_text(self.b, rec_b)
            out["condition"] = cb if rec_b is not None else ca
            if rec_a is not None and rec_b is not None and (ca and compact(ca)) != (cb and compact(cb)):
                out["condition_from"] = ca
        return out

    def gated(self, doc: dict, cond: dict) -> dict:
        """The amounts a condition gates: their ids and, for readers, their figures as printed."""
        ids = list(cond.get("amount_ids") or [])
        found = [self.amounts[id(doc)][i] for i in ids if i in self.amounts[id(doc)]]
        return {"amount_ids": ids, "amounts": [{"role": r.get("role"), "bound": r.get("bound"),
                                                "value_yuan": r.get("value_yuan"), "ratio": r.get("ratio"),
                                                "text": doc["text"][r["span"][0]:r["span"][1]]} for r in found]}

    def records(self, entity: str, old: list[dict], new: list[dict], fields: tuple[str, ...], keys, loose):
        pairs, gone, came = _pair_records(old, new, keys, loose)
        for i, j in pairs:
            named = None
            for f in fields:
                va, vb = old[i].get(f), new[j].get(f)
                if (sorted(va) if isinstance(va, list) else va) != (sorted(vb) if isinstance(vb, list) else vb):
                    named = named or self.reader(entity, old[i], new[j])
                    self.add(entity, "modified", rec_a=old[i], rec_b=new[j], field=f, **{"from": va, "to": vb},
                             **named)
        for j in came:
            self.add(entity, "added", rec_b=new[j], **{**self.identity(entity, new[j]),
                                                       **self.reader(entity, None, new[j])})
        for i in gone:
            self.add(entity, "removed", rec_a=old[i], **{**self.identity(entity, old[i]),
                                                         **self.reader(entity, old[i], None)})
        return [(old[i], new[j]) for i, j in pairs]

    def conditions(self, old: list[dict], new: list[dict], amount_pairs: dict[str, str]):
        pairs, gone, came = _pair_conditions(old, new, amount_pairs)
        for ra, rb in pairs:
            if compact(ra["text"]) != compact(rb["text"]):
                self.add("condition", "modified", rec_a=ra, rec_b=rb, field="text",
                         **{"from": ra["text"], "to": rb["text"]}, **self.gated(self.b, rb))
        for rb in came:
            self.add("condition", "added", rec_b=rb, text=rb["text"], **self.gated(self.b, rb))
        for ra in gone:
            self.add("condition", "removed", rec_a=ra, text=ra["text"], **self.gated(self.a, ra))

    def of_measure(self, kind: str, doc: dict, measure_id: str | None) -> list[dict]:
        return self.by_measure[id(doc)][kind].get(measure_id, [])

    def compare_contents(self, mid_a: str | None, mid_b: str | None):
        a, b = self.a, self.b
        paired = self.records("amount", self.of_measure("amounts", a, mid_a), self.of_measure("amounts", b, mid_b),
                              AMOUNT_FIELDS, ("role", "bound", "value_yuan", "ratio"),
                              lambda r: (r["role"], r["value_yuan"] is None))
        self.records("target", self.of_measure("targets", a, mid_a), self.of_measure("targets", b, mid_b),
                     TARGET_FIELDS, ("indicator", "scope", "year", "value"), lambda r: (r["indicator"], r["scope"]))
        self.records("unit", self.of_measure("units", a, mid_a), self.of_measure("units", b, mid_b),
                     ("role",), ("name", "role"), lambda r: r["name"])
        self.conditions(self.of_measure("conditions", a, mid_a), self.of_measure("conditions", b, mid_b),
                        {ra["id"]: rb["id"] for ra, rb in paired})

    def removed_measure(self, ma: dict, content: str):
        self.add("measure", "removed", rec_a=ma, measure_from=ma["label"], title=ma.get("title"),
                 excerpt=content[:EXCERPT])
        self.compare_contents(ma["id"], ABSENT)

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
        removed = [i for i in range(len(ca)) if i not in matched_a]  # listed where they stood in the old text
        gone = 0
        relabelled: list[tuple[int, dict]] = []
        self.compare_contents(None, None)
        for j, mb in enumerate(b["measures"]):
            i = by_new.get(j)
            if i is None:
                self.add("measure", "added", rec_b=mb, measure_to=mb["label"], title=mb.get("title"),
                         excerpt=cb[j][:EXCERPT])
                self.compare_contents(ABSENT, mb["id"])
                continue
            while gone < len(removed) and removed[gone] < i:
                self.removed_measure(a["measures"][removed[gone]], ca[removed[gone]])
                gone += 1
            ma = a["measures"][i]
            labels = {"measure_from": ma["label"], "measure_to": mb["label"]}
            if ma["label"] != mb["label"]:
                self.add("measure", "modified", rec_a=ma, rec_b=mb, field="label",
                         **{"from": ma["label"], "to": mb["label"]}, **labels)
                relabelled.append((j, self.changes[-1]))
            if ca[i] != cb[j]:
                self.add("measure", "modified", rec_a=ma, rec_b=mb, field="text", **labels)
            if (ma.get("title") or None) != (mb.get("title") or None):
                self.add("measure", "modified", rec_a=ma, rec_b=mb, field="title",
                         **{"from": ma.get("title"), "to": mb.get("title")}, **labels)
            self.compare_contents(ma["id"], mb["id"])
        for i in removed[gone:]:
            self.removed_measure(a["measures"][i], ca[i])
        self.group_renumbering(relabelled)
        return self.changes

    def group_renumbering(self, relabelled: list[tuple[int, dict]]):
        """One `group` id per run of label changes on consecutive measures (of one level) shifted by one step."""
        levels = [m["level"] for m in self.b["measures"]]
        rank, seen = [], Counter()
        for lvl in levels:
            rank.append(seen[lvl])
            seen[lvl] += 1
        group, prev = 0, None
        for j, c in relabelled:
            na, nb = label_number(c["from"]), label_number(c["to"])
            cur = (levels[j], rank[j], na, nb)
            if not (prev and na and nb and prev[2] and prev[3] and prev[0] == levels[j] and prev[1] + 1 == rank[j]
                    and (prev[2][0], prev[2][1] + 1) == na and (prev[3][0], prev[3][1] + 1) == nb):
                group += 1
            c["group"] = f"renumber-{group}"
            prev = cur

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


EXCERPT = 40  # characters of an added or removed measure's text given as `excerpt`


def diff(old: dict, new: dict) -> dict:
    """The contract's diff object for two revision documents (old -> new)."""
    changes = _Differ(old, new).run()
    for c in changes:
        if c["entity"] != "metadata" and c["change"] != "modified":
            side = "from" if c["change"] == "added" else "to"
            c.pop(f"{side}_span", None)
            c.pop(f"{side}_span_utf16", None)
    return {"schema_version": SCHEMA_VERSION, "policy_id": new["policy_id"], "from_revision": old["revision_id"],
            "to_revision": new["revision_id"], "from_filename": old["source"]["filename"],
            "to_filename": new["source"]["filename"], "changes": changes}
