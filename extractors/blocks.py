"""Block recovery for text whose line breaks were lost (crawls, database cells, one-line exports).

Crawlers strip line breaks: paragraphs are then separated only by runs of ideographic spaces
(`\u3000\u3000`), and headings are glued to the sentence before them (`…制定如下措施：一、支持…`,
`…制定本办法。第二条…`). This module finds where the lost breaks were, as positions in the
width-translated text, so that normalization can put a line break there while every offset
still maps to the original text. A line that already looks like a line (a heading, a
letter-spaced `总　　则`, a table row: one sentence at most) keeps its layout.
"""
from __future__ import annotations

import regex

from policyflow.extractors import lexicon

_B = lexicon.patterns()["blocks"]
LONG_LINE = _B["long_line"]
# a run of two or more ideographic spaces inside a line (NBSP and spaces may mix in)
_PARAGRAPH_GAP = regex.compile(r"(?<=\S)(?:[ \t\xa0]*\u3000){2,}[ \t\xa0]*(?=\S)")
_GLUED = lexicon.compile_(_B["glued_heading"])
_GLUED_AFTER_HEADING = lexicon.compile_(_B["glued_after_heading"])
_LEADING_NUMBER = lexicon.compile_(r"^[ \t]*(?P<num>%s|%s)(?=[ \t]*[\p{Han}《])" % (
    lexicon.patterns()["metadata"]["doc_number"].replace("(?P<num>", "(?:"), lexicon.patterns()["anatomy"]["order_number"]))
_SIGNATURE_GLUED = lexicon.compile_(_B["signature_glued"])
_TITLE_GLUED = lexicon.compile_(_B["title_glued"])
_WORD_END = regex.compile(r"\S+$")
_WORD = regex.compile(r"\S+")
_DATE_GLUED = lexicon.compile_(_B["date_glued"])
_INDENT = regex.compile(r"\s\s|\t")


def _numbering(line: str) -> str | None:
    return next((s["name"] for s in lexicon.STYLES if s["regex"].match(line)), None)


def _opens_unit(line: str, after: str) -> bool:
    """Whether `line` opens a unit of its own after the full-width line `after`: indented, a date,
    a doc number, or numbered after a full stop or after an item numbered in the same style."""
    line, after = line.rstrip("\r"), after.rstrip("\r")
    if _INDENT.match(line) or lexicon.DATE_LINE.match(line) or lexicon.DOC_NUMBER_LINE.match(line):
        return True
    style = _numbering(line) if lexicon.MARKER_START.match(line) else None
    return style is not None and (after[-1:] in lexicon.LINE_CLOSERS or _numbering(after.lstrip()) == style)


def hard_wraps(text: str) -> list[tuple[int, int]]:
    """Line breaks a hard wrap put in (an export or crawl that breaks every line at W characters),
    as spans to delete: the break after each line of the text's greatest length W, when W recurs
    on enough lines. A line that opens a unit (`_opens_unit`) is kept on its own, unless the unwrapped text lost its own line breaks: there such a line is a cut inside a
    long line, whose paragraphs block recovery finds."""
    lines = text.split("\n")
    lengths = [len(ln.rstrip("\r")) for ln in lines]
    width = max(lengths, default=0)
    if width < _B["wrap_min_width"] or lengths.count(width) < _B["wrap_min_lines"]:
        return []
    joins = [k for k in range(len(lines) - 1) if lengths[k] == width and lengths[k + 1]]
    unwrapped, run, joined = [], "", set(joins)
    for k, ln in enumerate(lines):
        run += ln
        if k not in joined:
            unwrapped.append(run)
            run = ""
    if not _crawled(unwrapped):
        joins = [k for k in joins if not _opens_unit(lines[k + 1], lines[k])]
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln) + 1)
    return [(starts[k] + width, starts[k + 1]) for k in joins]


def _letter_spaced(text: str, a: int, b: int) -> bool:
    """`总　　则`: single characters on both sides of the gap are one spaced-out word."""
    left = _WORD_END.search(text[max(0, a - 8):a])
    right = _WORD.match(text[b:b + 8])
    return bool(left and right and len(left.group(0)) == 1 and len(right.group(0)) == 1)


def _inside_title(text: str, a: int) -> bool:
    """Whether position `a` is inside an open 《…》 title (a crawl may split a title, not a paragraph)."""
    window = text[max(0, a - 60):a]
    return window.rfind("《") > window.rfind("》")


def _carries_paragraphs(line: str, crawled: bool) -> bool:
    """A line long enough, or (in a text that lost its line breaks) with enough sentences, to hold
    paragraphs whose breaks were lost. In a text that kept its lines, a line of a few sentences is
    one paragraph."""
    return (len(line) >= LONG_LINE or (crawled and line.count("。") >= 2)
            or (("。" in line or "：" in line) and _PARAGRAPH_GAP.search(line) is not None))


def _crawled(lines: list[str]) -> bool:
    """A text that lost its line breaks: a few lines only, or lines that are paragraphs-long on average."""
    filled = [ln for ln in lines if ln.strip()]
    return len(filled) <= 3 or sum(map(len, filled)) / len(filled) >= _B["crawled_mean_line"]


def lost_breaks(original: str, translated: str) -> tuple[list[int], list[int]]:
    """Where line breaks were lost, in a text whose long lines carry several paragraphs.

    Returns (gaps, glued): indices of ideographic spaces that stand for a paragraph break (to be
    replaced by a newline), and indices before which a newline belongs: a numbering marker right
    after a sentence end or colon (`。二、` `：（一）` `。第五条`) or after a heading with no full stop
    (`一、完善布局（一）…`, `第三章附则第五条…`), a title right after a signature
    date that opens a paragraph (`2023年7月3日关于…`), a signature glued after the cover's last
    sentence (`…贯彻落实。河北省XX厅2024年4月15日（此件主动公开）`), a doc number or a title glued to
    the text that follows it (`冀X〔2024〕67号各市…`, `关于…的通知根据…`). `translated` is
    `original` with full-width forms made half-width, character for character.
    """
    gaps: list[int] = []
    glued: list[int] = []
    line_start = 0
    first = len(original) - len(original.lstrip())
    lines = original.split("\n")
    crawled = _crawled(lines)
    for line in lines:
        opening = line_start <= first < line_start + len(line) + 1
        if _carries_paragraphs(line, crawled) or (opening and len(line) >= _B["opening_min"]):
            starts, first_gap = [0], len(gaps)
            for m in _PARAGRAPH_GAP.finditer(line):
                a, b = m.span()
                if _letter_spaced(line, a, b) or _inside_title(line, a) or len(line[starts[-1]:a].strip()) <= 2:
                    continue  # 总　　则, 文　　号: a paragraph is never one or two characters
                gaps.append(line_start + line.index("\u3000", a))
                starts.append(b)
            tline = translated[line_start:line_start + len(line)]
            if len(gaps) > first_gap:
                chars = list(tline)
                for g in gaps[first_gap:]:
                    chars[g - line_start] = "\n"
                tline = "".join(chars)
            glued.extend(line_start + m.start("mark") for m in _GLUED.finditer(tline))
            if "、" in tline or "第" in tline:
                glued.extend(line_start + m.start("mark") for m in _GLUED_AFTER_HEADING.finditer(tline))
            for s in starts:
                m = _DATE_GLUED.match(tline, s)
                if m:
                    glued.append(line_start + m.end("date"))
            title_starts = []
            if opening:  # the document opens with a doc number or a title glued to what follows
                m = _LEADING_NUMBER.match(tline)
                if m:
                    glued.append(line_start + m.end("num"))
                title_starts.append(m.end("num") if m else 0)
            for m in (_SIGNATURE_GLUED.finditer(tline) if "日" in tline else ()):
                glued.extend(line_start + m.start(g) for g in ("org", "date"))
                glued.extend((line_start + m.end("date"), line_start + m.end()))
                title_starts.append(m.end())
            for s in title_starts:
                m = _TITLE_GLUED.match(tline, s)
                if m:
                    glued.append(line_start + m.end("title"))
        line_start += len(line) + 1
    return gaps, sorted(set(glued))
