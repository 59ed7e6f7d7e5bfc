"""Review outputs for a diff: one-line change descriptions, shared labels and a Markdown summary for
tickets (every value escaped). The HTML report is in `flows.html_report`.
"""
from __future__ import annotations

import json
from collections import Counter

KIND_LABELS = {"amounts": "金额", "targets": "目标", "units": "单位", "conditions": "条件"}
ENTITY_LABELS = {"metadata": "元数据", "section": "章节", "measure": "措施", "target": "目标", "amount": "金额",
                 "unit": "责任单位"}
CHANGE_LABELS = {"added": "新增", "removed": "删除", "modified": "修改"}


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def describe(c: dict) -> str:
    """One line in reviewer terms, e.g. `金额 修改 value_yuan: 300000 → 250000 (措施 8 → 9)`."""
    where = ""
    if c.get("measure_from") or c.get("measure_to"):
        a, b = c.get("measure_from"), c.get("measure_to")
        where = f" (措施 {a or '—'} → {b or '—'})" if a != b else f" (措施 {a})"
    head = f"{ENTITY_LABELS.get(c['entity'], c['entity'])} {CHANGE_LABELS.get(c['change'], c['change'])}"
    if c["change"] == "modified":
        if c.get("field") == "text":
            return f"{head} 正文{where}"
        return f"{head} {c.get('field')}: {_fmt(c.get('from'))} → {_fmt(c.get('to'))}{where}"
    skip = {"entity", "change", "measure_from", "measure_to", "from_span", "to_span"}
    ident = ", ".join(f"{k}={_fmt(v)}" for k, v in c.items() if k not in skip)
    return f"{head} {ident}{where}"


_MD_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_MD_PUNCT = frozenset("\\`*_[]()#|!~{}+-.:")


def md_text(value) -> str:
    """`value` as literal Markdown inline text: one line, no HTML, links, emphasis, code or table cells.

    Policy titles and file names are untrusted; a CommonMark renderer would run a `<script>` in them.
    """
    out = []
    for ch in " ".join(str(value if value is not None else "").splitlines()):
        if ch in _MD_HTML:
            out.append(_MD_HTML[ch])
        elif ch in _MD_PUNCT:
            out.append("\\" + ch)
        elif ch < " " or ch == "\x7f":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def markdown(d: dict, old: dict, new: dict) -> str:
    """A summary a reviewer can paste into a ticket; every embedded value escaped with `md_text`."""
    counts = Counter((c["entity"], c["change"]) for c in d["changes"])
    title = new["metadata"].get("title") or d["policy_id"]
    lines = [f"## {md_text(title)}: {md_text(old['metadata']['status'])} → {md_text(new['metadata']['status'])}",
             "",
             f"- from {md_text(d['from_filename'])} ({md_text(d['from_revision'][:19])}…)",
             f"- to {md_text(d['to_filename'])} ({md_text(d['to_revision'][:19])}…)",
             f"- {len(d['changes'])} changes: " + (", ".join(
                 f"{ENTITY_LABELS.get(e, e)} {CHANGE_LABELS.get(k, k)} {n}" for (e, k), n in sorted(counts.items()))
                 or "none"), ""]
    if d["changes"]:
        lines += ["| # | change |", "|---|---|"]
        lines += [f"| {i} | {md_text(describe(c))} |" for i, c in enumerate(d["changes"], 1)]
    return "\n".join(lines) + "\n"
