"""Review outputs for a diff: a Markdown summary for tickets and a self-contained HTML report.

The HTML has no network assets. It shows a side-by-side redline of every changed measure
(deletions struck, insertions underlined, changed figures highlighted) and, per revision, the
full text with every extracted record highlighted; hovering shows a record's fields and
clicking pins them in a panel. All policy text and file names are escaped, in the Markdown too.
"""
from __future__ import annotations

import difflib
import json
from collections import Counter
from html import escape

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


def _figure_spans(doc: dict, changed: set[tuple]) -> dict[str | None, list[tuple[int, int]]]:
    """Measure id -> spans of its amounts and targets that changed."""
    out: dict[str | None, list[tuple[int, int]]] = {}
    for kind in ("amounts", "targets"):
        for r in doc[kind]:
            if tuple(r["span"]) in changed:
                out.setdefault(r.get("measure_id"), []).append(tuple(r["span"]))
    return out


def _visible(s: str) -> tuple[str, list[int]]:
    idx = [i for i, c in enumerate(s) if not c.isspace()]
    return "".join(s[i] for i in idx), idx


def _render(text: str, changed: list[bool], figures: list[tuple[int, int]], tag: str) -> str:
    """Escaped text with changed runs in <del>/<ins>; a changed figure is marked, and changed, as a whole."""
    fig = [-1] * len(text)
    for n, (a, b) in enumerate(figures):
        for i in range(max(0, a), min(len(text), b)):
            fig[i] = n
    for n, (a, b) in enumerate(figures):
        inside = range(max(0, a), min(len(text), b))
        if any(changed[i] for i in inside):
            for i in inside:
                changed[i] = True
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and fig[j] == fig[i] and changed[j] == changed[i]:
            j += 1
        piece = escape(text[i:j])
        piece = f"<{tag}>{piece}</{tag}>" if changed[i] else piece
        out.append(f'<mark class="fig">{piece}</mark>' if fig[i] >= 0 else piece)
        i = j
    return "".join(out)


def redline(old_text: str, new_text: str, old_figs=(), new_figs=(), old_base: int = 0, new_base: int = 0):
    """(old html, new html): deletions struck on the left, insertions underlined on the right.

    Compared without whitespace, so re-wrapped lines and page-break repairs are not marked;
    figures (spans relative to `*_base`) that changed are highlighted whole.
    """
    va, ia = _visible(old_text)
    vb, ib = _visible(new_text)
    changed_a, changed_b = [False] * len(old_text), [False] * len(new_text)
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, va, vb, autojunk=False).get_opcodes():
        if op != "equal":
            for i in ia[i1:i2]:
                changed_a[i] = True
            for j in ib[j1:j2]:
                changed_b[j] = True
    return (_render(old_text, changed_a, [(a - old_base, b - old_base) for a, b in old_figs], "del"),
            _render(new_text, changed_b, [(a - new_base, b - new_base) for a, b in new_figs], "ins"))


def _annotated(doc: dict) -> str:
    """The revision's text with extracted records highlighted; fields in `title` and `data-fields`."""
    inline = []
    for kind in KIND_LABELS:
        for r in doc[kind]:
            fields = {k: v for k, v in r.items() if k not in ("span",)}
            inline.append((r["span"][0], r["span"][1], kind, fields))
    inline.sort(key=lambda t: (t[0], -t[1]))
    text, out, pos, open_end = doc["text"], [], 0, 0
    for a, b, kind, fields in inline:
        if a < open_end:  # overlaps a record already shown: its fields stay in the data tables
            continue
        out.append(escape(text[pos:a]))
        payload = escape(json.dumps(fields, ensure_ascii=False), quote=True)
        tip = escape("; ".join(f"{k}={_fmt(v)}" for k, v in fields.items()), quote=True)
        out.append(f'<span class="rec {kind}" data-kind="{kind}" data-fields="{payload}" title="{tip}">'
                   f"{escape(text[a:b])}</span>")
        pos, open_end = b, b
    out.append(escape(text[pos:]))
    return "".join(out)


_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em} h2{font-size:1.1em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table.side{border-collapse:collapse;width:100%;table-layout:fixed;margin-bottom:1em}
table.side td,table.side th{border:1px solid #ddd;padding:.5em;vertical-align:top;white-space:pre-wrap;line-height:1.6}
del{background:#fdd;color:#900} ins{background:#dfd;color:#060;text-decoration:underline}
mark.fig{background:#ffe066;font-weight:bold;outline:1px solid #c90}
.rec{border-radius:3px;padding:0 1px;cursor:pointer} .rec.amounts{background:#ffe8b3}
.rec.targets{background:#cfe8ff} .rec.units{background:#dcf5dc} .rec.conditions{background:#eee0ff}
.doc{white-space:pre-wrap;line-height:1.8;border:1px solid #ddd;padding:1em;max-height:40em;overflow:auto}
#panel{position:fixed;right:1em;bottom:1em;max-width:30em;background:#fff;border:1px solid #999;padding:.6em;
white-space:pre-wrap;font-size:.85em;display:none;box-shadow:0 2px 8px #0003}
ul.changes li{margin:.15em 0} .tabs button{margin-right:.5em}
"""

_JS = """
document.addEventListener('click',function(e){var r=e.target.closest('.rec');var p=document.getElementById('panel');
if(!r){p.style.display='none';return;}
var f=JSON.parse(r.getAttribute('data-fields'));p.textContent=r.getAttribute('data-kind')+'\\n'+JSON.stringify(f,null,1);
p.style.display='block';});
function showRev(id){document.querySelectorAll('.rev').forEach(function(x){x.style.display=x.id===id?'block':'none';});}
"""


def html(d: dict, old: dict, new: dict) -> str:
    """The self-contained HTML review report.

    A changed measure's redline shows the measures the diff paired, found by span: labels repeat
    where numbering restarts per section.
    """
    m_old = {tuple(m["span"]): m for m in old["measures"]}
    m_new = {tuple(m["span"]): m for m in new["measures"]}
    figs_old = _figure_spans(old, {tuple(c["from_span"]) for c in d["changes"]
                                   if c.get("from_span") and c["entity"] in ("amount", "target")})
    figs_new = _figure_spans(new, {tuple(c["to_span"]) for c in d["changes"]
                                   if c.get("to_span") and c["entity"] in ("amount", "target")})
    rows = []
    for c in d["changes"]:
        if c["entity"] != "measure" or (c["change"] == "modified" and c.get("field") != "text"):
            continue
        a = m_old.get(tuple(c["from_span"])) if c["change"] != "added" and c.get("from_span") else None
        b = m_new.get(tuple(c["to_span"])) if c["change"] != "removed" and c.get("to_span") else None
        ta = old["text"][a["span"][0]:a["span"][1]] if a else ""
        tb = new["text"][b["span"][0]:b["span"][1]] if b else ""
        left, right = redline(ta, tb,
                              figs_old.get(a["id"], []) if a else [], figs_new.get(b["id"], []) if b else [],
                              a["span"][0] if a else 0, b["span"][0] if b else 0)
        label = f"{escape(c.get('measure_from') or '—')} → {escape(c.get('measure_to') or '—')}"
        rows.append(f'<tr class="measure-change" data-change="{escape(c["change"])}"><th>{label}<br>'
                    f'{escape(CHANGE_LABELS[c["change"]])}</th><td class="old">{left}</td><td class="new">{right}</td></tr>')
    items = "".join(f'<li class="{escape(c["entity"])} {escape(c["change"])}">{escape(describe(c))}</li>'
                    for c in d["changes"])
    title = escape(new["metadata"].get("title") or d["policy_id"])
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}: 修订对比</title>
<style>{_CSS}</style></head><body>
<h1>{title}</h1>
<p>{escape(d['from_filename'] or '')} ({escape(old['metadata']['status'])}) → {escape(d['to_filename'] or '')}
({escape(new['metadata']['status'])}): {len(d['changes'])} changes</p>
<h2>变更 Changes</h2><ul class="changes">{items}</ul>
<h2>措施对比 Changed measures</h2>
<table class="side"><tr><th style="width:7em">措施</th><th>{escape(d['from_filename'] or 'old')}</th>
<th>{escape(d['to_filename'] or 'new')}</th></tr>{''.join(rows)}</table>
<h2>全文标注 Extracted records</h2>
<div class="tabs"><button onclick="showRev('rev-old')">{escape(d['from_filename'] or 'old')}</button>
<button onclick="showRev('rev-new')">{escape(d['to_filename'] or 'new')}</button></div>
<div id="rev-old" class="rev doc" style="display:none">{_annotated(old)}</div>
<div id="rev-new" class="rev doc">{_annotated(new)}</div>
<div id="panel"></div>
<script>{_JS}</script>
</body></html>
"""
