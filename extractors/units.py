"""Responsible units: 责任单位 / 牵头单位 / 配合单位 (and 部门 variants) with canonical names.

Each name links to the measure whose span holds it. Canonical names come from the department
alias table (extractors/data/departments.tsv), qualified by the document's region.
"""
from __future__ import annotations

import bisect
import csv
import io
from functools import lru_cache

import regex

from policyflow.extractors import lexicon
from policyflow.extractors.metadata import region_of, regions
from policyflow.extractors.normalize import Normalized, compact

_U = lexicon.patterns()["units"]
_ROLES: dict[str, str] = _U["markers"]
_MARKER = lexicon.compile_(r"(?<![\p{Han}])(?P<marker>%s)(?:[ \t]*[:：][ \t]*|[ \t]*[】\]][ \t]*[:：]?[ \t]*)"
                           % "|".join(sorted(_ROLES, key=len, reverse=True)))
_VERB_FORM = lexicon.compile_(_U["verb_form"])
_BARE_PLACE = lexicon.compile_(_U["bare_place"])
_SEPARATORS = frozenset(_U["name_separators"])
_STOPPERS = frozenset(_U["stoppers"])
_OPEN, _CLOSE = "(（[【〔", ")）]】〕"
_LEGEND = lexicon.compile_(_U["first_is_lead"])
_REMARK = lexicon.compile_(_U["name_remark"])
_TRAILER = lexicon.compile_(_U["name_trailer"])
_DUTIES_HEADING = lexicon.compile_(_U["duties_heading"], regex.M)
_DUTY_LINE = lexicon.compile_(_U["duty_line"], regex.M)


@lru_cache(maxsize=1)
def departments() -> dict[str, str]:
    """Alias -> canonical department name without region."""
    rows = csv.reader(io.StringIO(lexicon.data_text("departments.tsv")), delimiter="\t")
    return {r[0].strip(): r[1].strip() for r in rows if len(r) >= 2 and r[0].strip() and not r[0].startswith("#")}


def _level_region(level: str, region: str | None) -> str | None:
    """The part of the document's region a level prefix refers to: 市 -> its city, 省 -> its province."""
    if not region:
        return None
    gaz = regions()
    heads = [region[:n] for n in range(len(region), 1, -1) if region[:n] in gaz]
    if level == "district":
        return region if region.endswith(("区", "县")) else None
    if not heads:
        return None
    head = heads[0]
    kind, parent = gaz[head][0], gaz[head][1]
    if level == "city":
        return head if kind == "prefecture" or head.endswith("市") else None
    return head if kind == "province" else (parent or None)


def canonical(name: str, region: str | None) -> str | None:
    """`市科技局` in a 济南 text -> `济南市科学技术局`; None when the name is not a known department."""
    c = compact(name)
    table = departments()
    prefix = c[:1]
    level = _U["level_prefixes"].get(prefix)
    if level and c[1:] in table:
        place = _level_region(level, region)
        return place + table[c[1:]] if place else None
    own = region_of(c)
    if own and c[len(own):] in table:
        return own + table[c[len(own):]]
    return None


def _names(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the names listed in text[start:end], split on the separators, brackets kept whole."""
    out, depth, seg = [], 0, start
    for i in range(start, end + 1):
        ch = text[i] if i < end else "、"
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch in _SEPARATORS and depth == 0:
            a, b = seg, i
            while a < b and text[a] in " \t":
                a += 1
            while b > a and text[b - 1] in " \t。.":
                b -= 1
            if b > a:
                out.append((a, b))
            seg = i + 1
    merged: list[tuple[int, int]] = []
    for a, b in out:
        if merged and _BARE_PLACE.match(text[merged[-1][0]:merged[-1][1]]) and text[a] in "区县市镇乡街":
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _list_end(text: str, start: int) -> int:
    """Where a name list that starts at `start` ends: the bracket it sits in closes, a stopper, or a new marker."""
    depth = 0
    i = start
    stop = min(len(text), start + 300)  # a name list is short; bounded so marker runs stay linear
    while i < stop:
        ch = text[i]
        if ch in _STOPPERS:
            return i
        if ch in _OPEN:
            if _MARKER.match(text, i + 1):
                return i
            depth += 1
        elif ch in _CLOSE:
            if depth == 0:
                return i
            depth -= 1
        elif ch in ";；,，、" and _MARKER.match(text, i + 1 + len(text[i + 1:i + 4]) - len(text[i + 1:i + 4].lstrip())):
            return i
        elif ch in " \t":
            j = i
            while j < len(text) and text[j] in " \t":
                j += 1
            if _MARKER.match(text, j) or (j < len(text) and text[j] in _OPEN and _MARKER.match(text, j + 1)):
                return i
        i += 1
    return stop


def measure_index(measures: list[dict]):
    """A lookup from an original offset to the id of the measure whose span holds it."""
    starts = [m["span"][0] for m in measures]

    def find(pos: int) -> str | None:
        k = bisect.bisect_right(starts, pos) - 1
        if k >= 0 and measures[k]["span"][0] <= pos < measures[k]["span"][1]:
            return measures[k]["id"]
        return None
    return find


def table_unit_cells(text: str) -> list[tuple[int, int, str]]:
    """(start, end, role) of the cells under a 责任单位/牵头单位 column of plain-text tables (序号｜事项｜…｜责任单位)."""
    sep = lexicon.patterns()["tables"]["cell_separator"]
    columns = lexicon.patterns()["tables"]["unit_columns"]
    out, col, role, pos = [], None, "responsible", 0
    for line in text.split("\n"):
        cells = line.split(sep)
        if len(cells) >= 2:
            names = [compact(c) for c in cells]
            hit = next((i for i, c in enumerate(names) if c in columns), None)
            if hit is not None:
                col, role = hit, _ROLES.get(names[hit], "responsible")
            elif col is not None and col < len(cells):
                start = pos + sum(len(c) + len(sep) for c in cells[:col])
                out.append((start, start + len(cells[col]), role))
        else:
            col = None
        pos += len(line) + 1
    return out


def _division_of_duties(t: str) -> list[tuple[str, int, int]]:
    """Under a 职责分工 heading (an appendix listing each unit's duties), a line that opens with a
    unit and 负责 (`省教育厅负责…`) names a responsible unit."""
    heading = _DUTIES_HEADING.search(t) if "分工" in t else None
    if heading is None:
        return []
    return [("responsible", m.start("name"), m.end("name")) for m in _DUTY_LINE.finditer(t, heading.end())]


def extract_units(norm: Normalized, measures: list[dict], *, region: str | None = None) -> list[dict]:
    """Unit records from marker lists, verb forms (X牵头，Y配合) and 责任单位 table columns.

    A legend in a list (`排名第1为牵头单位，下同`) makes the first name of that list and of every
    later list the lead unit.
    """
    t = norm.text
    table_cells = table_unit_cells(t) if "|" in t else []
    in_measure = measure_index(measures)
    found: list[tuple[str, int, int]] = []
    first_is_lead = False
    for m in _MARKER.finditer(t):
        end = _list_end(t, m.end())
        names = _names(t, m.end(), end)
        first_is_lead = first_is_lead or any(_LEGEND.search(t[a:b]) for a, b in names)
        role = _ROLES[m.group("marker")]
        found += [("lead" if first_is_lead and k == 0 and role == "responsible" else role, a, b)
                  for k, (a, b) in enumerate(names)]
    for a, b, role in table_cells:
        found += [(role, x, y) for x, y in _names(t, a, b)]
    for m in _VERB_FORM.finditer(t):
        found += [(_U["verb_roles"][m.group("lead_verb")], x, y) for x, y in _names(t, *m.span("lead"))]
        if m.group("coop"):
            found += [("cooperating", x, y) for x, y in _names(t, *m.span("coop"))]
    found += _division_of_duties(t)
    found = [(role, a, b) for role, a, b in found if not _LEGEND.search(t[a:b]) and not _REMARK.fullmatch(t[a:b])]
    out = []
    for role, a, b in sorted(found, key=lambda f: f[1]):
        m = _TRAILER.search(t, a, b)
        if m and m.start() > a:
            b = m.start()
        name = compact(_REMARK.sub("", norm.original_text(a, b)))
        if not name or len(name) > 40:
            continue
        span = norm.span(a, b)
        out.append({"id": f"u{len(out) + 1}", "span": span, "measure_id": in_measure(span[0]), "role": role,
                    "name": name, "canonical": canonical(name, region)})
    return out
