"""Sections and measures from numbered lines (一、 （一） 1. 1、 （1） ① 第X章 第X节 第X条, table rows).

A numbered line is a *section* when it is a bare heading (short, no sentence punctuation)
and a *measure* when it carries content. Numbered lines deeper than an open measure belong
to it; inside a 第X条 article only 章/节/条 end it. The closing signature (issuer and date
lines) is never part of the last measure.
"""
from __future__ import annotations

from policyflow.extractors import lexicon
from policyflow.extractors.anatomy import Line, closing_start, is_date_line, is_org_line, lines  # noqa: F401 (re-exported)
from policyflow.extractors.normalize import Normalized, compact

_RULES = lexicon.patterns()["structure"]["rules"]
_HEADING_FORBIDDEN = frozenset(_RULES["heading_forbidden"])
_TITLE_FORBIDDEN = frozenset(_RULES["title_forbidden"])
_BOX = lexicon.compile_(_RULES["box_start"])


def _match_style(text: str, last: dict[str, int] | None = None):
    """A numbered line's style and match. With `last` (style name -> last number seen), a label past 999
    counts only when it continues its style's numbering, so a line opening with a year (`2025、`) is text."""
    for style in lexicon.STYLES:
        m = style["regex"].match(text)
        if m:
            label = m.group("label")
            if last is not None and len(label) > 3 and label.isdecimal() and last.get(style["name"]) != int(label) - 1:
                return None, None
            return style, m
    return None, None


def _is_heading(rest: str) -> bool:
    body = compact(rest)
    return bool(body) and len(body) <= _RULES["heading_max_chars"] and not (_HEADING_FORBIDDEN & set(body))


def _is_heading_sentence(rest: str) -> bool:
    """`（一）网络体系强基行动。` alone on its line: one short heading sentence with nothing after it."""
    body = compact(rest)
    head = body[:-1]
    return (body.endswith("。") and 0 < len(head) <= _RULES["title_max_chars"]
            and not (_TITLE_FORBIDDEN & set(head)) and not (_HEADING_FORBIDDEN & set(head)))


_BRACKETED = lexicon.compile_(r"^[【\[](?P<inner>[^】\]]{1,40})[】\]]")
_MARKERS = tuple(lexicon.patterns()["units"]["markers"])


def _lead_title(content: str) -> str | None:
    """The opening heading sentence of a measure's content, when more content follows it.

    A leading 【责任单位：…】 is markup, not part of the title; a leading 【…】 heading is the title.
    """
    body = compact(content)
    m = _BRACKETED.match(body)
    if m and any(k in m.group("inner") for k in _MARKERS):
        body = body[m.end():]
    elif m and len(body) > m.end() and not (_TITLE_FORBIDDEN & set(m.group("inner"))):
        return m.group("inner")
    cut = body.find("。")
    if cut <= 0 or cut == len(body) - 1:
        return None
    lead = body[:cut]
    if len(lead) <= _RULES["title_max_chars"] and not (_TITLE_FORBIDDEN & set(lead)):
        return lead
    return None


def _nests(inner: dict, outer: dict) -> bool:
    """Whether a numbered line of style `inner` is content of an open measure of style `outer`."""
    if outer["family"] == "article":
        return inner["family"] != "article"
    return inner["family"] == outer["family"] and inner["level"] > outer["level"]


def extract_structure(norm: Normalized, *, body_start: int = 0, body_end: int | None = None):
    """Sections and measures (contract dicts, spans into the original text)."""
    body_end = closing_start(norm) if body_end is None else body_end
    all_lines = lines(norm, body_start, body_end)
    sections: list[dict] = []
    measures: list[dict] = []
    stack: list[tuple[dict, dict]] = []  # (section record, style)
    open_m: dict | None = None
    open_style: dict | None = None
    open_end = 0

    def close():
        nonlocal open_m
        if open_m is not None:
            content_start = open_m.pop("_content")
            if open_m["title"] is None:
                open_m["title"] = _lead_title(norm.original_text(content_start, open_end))
            open_m["span"] = norm.span(open_m.pop("_start"), open_end)
            open_m = None

    in_box = False
    last: dict[str, int] = {}
    for i, line in enumerate(all_lines):
        style, m = _match_style(line.text, last)
        if style is not None and m.group("label").isdecimal():
            last[style["name"]] = int(m.group("label"))
        if _BOX.match(line.text):
            close()  # a 专栏 box between measures belongs to none of them
            in_box = True
            continue
        if in_box and style is None:
            continue
        in_box = False
        if style is None or (open_m is not None and _nests(style, open_style)):
            if open_m is not None:
                open_end = line.end
            continue
        close()
        label = compact(m.group("label"))
        rest = m.group("rest")
        if style["family"] == "article":
            heading = style["name"] != "article"
        elif style["name"] == "table_row":
            heading = False
        else:
            heading = _is_heading(rest) or (style["level"] <= 2 and _is_heading_sentence(rest))
            if heading and style["level"] >= 3:
                nxt = all_lines[i + 1] if i + 1 < len(all_lines) else None
                # "1. 强化… <newline> body text": a measure whose content follows its heading
                heading = nxt is None or _match_style(nxt.text, last)[0] is not None
        if heading:
            while stack and stack[-1][1]["level"] >= style["level"] and not (
                    style["family"] == "outline" and stack[-1][1]["family"] == "article"):
                stack.pop()
            rec = {"id": f"s{len(sections) + 1}", "span": norm.span(line.start, line.end), "label": label,
                   "title": compact(norm.original_text(line.start + m.start("rest"), line.end)).rstrip("。") or label,
                   "level": style["level"], "parent_id": stack[-1][0]["id"] if stack else None}
            sections.append(rec)
            stack.append((rec, style))
            continue
        title = None
        if style["name"] == "table_row":
            title = compact(rest.split(lexicon.patterns()["tables"]["cell_separator"])[0]) or None
        elif style["name"] != "article" and _is_heading(rest):
            title = compact(norm.original_text(line.start + m.start("rest"), line.end))
        open_m = {"id": f"m{len(measures) + 1}", "_start": line.start, "_content": line.start + m.start("rest"),
                  "label": label, "title": title, "level": style["level"],
                  "section_id": stack[-1][0]["id"] if stack else None}
        open_style, open_end = style, line.end
        measures.append(open_m)
    close()
    return sections, measures
