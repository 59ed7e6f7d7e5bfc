"""Normalized view of a document with an offset map back to the original `text`.

Rules match on the normalized string; every span they report is mapped back so that
`text[span]` is the evidence (CONTRACT, Spans). Normalization is a 1:1 character
translation (every line end -> `\n`, full-width -> half-width, ideographic space -> space)
followed by deletions (markup, CR of CRLF, page-break joins, hard wraps), so the offset map is a
short list of segments.
"""
from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field

import regex

from policyflow.extractors import lexicon
from policyflow.extractors.blocks import hard_wraps, lost_breaks

TRANSLATE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
TRANSLATE.update({cp: 0x20 for cp in (*range(0x2000, 0x200B), 0x202F, 0x205F, 0x1680)})
TRANSLATE.update({0x3000: 0x20, 0x00A0: 0x20, 0x2236: ord(":"), 0xFE30: ord(":"),
                   0x2014: ord("-"), 0x2013: ord("-"), 0x2012: ord("-"), 0x2212: ord("-"),
                   0x301C: ord("~"), 0x2015: ord("-"), 0xFE52: ord("."), 0xFE51: ord("、"), 0xFE50: ord(",")})

# CR alone, VT, FF, NEL and the Unicode line and paragraph separators end a line as `\n` does
_LINE_END = regex.compile(r"\r(?!\n)|[\x0b\x0c\x85\u2028\u2029]")
_ANY_LINE_END = regex.compile(r"\r\n?|[\n\x0b\x0c\x85\u2028\u2029]")
_MARKUP = regex.compile(r"\*\*|__|\u200b|\u200c|\u200d|\ufeff|\r(?=\n)|(?<![^\n])#{1,6}[ \t]+")
_BREAK = regex.compile(r"[ \t]*\n\s*")
_WS = regex.compile(r"\s+")


@dataclass(frozen=True)
class Normalized:
    """`text` normalized for matching, and the map from its indices to the original's."""

    original: str
    text: str
    _norm_starts: list[int] = field(repr=False)
    _orig_starts: list[int] = field(repr=False)

    def pos(self, i: int) -> int:
        """Original index of normalized index `i` (0 <= i <= len(text))."""
        if i >= len(self.text):
            return len(self.original) if not self.text else self.pos(len(self.text) - 1) + 1
        k = bisect.bisect_right(self._norm_starts, i) - 1
        return self._orig_starts[k] + (i - self._norm_starts[k])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original `[start, end)` for a normalized span; deleted characters inside are covered."""
        if end <= start:
            p = self.pos(start)
            return (p, p)
        return (self.pos(start), self.pos(end - 1) + 1)

    def original_text(self, start: int, end: int) -> str:
        s, e = self.span(start, end)
        return self.original[s:e]

    def printed(self, start: int, end: int) -> str:
        """`original_text` without the line breaks normalization removed inside the span (a hard wrap,
        a sentence broken over lines), so that a line reads as one line in its printed forms."""
        return _ANY_LINE_END.sub("", self.original_text(start, end))


def _is_marker_start(line: str) -> bool:
    return bool(lexicon.MARKER_START.match(line))


def _strip_marker(line: str) -> str:
    for style in lexicon.STYLES:
        m = style["regex"].match(line)
        if m:
            return m.group("rest")
    return line


def _join_points(t: str) -> list[tuple[int, int]]:
    """Whitespace runs with a newline that split one sentence (page breaks, hard wraps)."""
    out = []
    for m in _BREAK.finditer(t):
        a, b = m.span()
        if b >= len(t) or a == 0:
            continue
        line_start = t.rfind("\n", 0, a) + 1
        prev_line = t[line_start:a].rstrip("* \t\r")
        if not prev_line or "|" in prev_line:
            continue
        last = prev_line[-1]
        if last in lexicon.LINE_CLOSERS or _URL_END.search(prev_line):
            continue
        nl = t.find("\n", b)
        next_line = t[b: nl if nl >= 0 else len(t)]
        # indentation of the next line: a new paragraph, not a continuation
        indent = t[t.rfind("\n", a, b) + 1:b]
        if "  " in indent or "\t" in indent:
            continue
        if "|" in next_line or next_line[:1] in "([（【<《" or _is_marker_start(next_line) or lexicon.SIGNATURE_LINE.match(next_line) or _DATED.match(next_line) \
                or lexicon.DOC_NUMBER_LINE.match(next_line) or lexicon.TITLE_END.search(prev_line):
            continue
        body = _strip_marker(prev_line.lstrip())
        if not (any(c in body for c in lexicon.BODY_PUNCT) or len(body) >= 30):
            continue
        out.append((a, b))
    return out


_URL_END = regex.compile(r"(?:https?://|www\.)\S+$")  # a link line is never continued by the next line
_DATED = regex.compile(r"^\s*\(?\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")  # a dated entry starts a line of its own
_GAP = regex.compile(r"(?<=\S)[ \t]{2,}(?=\S)")


def _space_tables(t: str) -> str:
    """Mark the column gaps of space-aligned tables with `|` (one character each, so offsets hold).

    A table is two or more consecutive lines with the same number (>= 2) of cells separated by
    runs of two or more spaces, each cell short.
    """
    lines = t.split("\n")

    def n_cells(ln: str) -> int:
        body = ln.strip().rstrip("\r")
        if not _GAP.search(body) or body.endswith(("。", ";", "；")) or _is_marker_start(body):
            return 0
        parts = _GAP.split(body)
        return len(parts) if max(map(len, parts)) <= 40 else 0

    cells = [n_cells(ln) for ln in lines]
    out, i = [], 0
    while i < len(lines):
        j = i
        while j + 1 < len(lines) and cells[i] >= 2 and cells[j + 1] == cells[i]:
            j += 1
        block = lines[i:j + 1]
        if j > i:
            block = [_GAP.sub(lambda m: "|" + m.group(0)[1:], ln) for ln in block]
        out.extend(block)
        i = j + 1
    return "\n".join(out)


def normalize(text: str, *, join_breaks: bool = True) -> Normalized:
    """Make every line end `\n`, undo a hard wrap, translate full-width forms, drop markup and CRs,
    join lines broken mid-sentence, and restore the line breaks a crawl lost (extractors/blocks.py).

    A hard-wrapped text is normalized as the text it was before the wrap, so that everything read
    from it (title, issuer, ids) is the same; its offsets are composed with the wrap's."""
    src = _LINE_END.sub("\n", text)
    wraps = hard_wraps(src) if join_breaks else []
    if not wraps:
        return _normalize(text, src, join_breaks)
    unwrapped, u_starts, o_starts = _delete(src, wraps)
    return _compose(text, _normalize(unwrapped, unwrapped, join_breaks), u_starts, o_starts)


def _delete(t: str, spans: list[tuple[int, int]]) -> tuple[str, list[int], list[int]]:
    """`t` without the (sorted, disjoint) spans, and the segment starts of its offset map into `t`."""
    pieces, new_starts, old_starts, pos = [], [0], [0], 0
    for a, b in spans:
        pieces.append(t[pos:a])
        new_starts.append(new_starts[-1] + a - pos)
        old_starts.append(b)
        pos = b
    pieces.append(t[pos:])
    return "".join(pieces), new_starts, old_starts


def _compose(original: str, inner: Normalized, mid_starts: list[int], orig_starts: list[int]) -> Normalized:
    """`inner` (a normalization of an intermediate text) with its offsets mapped on into `original`
    through the segments `mid_starts` -> `orig_starts`."""
    def outer(j: int) -> int:
        k = bisect.bisect_right(mid_starts, j) - 1
        return orig_starts[k] + (j - mid_starts[k])

    points = set(inner._norm_starts)
    ends = [*inner._norm_starts[1:], len(inner.text)]
    for m in mid_starts[1:]:  # where the outer map steps, inside a segment of the inner one
        k = bisect.bisect_right(inner._orig_starts, m) - 1
        if k >= 0 and m - inner._orig_starts[k] < ends[k] - inner._norm_starts[k]:
            points.add(inner._norm_starts[k] + m - inner._orig_starts[k])
    norm_starts = sorted(p for p in points if p < len(inner.text)) or [0]
    return Normalized(original, inner.text, norm_starts, [outer(inner.pos(p)) for p in norm_starts])


def _normalize(text: str, src: str, join_breaks: bool) -> Normalized:
    """Normalization of `text`, whose line ends are already `\n` in `src` (same length)."""
    t = src.translate(TRANSLATE)
    if "  " in t:
        t = _space_tables(t)
    deletions = [m.span() for m in _MARKUP.finditer(t)]
    if join_breaks:
        deletions.extend(_join_points(t))
        gaps, glued = lost_breaks(src, t)
        if gaps:
            chars = list(t)
            for i in gaps:
                chars[i] = "\n"
            t = "".join(chars)
        deletions.extend((i, i) for i in glued)
    deletions.sort()
    pieces, norm_starts, orig_starts = [], [0], [0]
    pos = npos = 0
    for a, b in deletions:
        if a < pos:
            a = pos
        if b < a:
            continue
        pieces.append(t[pos:a])
        npos += a - pos
        if b == a:  # an inserted line break: it maps to the character after it
            pieces.append("\n")
            norm_starts.append(npos)
            orig_starts.append(a)
            npos += 1
        pos = b
        norm_starts.append(npos)
        orig_starts.append(pos)
    pieces.append(t[pos:])
    return Normalized(text, "".join(pieces), norm_starts, orig_starts)


_COMPACT = regex.compile(r"\s+|[*\u200b\u200c\u200d\ufeff]|__")


def compact(s: str) -> str:
    """`s` without whitespace or markup: how titles and names are compared and reported."""
    return _COMPACT.sub("", s) if s else ""


def revision_digest(norm: Normalized) -> str:
    """`sha256:` over the normalized text without any whitespace: stable across re-encoding and re-wrapping."""
    return "sha256:" + hashlib.sha256(compact(norm.text).encode("utf-8")).hexdigest()
