"""The HTML review report of a diff and the `diffs/index.html` page of an output folder.

Both are self-contained (inline CSS and JS, no network) and escape every policy text and file
name. The report opens with the reviewer's summary (`flows.summary`), then lists the changes in
document order, each linked to its place in the redline or in a revision's full text; changes can
be filtered by kind and stepped through with j/k (or n/p); runs of renumbered measures (the diff's
`group` ids) fold into one line. The redline strikes deletions, underlines insertions and
highlights changed figures; the full texts highlight every extracted record (legend at the top).
Printing shows everything: both full texts, no scroll boxes.
"""
from __future__ import annotations

import bisect
import difflib
import json
from collections import Counter
from html import escape
from urllib.parse import quote

from policyflow.flows.report import CHANGE_LABELS, KIND_LABELS, describe, fmt_value
from policyflow.flows.summary import summarize

FILTER_KINDS = {"amounts": "金额", "targets": "目标", "units": "单位", "conditions": "条件", "text": "正文"}
ENTITY_KINDS = {"amount": "amounts", "target": "targets", "unit": "units", "condition": "conditions"}


def change_kind(c: dict) -> str:
    """The filter a change belongs to: amounts, targets, units, conditions, or text (everything else)."""
    return ENTITY_KINDS.get(c.get("entity"), "text")


def kind_counts(changes: list[dict]) -> dict[str, int]:
    """Changes per filter kind, every kind present (zeros included), in FILTER_KINDS order."""
    n = Counter(change_kind(c) for c in changes)
    return {k: n[k] for k in FILTER_KINDS}


# --- redline -------------------------------------------------------------------------------------

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


# --- full texts ----------------------------------------------------------------------------------

def _annotated(doc: dict, prefix: str = "new", anchors=()) -> str:
    """The revision's text with extracted records highlighted (fields in `title` and `data-fields`).

    Each offset in `anchors` gets the id `<prefix>-<offset>`: on the record starting there, else on an
    empty marker, so that the change list can link to the place.
    """
    inline = []
    for kind in KIND_LABELS:
        for r in doc.get(kind) or []:
            fields = {k: v for k, v in r.items() if k != "span"}
            inline.append((r["span"][0], r["span"][1], kind, fields))
    inline.sort(key=lambda t: (t[0], -t[1]))
    text, out = doc["text"], []
    marks, k, pos, open_end = sorted(set(anchors)), 0, 0, 0

    def marker(offset: int) -> str:
        return f'<span class="anchor" id="{prefix}-{offset}"></span>'

    def text_until(end: int) -> None:
        nonlocal pos, k
        while k < len(marks) and marks[k] < end:
            at = max(marks[k], pos)
            out.append(escape(text[pos:at]) + marker(marks[k]))
            pos, k = at, k + 1
        out.append(escape(text[pos:end]))
        pos = end

    for a, b, kind, fields in inline:
        if a < open_end:  # overlaps a record already shown: its fields stay in the data tables
            continue
        text_until(a)
        rid = ""
        if k < len(marks) and marks[k] == a:
            rid, k = f' id="{prefix}-{a}"', k + 1
        while k < len(marks) and marks[k] < b:  # a place inside the record: marked just before it
            out.append(marker(marks[k]))
            k += 1
        payload = escape(json.dumps(fields, ensure_ascii=False), quote=True)
        tip = escape("; ".join(f"{key}={fmt_value(v)}" for key, v in fields.items()), quote=True)
        out.append(f'<span class="rec {kind}"{rid} data-kind="{kind}" data-fields="{payload}" title="{tip}">'
                   f"{escape(text[a:b])}</span>")
        pos, open_end = b, b
    text_until(len(text))
    out += [marker(m) for m in marks[k:]]
    return "".join(out)


# --- change list ---------------------------------------------------------------------------------

def document_order(changes: list[dict]) -> list[int]:
    """Indices of `changes` in the new revision's order; a removed item sits where it was.

    Metadata first; a change with a place in the new text sorts by it; a removed one (old place only)
    is carried over by the nearest preceding change that has both places, and kept before the next one.
    """
    anchors = sorted((c["from_span"][0], c["to_span"][0]) for c in changes if c.get("from_span") and c.get("to_span"))
    starts = [a for a, _ in anchors]

    def key(i: int):
        c = changes[i]
        if c.get("to_span"):
            return (1, float(c["to_span"][0]), 0, 0, i)
        if c.get("from_span"):
            s = c["from_span"][0]
            n = bisect.bisect_right(starts, s)
            at = float(anchors[n - 1][1] + s - anchors[n - 1][0]) if n else float(s)
            if n < len(anchors) and at >= anchors[n][1]:
                at = anchors[n][1] - 0.5
            return (1, at, 1, s, i)
        return (0, 0.0, 0, 0, i)

    return sorted(range(len(changes)), key=key)


def _fold_label(members: list[dict]) -> str:
    """`措施 2–23 → 3–24 重新编号` for a run of renumbered measures."""
    a = [str(c.get("from", c.get("measure_from"))) for c in members]
    b = [str(c.get("to", c.get("measure_to"))) for c in members]
    span = lambda xs: xs[0] if len(xs) == 1 else f"{xs[0]}–{xs[-1]}"  # noqa: E731
    return f"措施 {span(a)} → {span(b)} 重新编号（{len(members)} 条）"


def change_lines(changes: list[dict]) -> list[tuple[int, list[int]]]:
    """The change list in document order: (index, []) per change, or (first index, members) for a run
    of label changes sharing a `group` id (one line for a renumbering)."""
    groups: dict = {}
    for i, c in enumerate(changes):
        if c.get("group") is not None and c.get("field") == "label":
            groups.setdefault(c["group"], []).append(i)
    lines, seen = [], set()
    order = document_order(changes)
    rank = {j: n for n, j in enumerate(order)}
    for i in order:
        g = changes[i].get("group") if changes[i].get("field") == "label" else None
        if g is not None and len(groups.get(g, ())) > 1:
            if g in seen:
                continue
            seen.add(g)
            lines.append((i, sorted(groups[g], key=rank.__getitem__)))
        else:
            lines.append((i, []))
    return lines


# --- page ----------------------------------------------------------------------------------------

_CSS = """
:root{--amounts:#ffe8b3;--targets:#cfe8ff;--units:#dcf5dc;--conditions:#eee0ff;--text:#e8e8e8}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;
margin:0;color:#222;line-height:1.5}
.layout{display:grid;grid-template-columns:minmax(16em,26em) minmax(0,1fr)}
#sidebar{position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;border-right:1px solid #ccc;
padding:.8em;box-sizing:border-box;background:#fafafa}
main{padding:1em 1.5em;min-width:0}
h1{font-size:1.3em;margin:.2em 0} h2{font-size:1.1em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table.side{border-collapse:collapse;width:100%;table-layout:fixed;margin-bottom:1em}
table.side td,table.side th{border:1px solid #ddd;padding:.5em;vertical-align:top;white-space:pre-wrap;
line-height:1.6;overflow-wrap:anywhere}
del{background:#fdd;color:#900} ins{background:#dfd;color:#060;text-decoration:underline}
mark.fig{background:#ffe066;font-weight:bold;outline:1px solid #c90}
.rec{border-radius:3px;padding:0 1px;cursor:pointer} .rec.amounts{background:var(--amounts)}
.rec.targets{background:var(--targets)} .rec.units{background:var(--units)}
.rec.conditions{background:var(--conditions)}
.doc{white-space:pre-wrap;line-height:1.8;border:1px solid #ddd;padding:1em;max-height:40em;overflow:auto;
overflow-wrap:anywhere}
#panel{position:fixed;right:1em;bottom:1em;max-width:30em;background:#fff;border:1px solid #999;padding:.6em;
white-space:pre-wrap;font-size:.85em;display:none;box-shadow:0 2px 8px #0003}
.legend span.sw{display:inline-block;padding:0 .4em;margin:.1em .2em;border-radius:3px}
.filters label{display:inline-block;margin-right:.6em;white-space:nowrap}
ol.changes{padding-left:2.2em;margin:.4em 0} ol.changes li{margin:.15em 0;border-left:4px solid var(--text);
padding-left:.4em} ol.changes li[data-kind=amounts]{border-color:#e0a800}
ol.changes li[data-kind=targets]{border-color:#5a9fd4} ol.changes li[data-kind=units]{border-color:#5cb85c}
ol.changes li[data-kind=conditions]{border-color:#9b7bd4}
ol.changes a.go{color:inherit;text-decoration:none} ol.changes a.go:hover{text-decoration:underline}
a.go.current{background:#ffef99;outline:2px solid #c90}
.anchor.current::before{content:"▶";color:#c00}
tr.current,.rec.current{outline:3px solid #c00}
.tablist button{margin-right:.3em;padding:.3em .8em;border:1px solid #999;background:#eee;cursor:pointer}
.tablist button[aria-selected=true]{background:#fff;border-bottom-color:#fff;font-weight:bold}
ul.summary{padding-left:1.4em} ul.summary li{margin:.2em 0} ul.summary a{color:inherit}
.counts td,.counts th{padding:.1em .6em;text-align:right} .keys{font-size:.85em;color:#555}
.print-only{display:none}
@media screen{
.hide-amounts li[data-kind=amounts],.hide-targets li[data-kind=targets],.hide-units li[data-kind=units],
.hide-conditions li[data-kind=conditions],.hide-text li[data-kind=text],tr.filtered{display:none}
.hide-amounts .rec.amounts,.hide-targets .rec.targets,.hide-units .rec.units,
.hide-conditions .rec.conditions{background:none}}
@media screen and (max-width:60em){.layout{display:block}#sidebar{position:static;max-height:none}}
@media print{
.layout{display:block} #sidebar{position:static;max-height:none;overflow:visible;border:0;background:none}
.filters,.tablist,.keys,#panel{display:none!important} .print-only{display:block}
.rev[hidden]{display:block!important} .doc{max-height:none!important;overflow:visible!important;border:0;padding:0}
a.go{color:inherit} .current{outline:none!important;background:none!important}
tr{break-inside:auto} h2,h3{break-after:avoid}}
"""

_JS = r"""
(function(){
var d=document,tabs=[].slice.call(d.querySelectorAll('[role=tab]')),cur=null;
function select(tab){tabs.forEach(function(t){var on=t===tab;t.setAttribute('aria-selected',on?'true':'false');
t.tabIndex=on?0:-1;d.getElementById(t.getAttribute('aria-controls')).hidden=!on;});}
tabs.forEach(function(t,i){t.addEventListener('click',function(){select(t);});
t.addEventListener('keydown',function(e){var k=e.key==='ArrowRight'?1:e.key==='ArrowLeft'?-1:0;if(!k)return;
var n=tabs[(i+k+tabs.length)%tabs.length];select(n);n.focus();e.preventDefault();});});
function shown(a){var x=a.closest('details');return a.offsetParent!==null&&!(x&&!x.open);}
function links(){return [].slice.call(d.querySelectorAll('#changes a.go')).filter(shown);}
function go(a,focus){var id=a.getAttribute('href').slice(1),t=d.getElementById(id);if(!t)return;
var p=t.closest('[role=tabpanel]');if(p&&p.hidden)select(d.getElementById(p.getAttribute('aria-labelledby')));
[].forEach.call(d.querySelectorAll('.current'),function(x){x.classList.remove('current');});
t.classList.add('current');a.classList.add('current');cur=a;
if(t.scrollIntoView)t.scrollIntoView({block:'center'});
if(a.scrollIntoView&&a.offsetParent)a.scrollIntoView({block:'nearest'});
if(focus)a.focus({preventScroll:true});
if(history.replaceState)history.replaceState(null,'','#'+id);}
function line(id){var li=d.getElementById(id);if(!li)return null;var a=li.querySelector('a.go'),x=li.closest('details');
return shown(a)||!x?a:x.parentNode.querySelector('a.go');}
d.addEventListener('click',function(e){var a=e.target.closest('a.go');if(a){e.preventDefault();go(a,true);return;}
var s=e.target.closest('a.to-change');if(s){e.preventDefault();a=line(s.getAttribute('href').slice(1));if(a)go(a,true);return;}
var r=e.target.closest('.rec'),p=d.getElementById('panel');if(!r){p.style.display='none';return;}
p.textContent=r.getAttribute('data-kind')+'\n'+JSON.stringify(JSON.parse(r.getAttribute('data-fields')),null,1);
p.style.display='block';});
d.addEventListener('keydown',function(e){if(e.altKey||e.ctrlKey||e.metaKey)return;
if(/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(e.target.tagName)&&e.target.type!=='checkbox')return;
var s={j:1,n:1,k:-1,p:-1}[e.key];if(!s)return;var L=links();if(!L.length)return;var i=L.indexOf(cur);
i=i<0?(s>0?0:L.length-1):Math.min(L.length-1,Math.max(0,i+s));go(L[i],true);e.preventDefault();});
var boxes=[].slice.call(d.querySelectorAll('input[name=kind]'));
function filter(){var on={};boxes.forEach(function(b){on[b.value]=b.checked;d.body.classList.toggle('hide-'+b.value,!b.checked);});
[].forEach.call(d.querySelectorAll('tr.measure-change'),function(r){r.classList.toggle('filtered',
!r.getAttribute('data-kinds').split(' ').some(function(k){return on[k];}));});
if(cur&&!shown(cur))cur=null;}
boxes.forEach(function(b){b.addEventListener('change',filter);});
var h=location.hash.slice(1);
if(h&&h!=='selftest'){var a=[].filter.call(d.querySelectorAll('a.go'),function(x){return x.getAttribute('href')==='#'+h;})[0];
if(a)go(a,false);}
if(h==='selftest'){var r={},L=links();r.links=L.length;
L[0].click();var t=d.querySelector(':not(a).current');
r.first={href:L[0].getAttribute('href'),target:t?t.id:null,focused:d.activeElement===L[0]};
d.body.dispatchEvent(new KeyboardEvent('keydown',{key:'j',bubbles:true}));
d.body.dispatchEvent(new KeyboardEvent('keydown',{key:'j',bubbles:true}));
d.body.dispatchEvent(new KeyboardEvent('keydown',{key:'k',bubbles:true}));
r.after_jjk=links().indexOf(cur);r.focused_after_keys=d.activeElement===cur;
var old=links().filter(function(a){return a.getAttribute('href').indexOf('#old-')===0;})[0];
if(old){old.click();r.old_tab=d.getElementById('tab-old').getAttribute('aria-selected');
r.old_target_shown=!!d.getElementById(old.getAttribute('href').slice(1)).offsetParent;}
var tn=d.getElementById('tab-new');select(tn);tn.dispatchEvent(new KeyboardEvent('keydown',{key:'ArrowLeft',bubbles:true}));
r.arrow_tab=d.activeElement.id+':'+d.activeElement.getAttribute('aria-selected')+':'+d.getElementById('rev-old').hidden;select(tn);
boxes.forEach(function(b){b.checked=b.value==='amounts';b.dispatchEvent(new Event('change'));});
r.filtered_kinds=links().map(function(a){return a.closest('li').getAttribute('data-kind');});
r.filtered_rows=[].filter.call(d.querySelectorAll('tr.measure-change'),function(x){return x.offsetParent!==null;}).length;
d.body.dispatchEvent(new KeyboardEvent('keydown',{key:'n',bubbles:true}));
r.next_kind=cur?cur.closest('li').getAttribute('data-kind'):null;
boxes.forEach(function(b){b.checked=true;b.dispatchEvent(new Event('change'));});
r.restored=links().length;var S=d.querySelectorAll('#summary a.to-change');r.summary_links=S.length;
r.summary_reached=[].map.call(S,function(x){x.click();return !!cur&&!!d.querySelector(':not(a).current');}).filter(Boolean).length;var o=d.createElement('pre');o.id='selftest';o.textContent=JSON.stringify(r);d.body.appendChild(o);}
})();
"""


def _legend() -> str:
    recs = "".join(f'<span class="sw rec {k}">{escape(v)} {k}</span>' for k, v in KIND_LABELS.items())
    return (f'<div class="legend"><strong>图例 Legend</strong><br>{recs}<br>'
            '<span class="sw"><del>删除 deleted</del></span><span class="sw"><ins>新增 inserted</ins></span>'
            '<span class="sw"><mark class="fig">变动数字 changed figure</mark></span></div>')


def _filters(counts: dict[str, int]) -> str:
    boxes = "".join(f'<label><input type="checkbox" name="kind" value="{k}" checked> {escape(v)} {k} '
                    f'({counts[k]})</label>' for k, v in FILTER_KINDS.items())
    return f'<fieldset class="filters"><legend>筛选 Filter</legend>{boxes}</fieldset>'


def _rows(d: dict, old: dict, new: dict):
    """Redline rows of changed measures, and their old and new spans (to link changes to rows)."""
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
        rows.append({"change": c, "old": tuple(a["span"]) if a else None, "new": tuple(b["span"]) if b else None,
                     "left": left, "right": right, "kinds": set()})
    return rows


class _Rows:
    """Finds the redline row whose old or new measure span holds an offset."""

    def __init__(self, rows: list[dict]):
        self.spans = {side: sorted((r[side][0], r[side][1], n) for n, r in enumerate(rows) if r[side])
                      for side in ("old", "new")}
        self.starts = {side: [s[0] for s in spans] for side, spans in self.spans.items()}

    def locate(self, side: str, offset: int) -> int | None:
        k = bisect.bisect_right(self.starts[side], offset) - 1
        return self.spans[side][k][2] if k >= 0 and offset < self.spans[side][k][1] else None


def _targets(d: dict, rows: list[dict]) -> list[str]:
    """Per change, the id it links to: its redline row, else its place in the new (or old) full text."""
    out, find = [], _Rows(rows)
    for c in d["changes"]:
        n = None
        if c.get("to_span"):
            n = find.locate("new", c["to_span"][0])
        if n is None and c.get("from_span") and not c.get("to_span"):
            n = find.locate("old", c["from_span"][0])
        if n is not None:
            rows[n]["kinds"].add(change_kind(c))
            out.append(f"row-{n}")
        elif c.get("to_span"):
            out.append(f"new-{c['to_span'][0]}")
        elif c.get("from_span"):
            out.append(f"old-{c['from_span'][0]}")
        else:
            out.append("top")
    return out


def _item(c: dict, target: str, i: int | None, text: str | None = None) -> str:
    """A change list line (id `change-<i>`: the anchor `flows.summary` items name), linked to its target."""
    kind = change_kind(c)
    ident = f' id="change-{i}"' if i is not None else ""
    return (f'<li{ident} data-kind="{kind}" class="{escape(c["entity"])} {escape(c["change"])}">'
            f'<a class="go" href="#{target}">{escape(text or describe(c))}</a>')


def _change_list(d: dict, targets: list[str]) -> str:
    items = []
    for i, members in change_lines(d["changes"]):
        c = d["changes"][i]
        if not members:
            items.append(_item(c, targets[i], i) + "</li>")
            continue
        inner = "".join(_item(d["changes"][j], targets[j], j if j != i else None) + "</li>" for j in members)
        items.append(_item(c, targets[i], i, _fold_label([d["changes"][j] for j in members]))
                     + f'<details><summary>展开 {len(members)}</summary><ol>{inner}</ol></details></li>')
    return f'<ol class="changes">{"".join(items)}</ol>' if items else "<p>无变更 No changes</p>"


def _summary(d: dict) -> str:
    """The reviewer's summary (`flows.summary`): Chinese lines, English field names on hover, each linked
    to its first change in the list."""
    lines = []
    for it in summarize(d):
        text = escape(it["text"])
        body = f'<a class="to-change" href="#{escape(it["anchor"], quote=True)}">{text}</a>' if it["anchor"] else text
        lines.append(f'<li data-kind="{escape(it["kind"], quote=True)}" title="{escape(it["title"], quote=True)}">'
                     f"{body}</li>")
    return f'<section id="summary"><h2>摘要 Summary</h2><ul class="summary">{"".join(lines)}</ul></section>'


def html(d: dict, old: dict, new: dict) -> str:
    """The self-contained HTML review report of diff `d` (old -> new).

    A changed measure's redline shows the measures the diff paired, found by span: labels repeat
    where numbering restarts per section.
    """
    rows = _rows(d, old, new)
    targets = _targets(d, rows)
    body_rows = "".join(
        f'<tr class="measure-change" id="row-{n}" data-change="{escape(r["change"]["change"])}" '
        f'data-kinds="{" ".join(sorted(r["kinds"] or {"text"}))}"><th>'
        f'{escape(r["change"].get("measure_from") or "—")} → {escape(r["change"].get("measure_to") or "—")}<br>'
        f'{escape(CHANGE_LABELS.get(r["change"]["change"], r["change"]["change"]))}</th>'
        f'<td class="old">{r["left"]}</td><td class="new">{r["right"]}</td></tr>' for n, r in enumerate(rows))
    old_marks = [int(t[4:]) for t in targets if t.startswith("old-")]
    new_marks = [int(t[4:]) for t in targets if t.startswith("new-")]
    counts = kind_counts(d["changes"])
    title = escape(new["metadata"].get("title") or d["policy_id"])
    f_old, f_new = escape(d["from_filename"] or "old"), escape(d["to_filename"] or "new")
    s_old, s_new = escape(old["metadata"].get("status") or ""), escape(new["metadata"].get("status") or "")
    count_cells = "".join(f"<th>{escape(v)} {k}</th>" for k, v in FILTER_KINDS.items())
    count_vals = "".join(f"<td>{counts[k]}</td>" for k in FILTER_KINDS)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}: 修订对比</title>
<style>{_CSS}</style></head><body>
<div class="layout">
<nav id="sidebar" aria-label="变更 Changes">
<h2>变更 Changes ({len(d['changes'])})</h2>
{_filters(counts)}
<p class="keys">j / n 下一处 next · k / p 上一处 previous</p>
<div id="changes">{_change_list(d, targets)}</div>
</nav>
<main>
<header id="top"><h1>{title}</h1>
<p>{f_old} ({s_old}) → {f_new} ({s_new}): {len(d['changes'])} changes</p>
</header>
{_summary(d)}
<table class="counts"><tr>{count_cells}</tr><tr>{count_vals}</tr></table>
{_legend()}
<h2>措施对比 Changed measures</h2>
<table class="side"><tr><th style="width:7em">措施</th><th>{f_old}</th><th>{f_new}</th></tr>{body_rows}</table>
<h2>全文标注 Extracted records</h2>
<div class="tablist" role="tablist" aria-label="修订 Revisions">
<button type="button" role="tab" id="tab-old" aria-controls="rev-old" aria-selected="false" tabindex="-1">{f_old} ({s_old})</button>
<button type="button" role="tab" id="tab-new" aria-controls="rev-new" aria-selected="true" tabindex="0">{f_new} ({s_new})</button>
</div>
<section id="rev-old" class="rev" role="tabpanel" aria-labelledby="tab-old" hidden>
<h3 class="print-only">{f_old} ({s_old})</h3><div class="doc">{_annotated(old, "old", old_marks)}</div></section>
<section id="rev-new" class="rev" role="tabpanel" aria-labelledby="tab-new">
<h3 class="print-only">{f_new} ({s_new})</h3><div class="doc">{_annotated(new, "new", new_marks)}</div></section>
</main></div>
<div id="panel"></div>
<script>{_JS}</script>
</body></html>
"""


# --- index page ----------------------------------------------------------------------------------

def _href(*parts: str) -> str:
    return escape("/".join(quote(p, safe="") for p in parts), quote=True)


def index(policies: list[dict]) -> str:
    """`diffs/index.html`: per policy its revisions in order and each diff with its counts (links relative).

    `policies`: [{policy_id, title, revisions: [{revision_id, status, issue_date, filename}],
    diffs: [{from_revision, to_revision, stem, counts: {kind: n}, total}]}].
    """
    heads = "".join(f"<th>{escape(v)} {k}</th>" for k, v in FILTER_KINDS.items())
    parts = []
    for p in policies:
        pid = p["policy_id"]
        revs = "".join(
            f"<tr><td>{n}</td><td><code>{escape(r['revision_id'].split(':')[-1][:12])}</code></td>"
            f"<td>{escape(r.get('status') or '')}</td><td>{escape(r.get('issue_date') or '—')}</td>"
            f"<td>{escape(r.get('filename') or '')}</td></tr>" for n, r in enumerate(p["revisions"], 1))
        diffs = "".join(
            f"<tr><td><a href=\"{_href(pid, x['stem'] + '.html')}\">{escape(x['from_revision'].split(':')[-1][:12])}"
            f" → {escape(x['to_revision'].split(':')[-1][:12])}</a></td>"
            + (f"<td>{x['total']}</td>" + "".join(f"<td>{x['counts'].get(k, 0)}</td>" for k in FILTER_KINDS)
               if x.get("counts") is not None else f'<td colspan="{len(FILTER_KINDS) + 1}">—</td>')
            + f"<td><a href=\"{_href(pid, x['stem'] + '.md')}\">md</a> "
              f"<a href=\"{_href(pid, x['stem'] + '.json')}\">json</a></td></tr>" for x in p["diffs"])
        diff_table = (f'<table><tr><th>对比 diff</th><th>合计 total</th>{heads}<th></th></tr>{diffs}</table>'
                      if diffs else "<p>只有一个修订 One revision, nothing to compare.</p>")
        parts.append(f'<section class="policy"><h2>{escape(p.get("title") or pid)}</h2>'
                     f"<p><code>{escape(pid)}</code></p>"
                     f"<table><tr><th>#</th><th>修订 revision</th><th>状态 status</th><th>发布日期 issued</th>"
                     f"<th>文件 file</th></tr>{revs}</table>{diff_table}</section>")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>修订对比索引 Review index</title>
<style>
body{{font-family:"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;
margin:1.5em;color:#222}} h1{{font-size:1.3em}} h2{{font-size:1.1em;border-bottom:1px solid #ccc}}
table{{border-collapse:collapse;margin:.4em 0 1em}} td,th{{border:1px solid #ddd;padding:.2em .6em}}
td{{overflow-wrap:anywhere}}
</style></head><body>
<h1>修订对比索引 Review index ({len(policies)} policies)</h1>
{''.join(parts) or '<p>无 None</p>'}
</body></html>
"""
