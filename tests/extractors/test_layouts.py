"""Layout phenomena (tests/extractors/data/layouts.toml): one short invented text per case -> the records it is about.

Each case has `name`, `phenomenon`, `text` and an `expect` table; only the fields a case gives are checked:

- metadata `title`, `notice_title`, `issuer`, `doc_number`, `issue_date`, `status`, `region`: equal after all
  whitespace is removed. `""` stands for null (TOML has no null).
- `section_labels`, `section_levels`, `section_titles`, `measure_labels`, `measure_levels`: lists, in document order.
- `measure_sections`: `[measure label, label of its innermost section or ""]` pairs, in measure order.
- `measure_titles`: measure key -> title (`""` = null), equal after whitespace is removed. A measure key is its
  label where the label is unique among the predicted measures, else `<innermost section label>/<label>`.
- `units`: `[measure key or "", role, name]`; the predicted units, keyed through `measure_id`, must form exactly
  this set ("" = measure_id null).
- `targets`, `amounts`: matched as a multiset on the fields each expected record gives (`per` as a set, numbers
  with a float tolerance, `measure` as a measure key or "" for null). `quote` is positional: the predicted span
  must lie inside an occurrence of the quote in `text`, or contain one (only occurrences inside `context`, when
  given, count). The list is complete: a predicted record left unmatched is an error, unless its span overlaps
  the quote of an expected record marked `optional = true`; such a record may be absent, but a prediction that
  overlaps it must agree with the fields it gives.
"""
from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import pytest

from policyflow.extractors.pipeline import extract

CASES_FILE = Path(__file__).resolve().parent / "data" / "layouts.toml"
CASES = tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))["case"]

META_FIELDS = ("title", "notice_title", "issuer", "doc_number", "issue_date", "status", "region")
LIST_FIELDS = ("section_labels", "section_levels", "section_titles", "measure_labels", "measure_levels")
EXPECT_KEYS = set(META_FIELDS) | set(LIST_FIELDS) | {"measure_sections", "measure_titles", "units", "targets", "amounts"}
TARGET_KEYS = {"quote", "context", "year", "indicator", "scope", "value", "value_max", "unit", "comparator",
               "aspirational", "measure", "optional"}
AMOUNT_KEYS = {"quote", "context", "role", "bound", "value_yuan", "ratio", "basis", "per", "measure", "optional"}
UNIT_ROLES = {"responsible", "lead", "cooperating"}

_WS = re.compile(r"\s+")


def _compact(value):
    """Whitespace removed; None and "" (the table's null) both read as None."""
    if value is None:
        return None
    value = _WS.sub("", str(value))
    return value or None


# --- structure helpers ---------------------------------------------------------------------------------------

class _Structure:
    """Measure keys of one predicted document."""

    def __init__(self, doc: dict):
        self.sections = {s["id"]: s for s in doc.get("sections", [])}
        self.measures = {m["id"]: m for m in doc.get("measures", [])}
        counts: dict[str, int] = {}
        for m in self.measures.values():
            counts[m["label"]] = counts.get(m["label"], 0) + 1
        self.key_of: dict[str, str] = {}
        self.ids_of_key: dict[str, list[str]] = {}
        for mid, m in self.measures.items():
            sec = self.section_label(m)
            qualified = f"{sec}/{m['label']}" if sec else m["label"]
            self.key_of[mid] = m["label"] if counts[m["label"]] == 1 else qualified
            keys = {qualified} | ({m["label"]} if counts[m["label"]] == 1 else set())
            for k in keys:
                self.ids_of_key.setdefault(k, []).append(mid)

    def section_label(self, measure: dict) -> str:
        sec = self.sections.get(measure.get("section_id") or "")
        return sec["label"] if sec else ""

    def key(self, measure_id) -> str:
        """The canonical key of a record's measure ("" for none; the raw id if it names no measure)."""
        if not measure_id:
            return ""
        return self.key_of.get(measure_id, f"<unknown measure_id {measure_id}>")

    def resolve(self, key: str) -> str:
        """An expected measure key -> the canonical key of the one predicted measure it names (else itself)."""
        if key == "":
            return ""
        ids = self.ids_of_key.get(key, [])
        return self.key_of[ids[0]] if len(ids) == 1 else key


# --- record matching ---------------------------------------------------------------------------------------

def _occurrences(text: str, quote: str, context: str | None) -> list[tuple[int, int]]:
    out = []
    if context:
        starts = [m.start() for m in re.finditer(re.escape(context), text)]
        for c in starts:
            i = context.find(quote)
            while i >= 0:
                out.append((c + i, c + i + len(quote)))
                i = context.find(quote, i + 1)
    else:
        out = [(m.start(), m.start() + len(quote)) for m in re.finditer(re.escape(quote), text)]
    return out


def _span_on_quote(span, occurrences) -> bool:
    a, b = span
    if b <= a:
        return False
    return any((a <= q0 and q1 <= b) or (q0 <= a and b <= q1) for q0, q1 in occurrences)


def _span_overlaps(span, occurrences) -> bool:
    a, b = span
    return any(a < q1 and q0 < b for q0, q1 in occurrences)


def _same_number(want, got) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return math.isclose(float(want), float(got), rel_tol=1e-9, abs_tol=1e-12)


def _field_ok(field: str, want, rec: dict, text: str, struct: _Structure, exp: dict) -> bool:
    if field in ("optional", "context"):
        return True
    if field == "quote":
        return _span_on_quote(rec["span"], _occurrences(text, want, exp.get("context")))
    if field == "measure":
        return struct.key(rec.get("measure_id")) == struct.resolve(want)
    if field == "per":
        return sorted(rec.get("per") or []) == sorted(want)
    if field == "aspirational":
        return bool(rec.get("aspirational", False)) == bool(want)
    if field in ("value", "value_max", "ratio"):
        return _same_number(want, rec.get(field))
    if field in ("year", "value_yuan"):
        got = rec.get(field)
        return got is not None and int(got) == int(want)
    return _compact(rec.get(field)) == _compact(want)


def _matches(exp: dict, rec: dict, text: str, struct: _Structure) -> bool:
    return all(_field_ok(f, v, rec, text, struct, exp) for f, v in exp.items())


def _max_matching(expected: list[dict], predicted: list[dict], ok) -> dict[int, int]:
    """Maximum bipartite matching expected index -> predicted index (Kuhn's augmenting paths)."""
    cand = [[j for j, p in enumerate(predicted) if ok(e, p)] for e in expected]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in cand[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(expected)):
        augment(i, set())
    return {i: j for j, i in owner.items()}


def _show(rec: dict, text: str, struct: _Structure, fields) -> str:
    a, b = rec["span"]
    shown = {f: rec.get(f) for f in fields if f in rec}
    shown["measure"] = struct.key(rec.get("measure_id"))
    return f"{text[a:b]!r}@{a}:{b} {shown}"


def _compare_records(kind: str, expected: list[dict], predicted: list[dict], text: str, struct: _Structure,
                     fields) -> list[str]:
    errors = []
    required = [e for e in expected if not e.get("optional")]
    optional = [e for e in expected if e.get("optional")]
    ok = lambda e, p: _matches(e, p, text, struct)  # noqa: E731
    matched = _max_matching(required, predicted, ok)
    for i, e in enumerate(required):
        if i not in matched:
            errors.append(f"{kind}: missing {e}")
    used = set(matched.values())
    for j, p in enumerate(predicted):
        if j in used:
            continue
        hits = [e for e in optional if _span_overlaps(p["span"], _occurrences(text, e["quote"], e.get("context")))]
        if not hits:
            errors.append(f"{kind}: unexpected {_show(p, text, struct, fields)}")
        elif not any(ok(e, p) for e in hits):
            errors.append(f"{kind}: optional {hits[0]} recorded with other fields: {_show(p, text, struct, fields)}")
    if errors:
        errors.append(f"{kind}: predicted were " + "; ".join(_show(p, text, struct, fields) for p in predicted))
    return errors


# --- the comparison of one case ----------------------------------------------------------------------------

def _compare(case: dict, doc: dict) -> list[str]:
    exp = case["expect"]
    text = doc.get("text", case["text"])
    struct = _Structure(doc)
    sections = doc.get("sections", [])
    measures = doc.get("measures", [])
    errors: list[str] = []

    meta = doc.get("metadata", {})
    for f in META_FIELDS:
        if f in exp and _compact(meta.get(f)) != _compact(exp[f]):
            errors.append(f"{f}: expected {exp[f] or None!r}, got {meta.get(f)!r}")

    got_lists = {
        "section_labels": [s["label"] for s in sections],
        "section_levels": [s["level"] for s in sections],
        "section_titles": [_compact(s.get("title")) for s in sections],
        "measure_labels": [m["label"] for m in measures],
        "measure_levels": [m["level"] for m in measures],
    }
    for f in LIST_FIELDS:
        if f not in exp:
            continue
        want = [_compact(t) for t in exp[f]] if f == "section_titles" else list(exp[f])
        if got_lists[f] != want:
            errors.append(f"{f}: expected {want}, got {got_lists[f]}")

    if "measure_sections" in exp:
        got = [[m["label"], struct.section_label(m)] for m in measures]
        want = [list(p) for p in exp["measure_sections"]]
        if got != want:
            errors.append(f"measure_sections: expected {want}, got {got}")

    for key, title in exp.get("measure_titles", {}).items():
        ids = struct.ids_of_key.get(key, [])
        if len(ids) != 1:
            errors.append(f"measure_titles: no single measure with key {key!r} "
                          f"(predicted keys {sorted(struct.key_of.values())})")
            continue
        got = struct.measures[ids[0]].get("title")
        if _compact(got) != _compact(title):
            errors.append(f"measure_titles[{key}]: expected {title or None!r}, got {got!r}")

    if "units" in exp:
        got = {(struct.key(u.get("measure_id")), u["role"], _compact(u["name"])) for u in doc.get("units", [])}
        want = {(struct.resolve(k), role, _compact(name)) for k, role, name in exp["units"]}
        if got != want:
            missing = sorted(want - got)
            extra = sorted(got - want)
            errors.append(f"units: missing {missing}, unexpected {extra}")

    if "targets" in exp:
        errors += _compare_records("targets", exp["targets"], doc.get("targets", []), text, struct,
                                   ("year", "value", "value_max", "unit", "comparator", "aspirational"))
    if "amounts" in exp:
        errors += _compare_records("amounts", exp["amounts"], doc.get("amounts", []), text, struct,
                                   ("role", "bound", "value_yuan", "ratio", "per"))
    return errors


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_layout_case(case):
    try:
        doc = extract(case["text"])
    except Exception as exc:  # noqa: BLE001 - a crash is a failure of this case, reported by name
        pytest.fail(f"[{case['name']}] extract raised {exc!r}")
    errors = _compare(case, doc)
    assert not errors, f"[{case['name']}] ({case['phenomenon']})\n  " + "\n  ".join(errors)


# --- the table itself ----------------------------------------------------------------------------------------

def test_layout_table_is_well_formed():
    problems = []
    names = [c.get("name") for c in CASES]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        problems.append(f"duplicate case names {sorted(dupes)}")
    for c in CASES:
        name = c.get("name", "<no name>")
        for k in ("name", "phenomenon", "text", "expect"):
            if k not in c:
                problems.append(f"[{name}] has no {k}")
        if not c.get("expect"):
            problems.append(f"[{name}] expects nothing")
            continue
        text, exp = c["text"], c["expect"]
        if "\n" in c["phenomenon"]:
            problems.append(f"[{name}] phenomenon is not one line")
        if not (20 <= len(text) <= 1500):
            problems.append(f"[{name}] text has {len(text)} characters (short texts only)")
        if set(exp) - EXPECT_KEYS:
            problems.append(f"[{name}] unknown expect keys {sorted(set(exp) - EXPECT_KEYS)}")
        for f in ("measure_levels", "measure_sections"):
            if f in exp and "measure_labels" in exp and len(exp[f]) != len(exp["measure_labels"]):
                problems.append(f"[{name}] {f} and measure_labels differ in length")
        for f in ("section_levels", "section_titles"):
            if f in exp and "section_labels" in exp and len(exp[f]) != len(exp["section_labels"]):
                problems.append(f"[{name}] {f} and section_labels differ in length")
        for unit in exp.get("units", []):
            if len(unit) != 3 or unit[1] not in UNIT_ROLES or unit[2] not in text:
                problems.append(f"[{name}] bad unit {unit} (need [measure key, role, name printed in text])")
        for kind, allowed in (("targets", TARGET_KEYS), ("amounts", AMOUNT_KEYS)):
            for rec in exp.get(kind, []):
                if set(rec) - allowed:
                    problems.append(f"[{name}] {kind} record {rec} has unknown keys {sorted(set(rec) - allowed)}")
                if rec.get("optional") and "quote" not in rec:
                    problems.append(f"[{name}] optional {kind} record {rec} needs a quote")
                if "quote" in rec:
                    if rec.get("context"):
                        if text.count(rec["context"]) != 1 or rec["quote"] not in rec["context"]:
                            problems.append(f"[{name}] context {rec['context']!r} must occur once and hold the quote")
                    elif text.count(rec["quote"]) != 1:
                        problems.append(f"[{name}] quote {rec['quote']!r} occurs {text.count(rec['quote'])} times "
                                        "(give a context)")
    assert not problems, "\n".join(problems)


def test_layout_table_writes_ideographic_spaces_as_escapes():
    raw = CASES_FILE.read_text(encoding="utf-8")
    lines = [i for i, line in enumerate(raw.splitlines(), 1) if "\u3000" in line]
    assert not lines, f"{CASES_FILE.name}: raw U+3000 on lines {lines}; write it as the escape \\u3000"
