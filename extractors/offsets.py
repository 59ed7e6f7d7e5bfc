"""UTF-16 code-unit offsets beside the contract's code-point spans.

Python indexes `str` by code point; JavaScript (and Java, C#, the DOM) by UTF-16 code unit, where a
character above U+FFFF (an astral one: 𠮷 U+20BB7, rare name characters, emoji) takes two units. A
code-point offset `i` is the UTF-16 offset `i + (astral characters before i)`. `Utf16Offsets` finds
the astral characters of a text once (one C-level regex scan; none at all for the usual text) and
answers each offset by bisection, so grounding every record of a document stays O(n + r log a).
"""
from __future__ import annotations

import bisect
import re

_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")  # lone surrogates (U+D800–DFFF) are one unit, as in JS


class Utf16Offsets:
    """Code-point offsets of one text as UTF-16 code-unit offsets."""

    __slots__ = ("_astral",)

    def __init__(self, text: str):
        self._astral = [] if text.isascii() else [m.start() for m in _ASTRAL.finditer(text)]

    def offset(self, i: int) -> int:
        """The UTF-16 offset of code-point offset `i` (0 <= i <= len(text))."""
        return i + bisect.bisect_left(self._astral, i) if self._astral else i

    def span(self, span) -> tuple[int, int]:
        """A `[start, end)` code-point span as UTF-16 code units."""
        start, end = span
        if not self._astral:
            return (start, end)
        return (self.offset(start), self.offset(end))


def ground(record: dict, text: str, utf16: Utf16Offsets) -> None:
    """Give a record with a `span` its `span_utf16` and its `evidence` (`text[start:end]`, exactly)."""
    span = record.get("span")
    if span is None:
        return
    record["span_utf16"] = utf16.span(span)
    record["evidence"] = text[span[0]:span[1]]
