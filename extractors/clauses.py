"""Sentence and clause boundaries on normalized text, shared by the figure extractors."""
from __future__ import annotations

import bisect
import tomllib
from functools import lru_cache

import regex

from policyflow.extractors import lexicon


@lru_cache(maxsize=1)
def words() -> dict:
    return tomllib.loads(lexicon.data_text("figures.toml"))


_C = words()["clauses"]
SENTENCE_END = frozenset(_C["sentence_end"])
PERIOD_END = frozenset(_C["period_end"])
CLAUSE_END = frozenset(_C["clause_end"])
TARGET_CLAUSE_END = frozenset(_C["target_clause_end"])
REACH = int(_C["reach"])
MAX_FIGURES = int(_C["max_figures"])


@lru_cache(maxsize=None)
def _class(chars: frozenset[str]):
    return lexicon.compile_("[%s]" % "".join(regex.escape(c) for c in sorted(chars)))


_ALL = frozenset(SENTENCE_END | PERIOD_END | CLAUSE_END | TARGET_CLAUSE_END)


@lru_cache(maxsize=4)
def _all_cuts(text: str) -> tuple[list[int], str]:
    """Every boundary position in `text` and the character there, found in one scan."""
    pos = [m.start() for m in _class(_ALL).finditer(text)]
    return pos, "".join(text[i] for i in pos)


@lru_cache(maxsize=16)
def _cuts(text: str, chars: frozenset[str]) -> list[int]:
    """Boundary positions of one kind, computed once per text (targets and amounts share them)."""
    pos, found = _all_cuts(text)
    if chars >= _ALL:
        return pos
    return [p for p, c in zip(pos, found) if c in chars]


class Boundaries:
    """Positions of boundary characters, for O(log n) 'enclosing sentence/clause' look-ups."""

    def __init__(self, text: str, chars: frozenset[str]):
        self.text = text
        self.cuts = _cuts(text, chars)

    def around(self, start: int, end: int) -> tuple[int, int]:
        """[a, b) of the unit holding text[start:end], boundary characters excluded, at most REACH away."""
        k = bisect.bisect_left(self.cuts, start)
        a = self.cuts[k - 1] + 1 if k > 0 else 0
        j = bisect.bisect_left(self.cuts, end)
        b = self.cuts[j] if j < len(self.cuts) else len(self.text)
        a, b = max(a, start - REACH), min(b, end + REACH)
        return a, max(a, b)

    def previous(self, start: int) -> tuple[int, int] | None:
        """The unit just before the one starting at `start` (None at the beginning)."""
        k = bisect.bisect_left(self.cuts, start)
        if k == 0:
            return None
        b = self.cuts[k - 1]
        a = self.cuts[k - 2] + 1 if k > 1 else 0
        return a, b


def find_any(text: str, options: list[str], start: int = 0, end: int | None = None) -> tuple[int, str] | None:
    """Rightmost occurrence of any option in text[start:end] (longest option wins at a tie)."""
    end = len(text) if end is None else end
    best = None
    for w in options:
        i = text.rfind(w, start, end)
        if i >= 0 and (best is None or i > best[0] or i == best[0] and len(w) > len(best[1])):
            best = (i, w)
    return best
