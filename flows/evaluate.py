"""Score extraction output against gold annotations (the GOLD.md format and matching rules).

Gold records quote the source instead of giving spans; a quote is located in the predicted
document's `text`, so a prediction counts only when its span lands on the right words.
Matching is one-to-one and greedy in gold order; `optional` gold records neither reward nor
punish a prediction that overlaps them.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from policyflow.schemas.errors import GoldError

_WS = re.compile(r"\s+")
_LABEL_NOISE = re.compile(r"[\s()（）.、．:：,，。]")
_ISSUER_SEP = re.compile(r"[\s、，,；;]")
KINDS = ("measures", "sections", "targets", "amounts", "units", "amounts (value only)")
METADATA_FIELDS = ("title", "notice_title", "issuer", "doc_number", "status", "region", "period", "issue_date")


def _squash(s):
    return _WS.sub("", s) if isinstance(s, str) else s


def char_f1(a: str | None, b: str | None) -> float:
    a, b = _squash(a or ""), _squash(b or "")
    if not a or not b:
        return float(a == b)
    common = sum((Counter(a) & Counter(b)).values())
    if not common:
        return 0.0
    p, r = common / len(a), common / len(b)
    return 2 * p * r / (p + r)


def text_agrees(a: str | None, b: str | None, bar: float) -> bool:
    a, b = _squash(a or ""), _squash(b or "")
    if not a or not b:
        return not a and not b
    return a in b or b in a or char_f1(a, b) >= bar


def _num_eq(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _overlaps(s1, s2) -> bool:
    return bool(s1) and bool(s2) and s1[0] < s2[1] and s2[0] < s1[1]


def locate(text: str, rec: dict) -> tuple[int, int]:
    """Span of a gold record's `quote` (disambiguated by `context` / `occurrence`) in `text`."""
    quote, context, occurrence = rec.get("quote"), rec.get("context"), rec.get("occurrence")
    anchor = context or quote
    if not anchor:
        raise GoldError("E012", path="gold", cause=f"record without quote: {rec}")
    starts = [m.start() for m in re.finditer(re.escape(anchor), text)]
    if not starts:
        raise GoldError("E012", path="gold", cause=f"quote not found in text: {anchor!r}")
    if occurrence is None and len(starts) > 1:
        raise GoldError("E012", path="gold", cause=f"quote occurs {len(starts)} times; add context: {anchor!r}")
    base = starts[occurrence or 0]
    if context and quote:
        i = context.find(quote)
        if i < 0:
            raise GoldError("E012", path="gold", cause=f"quote {quote!r} not inside context {context!r}")
        return base + i, base + i + len(quote)
    return base, base + len(anchor)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else float(not self.fn)
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


class Scorer:
    """Accumulates counts and accuracies over documents."""

    def __init__(self):
        self.counts = {k: Counts() for k in KINDS}
        self.ratios: dict[str, list[int]] = {}

    def _ratio(self, name: str, ok: bool):
        r = self.ratios.setdefault(name, [0, 0])
        r[0] += bool(ok)
        r[1] += 1

    def _match(self, kind: str, golds: list[dict], preds: list[dict], same: Callable, near_optional=None):
        used, pairs = set(), []
        for gi, g in enumerate(golds):
            pi = next((i for i, p in enumerate(preds) if i not in used and same(gi, g, p)), None)
            if pi is not None:
                used.add(pi)
                pairs.append((gi, pi))
        matched = {gi for gi, _ in pairs}
        c = self.counts[kind]
        c.tp += sum(1 for gi, _ in pairs if not golds[gi].get("optional"))
        c.fn += sum(1 for gi, g in enumerate(golds) if gi not in matched and not g.get("optional"))
        c.fp += sum(1 for i, p in enumerate(preds) if i not in used and not (near_optional and near_optional(p)))
        return pairs

    def add(self, gold: dict, pred: dict) -> None:
        text = pred.get("text") or ""
        gm, pm = gold.get("measures", []), pred.get("measures", [])
        pairs = self._match("measures", gm, pm, lambda _, g, p: _LABEL_NOISE.sub("", g["label"]) == _LABEL_NOISE.sub(
            "", p.get("label") or "") and (g.get("title") is None or text_agrees(g.get("title"), p.get("title"), 0.6)))
        measure_key = {pm[pi].get("id"): gm[gi]["key"] for gi, pi in pairs}
        self._match("sections", gold.get("sections", []), pred.get("sections", []),
                    lambda _, g, p: _LABEL_NOISE.sub("", g["label"]) == _LABEL_NOISE.sub("", p.get("label") or "")
                    and text_agrees(g.get("title"), p.get("title"), 0.6))
        self._targets(gold.get("targets", []), pred.get("targets", []), text)
        self._amounts(gold.get("amounts", []), pred, text, measure_key)
        units = [dict(u, _key=measure_key.get(u.get("measure_id"))) for u in pred.get("units", [])]
        self._match("units", gold.get("units", []), units, lambda _, g, p: g.get("measure") == p["_key"]
                    and g["role"] == p.get("role") and _squash(g["name"]) == _squash(p.get("name")))
        self._metadata(gold.get("metadata", {}), pred.get("metadata") or {})

    def _targets(self, gt, pt, text):
        spans = [locate(text, g) for g in gt]
        optional = [s for s, g in zip(spans, gt) if g.get("optional")]

        def same(gi, g, p):
            return (_overlaps(spans[gi], p.get("span")) and g.get("year") == p.get("year")
                    and _num_eq(g["value"], p.get("value")) and _num_eq(g.get("value_max"), p.get("value_max"))
                    and g["unit"] == p.get("unit") and g["comparator"] == p.get("comparator"))

        pairs = self._match("targets", gt, pt, same, lambda p: any(_overlaps(s, p.get("span")) for s in optional))
        for gi, pi in pairs:
            self._ratio("target indicator", text_agrees(gt[gi]["indicator"], pt[pi].get("indicator"), 0.5))
            self._ratio("target aspirational", bool(gt[gi].get("aspirational")) == bool(pt[pi].get("aspirational")))

    def _amounts(self, ga, pred, text, measure_key):
        pa = pred.get("amounts", [])
        spans = [locate(text, g) for g in ga]
        optional = [s for s, g in zip(spans, ga) if g.get("optional")]

        def value_same(g, p):
            return _num_eq(g.get("value_yuan"), p.get("value_yuan")) and _num_eq(g.get("ratio"), p.get("ratio"))

        def same(gi, g, p):
            return (_overlaps(spans[gi], p.get("span")) and g["role"] == p.get("role")
                    and g["bound"] == p.get("bound") and value_same(g, p))

        near = lambda p: any(_overlaps(s, p.get("span")) for s in optional)  # noqa: E731
        pairs = self._match("amounts", ga, pa, same, near)
        conditions = {c.get("id"): c for c in pred.get("conditions", [])}
        for gi, pi in pairs:
            g, p = ga[gi], pa[pi]
            self._ratio("amount measure", measure_key.get(p.get("measure_id")) == g.get("measure"))
            if g.get("condition"):
                self._ratio("amount condition",
                            char_f1(g["condition"], (conditions.get(p.get("condition_id")) or {}).get("text")) >= 0.5)
            if "per" in g:
                self._ratio("amount per", sorted(g.get("per") or []) == sorted(p.get("per") or []))
        self._match("amounts (value only)", ga, pa,
                    lambda gi, g, p: _overlaps(spans[gi], p.get("span")) and value_same(g, p), near)

    def _metadata(self, gmd: dict, pmd: dict):
        for f in METADATA_FIELDS:
            if f not in gmd:
                continue
            gv, pv = gmd[f], pmd.get(f)
            if f in ("title", "notice_title"):
                ok = _squash(pv) in {_squash(gv), _squash((gmd.get("issuer") or "") + (gv or ""))}
            elif f == "issuer":
                ok = _ISSUER_SEP.sub("", gv or "") == _ISSUER_SEP.sub("", pv or "")
            elif f == "region":
                a, b = _squash(gv) or "", _squash(pv) or ""
                ok = a == b or (min(len(a), len(b)) >= 3 and (a.endswith(b) or b.endswith(a)))
            elif f == "period":
                ok = (gv or None) == ({"start": pv.get("start"), "end": pv.get("end")} if pv else None)
            else:
                ok = _squash(gv) == _squash(pv)
            self._ratio(f"metadata {f}", ok)
        if "cited" in gmd:
            key = lambda c: _squash(c.get("doc_number") or c.get("title"))  # noqa: E731
            self._ratio("metadata cited", {key(c) for c in gmd["cited"]} == {key(c) for c in pmd.get("cited") or []})

    def result(self, documents: int, missing: list[str]) -> dict:
        out = {"documents": documents, "missing_outputs": missing, "f1": {}, "precision": {}, "recall": {},
               "accuracy": {}}
        for k, c in self.counts.items():
            p, r, f = c.prf()
            out["f1"][k], out["precision"][k], out["recall"][k] = round(f, 4), round(p, 4), round(r, 4)
            out.setdefault("counts", {})[k] = {"tp": c.tp, "fp": c.fp, "fn": c.fn}
        for k in sorted(self.ratios):
            ok, n = self.ratios[k]
            out["accuracy"][k] = round(ok / n, 4) if n else None
            out.setdefault("accuracy_counts", {})[k] = [ok, n]
        return out


def load_gold(gold_dir: Path) -> list[dict]:
    golds = []
    for path in sorted(Path(gold_dir).glob("*.json")):
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise GoldError("E012", path=str(path), cause=str(exc)) from exc
        if isinstance(obj, dict) and "filename" in obj:
            golds.append(obj)
    return golds


def load_predictions(pred: Path) -> dict[str, dict]:
    """Revision documents under `pred`, keyed by source file name."""
    out = {}
    for path in ([pred] if pred.is_file() else sorted(pred.rglob("*.json"))):
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(obj, dict) and "schema_version" in obj and isinstance(obj.get("source"), dict):
            out[obj["source"].get("filename")] = obj
    return out


def evaluate(gold_dir: Path, pred: Path) -> dict:
    """Figures for every gold document (a missing prediction counts as empty)."""
    golds, preds = load_gold(gold_dir), load_predictions(Path(pred))
    scorer, missing = Scorer(), []
    for gold in golds:
        p = preds.get(gold["filename"])
        if p is None:
            missing.append(gold["filename"])
            continue
        scorer.add(gold, p)
    return scorer.result(len(golds), missing)


def render(result: dict) -> str:
    lines = [f"{'':24} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn"]
    for k in KINDS:
        c = result["counts"][k]
        lines.append(f"{k:24} {result['precision'][k]:6.3f} {result['recall'][k]:6.3f} {result['f1'][k]:6.3f} "
                     f"{c['tp']:4d}{c['fp']:4d}{c['fn']:4d}")
    for k, v in result["accuracy"].items():
        ok, n = result["accuracy_counts"][k]
        lines.append(f"{k:24} {'' if v is None else f'{v:.3f}':>20}   ({ok}/{n})")
    if result["missing_outputs"]:
        lines.append("no output for: " + ", ".join(result["missing_outputs"]))
    return "\n".join(lines)


def below_bars(result: dict, bars: dict[str, float]) -> list[str]:
    """Human-readable failures for `kind=min` bars (F1 for kinds, accuracy otherwise)."""
    out = []
    for k, bar in bars.items():
        got = result["f1"].get(k, result["accuracy"].get(k))
        if got is None or got < bar:
            out.append(f"{k} = {got} < {bar}")
    return out


_DIFF_SKIP = {"optional", "note"}
_DIFF_FUZZY = {"indicator", "title", "basis"}


def _change_matches(g: dict, p: dict) -> bool:
    """Every field of the gold change (but optional/note) equals the prediction's; free text may be similar."""
    for k, v in g.items():
        if k in _DIFF_SKIP:
            continue
        if k in _DIFF_FUZZY and isinstance(v, str):
            ok = text_agrees(v, p.get(k), 0.6)
        elif isinstance(v, str):
            ok = _squash(p.get(k)) == _squash(v)
        else:
            ok = p.get(k) == v
        if not ok:
            return False
    return True


DIFF_CORE_ENTITIES = {"metadata", "section", "measure", "target", "amount", "unit"}
"""Entities of contract 1.0; later ones (1.1's `condition`) are extensions the scorer does not score."""


def score_diff(gold: dict, pred: dict) -> dict:
    """Precision, recall and F1 of predicted changes against an expected diff, with the misses and extras."""
    gc = gold["changes"]
    pc = [c for c in pred.get("changes", []) if c.get("entity") in DIFF_CORE_ENTITIES]
    used, matched = set(), set()
    for gi, g in enumerate(gc):
        pi = next((i for i, p in enumerate(pc) if i not in used and _change_matches(g, p)), None)
        if pi is not None:
            used.add(pi)
            matched.add(gi)
    optional = [g for g in gc if g.get("optional")]
    c = Counts(tp=sum(1 for gi in matched if not gc[gi].get("optional")),
               fn=sum(1 for gi, g in enumerate(gc) if gi not in matched and not g.get("optional")),
               fp=sum(1 for i, p in enumerate(pc) if i not in used and not any(_change_matches(g, p) for g in optional)))
    p, r, f = c.prf()
    return {"precision": p, "recall": r, "f1": f, "tp": c.tp, "fp": c.fp, "fn": c.fn,
            "missed": [g for gi, g in enumerate(gc) if gi not in matched and not g.get("optional")],
            "extra": [p_ for i, p_ in enumerate(pc) if i not in used]}
