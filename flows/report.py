"""Review outputs for a diff: one-line change descriptions, shared labels and a Markdown summary for
tickets (every value escaped). The HTML report is in `flows.html_report`.
"""
from __future__ import annotations

import json

KIND_LABELS = {"amounts": "金额", "targets": "目标", "units": "单位", "conditions": "条件"}
ENTITY_LABELS = {"metadata": "元数据", "section": "章节", "measure": "措施", "target": "目标", "amount": "金额",
                 "unit": "责任单位", "condition": "条件"}
CHANGE_LABELS = {"added": "新增", "removed": "删除", "modified": "修改"}


def fmt_value(v) -> str:
    """A field value as a reader sees it: — for none, 5 not 5.0, JSON for lists and objects."""
    if v is None:
        return "—"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _named(c: dict) -> str:
    """What names the changed record to a reader: an amount's condition and role, a target's indicator and
    year, a unit's name, a condition's text, a measure's title."""
    e = c["entity"]
    if e == "amount":
        cond = c.get("condition")
        return (f"「{c['condition_from']}」→「{cond}」" if c.get("condition_from") else f"「{cond}」" if cond else
                "") + (c.get("role") or "")
    if e == "target":
        return f"「{c.get('indicator')}」" + (f"{c['year']}年" if c.get("year") else "") if c.get("indicator") else ""
    if e == "unit":
        return f"{c.get('name')}（{c.get('role')}）" if c.get("name") else ""
    if e == "condition" and c["change"] != "modified":
        return f"「{c.get('text')}」"
    if e == "measure" and c["change"] != "modified" and c.get("title"):
        return f"「{c['title']}」"
    return ""


def describe(c: dict) -> str:
    """One line in reviewer terms, e.g. `金额 修改「首次认定的企业」subsidy value_yuan: 300000 → 250000
    (措施 8 → 9「强化高新技术企业培育」)`."""
    where = ""
    if c.get("measure_from") or c.get("measure_to"):
        a, b = c.get("measure_from"), c.get("measure_to")
        where = f" (措施 {a or '—'} → {b or '—'}" if a != b else f" (措施 {a}"
        title = c.get("measure_title_to") or c.get("measure_title_from")
        where += (f"「{title}」" if title and c["entity"] != "measure" else "") + ")"
    head = f"{ENTITY_LABELS.get(c['entity'], c['entity'])} {CHANGE_LABELS.get(c['change'], c['change'])}"
    named = _named(c)
    head += f" {named}" if named else ""
    if c["change"] == "modified":
        if c.get("field") == "text" and c["entity"] == "measure":
            return f"{head} 正文{where}"
        return f"{head} {c.get('field')}: {fmt_value(c.get('from'))} → {fmt_value(c.get('to'))}{where}"
    shown = {"amount": ("bound", "value_yuan", "ratio"), "target": ("value", "unit"), "section": ("label", "title")}
    ident = ", ".join(f"{k}={fmt_value(c.get(k))}" for k in shown.get(c["entity"], ()) if c.get(k) is not None)
    return f"{head}{' ' + ident if ident else ''}{where}"


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
    """A summary a reviewer can paste into a ticket: the reviewer's summary (`flows.summary`) first, then
    every change; every embedded value escaped with `md_text`."""
    from policyflow.flows.summary import markdown_lines, summarize

    title = new["metadata"].get("title") or d["policy_id"]
    lines = [f"## {md_text(title)}: {md_text(old['metadata']['status'])} → {md_text(new['metadata']['status'])}",
             "",
             f"- from {md_text(d['from_filename'])} ({md_text(d['from_revision'][:19])}…)",
             f"- to {md_text(d['to_filename'])} ({md_text(d['to_revision'][:19])}…)",
             "", "### 摘要 Summary", ""]
    lines += markdown_lines(summarize(d))
    if d["changes"]:
        lines += ["", "### 全部变更 All changes", "", "| # | change |", "|---|---|"]
        lines += [f"| {i} | {md_text(describe(c))} |" for i, c in enumerate(d["changes"], 1)]
    return "\n".join(lines) + "\n"
