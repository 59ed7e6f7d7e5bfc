"""Who qualifies for an amount: the 对…的 clause, or the merit words (根据…择优) before the grant.

Distributive grants (对国家级、省级、市级X，分别给予A、B、C) get one condition per item,
rebuilt by putting each listed grade in place of the list.
"""
from __future__ import annotations

from extractors import lexicon
from extractors.clauses import words

_A = words()["amounts"]
_MERIT = lexicon.compile_(_A["condition_merit"])
_GRANT_STARTS = sorted(_A["grant_starts"], key=len, reverse=True)
_GRADES = sorted(_A["grade_words"], key=len, reverse=True)
_LIST_SEP = lexicon.compile_(r"[、]|和|及|与|或")
_TRIM = " \t,，:：;；"


def _ends_condition(text: str, i: int) -> bool:
    """Whether the comma at text[i] closes a 对… clause: a grant phrase starts right after it."""
    rest = text[i + 1:].lstrip()
    return any(rest.startswith(w) for w in _GRANT_STARTS)


def find_condition(text: str, sentence_start: int, figure_start: int) -> tuple[int, int] | None:
    """Normalized span of the qualifying clause for a figure, searched back to the sentence start."""
    window = text[sentence_start:figure_start]
    k = window.rfind(_A["condition_open"])
    while k >= 0:
        prev = window[k - 1] if k > 0 else ""
        if not prev or prev in ",，;；:：。 \t\n)）" or prev in "而并且但":
            break
        k = window.rfind(_A["condition_open"], 0, k)
    if k >= 0:
        a = sentence_start + k + 1
        end = figure_start
        for i in range(a, figure_start):
            if text[i] in ",，" and _ends_condition(text, i):
                end = i
                break
        else:
            for w in ("给予", "予以", "择优"):
                j = text.find(w, a, figure_start)
                if j > a:
                    end = min(end, j)
        while end > a and text[end - 1] in _TRIM:
            end -= 1
        if end - a >= 2:
            return a, end
    m = None
    for m in _MERIT.finditer(text, sentence_start, figure_start):
        pass
    if m:
        return m.start(), m.end()
    return None


def distribute(condition: str, n: int) -> list[str] | None:
    """Per-item conditions for an n-item 分别 list, or None when the condition does not enumerate n items."""
    if n < 2:
        return None
    # a run of n grade words joined by list separators: replace the run by each grade
    i = 0
    while i < len(condition):
        run, j = [], i
        while True:
            g = next((g for g in _GRADES if condition.startswith(g, j)), None)
            if g is None:
                break
            run.append(g)
            j += len(g)
            sep = _LIST_SEP.match(condition, j)
            if not sep or len(run) == n:
                break
            j = sep.end()
        if len(run) == n:
            return [condition[:i] + g + condition[j:] for g in run]
        i += 1
    # "新备案的国家级科技企业孵化器、众创空间": the prefix up to the first item is shared
    parts = condition.split("、")
    if len(parts) == n and all("的" not in p and len(p) <= 12 for p in parts[1:]):
        first = parts[0]
        cut = max(first.rfind("的") + 1, max((first.rfind(g) + len(g) for g in _GRADES if g in first), default=0))
        if 0 < cut < len(first):
            prefix = first[:cut]
            return [first] + [prefix + p for p in parts[1:]]
    return None
