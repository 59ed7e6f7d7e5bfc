"""Who qualifies for an amount, found in this order of precedence:

1. a subject before 给予 in the figure's own clause (其它规上企业一次性给予…);
2. the 对… clause of the sentence (对首次通过认定的企业，给予…), up to the comma where the grant starts;
3. merit words before the grant (根据绩效评价结果，择优);
4. the object of a batch verb earlier in the sentence (每年支持一批X，每个项目…);
5. a sentence that opens with 支持/鼓励 X, up to the comma where the grant starts;
6. the clause just before the grant clause (经科技部批准…注册成立的，每家给予…).

Between 2 and 3: conditional clauses ending in 的， (单项交易额在50万元以上的，…; 弄虚作假的，处…罚款),
from the sentence start (past a 违反本条例规定， preamble) to the last 的， before the figure.

A subject or 对 clause that runs up to the figure ends before the grant verb, its giver and per
words (对在创业板上市的企业奖励200万元 -> 在创业板上市的企业; condition_grant_tail in figures.toml).

Distributive grants (对国家级、省级、市级X，分别给予A、B、C) get one condition per item,
rebuilt by putting each listed grade in place of the list.
"""
from __future__ import annotations

from functools import lru_cache

import regex

from policyflow.extractors import lexicon
from policyflow.extractors.clauses import words

_A = words()["amounts"]
_MERIT = lexicon.compile_(_A["condition_merit"])
_BATCH = lexicon.compile_(_A["batch"])
_GRANT_STARTS = sorted(_A["grant_starts"], key=len, reverse=True)
_GIVERS = sorted(_A["givers"], key=len, reverse=True)
_NOT_SUBJECT_START = tuple(_A["not_subject_start"])
_NOT_SUBJECT = sorted(_A["not_subject"], key=len, reverse=True)
_PER_LEAD = lexicon.compile_("|".join(f"(?:{p})" for p, _ in _A["per"]))
_LEAD = sorted(_A["lead_verbs"], key=len, reverse=True)
_OPENERS = sorted(_A["sentence_openers"], key=len, reverse=True)
_GRADES = sorted(_A["grade_words"], key=len, reverse=True)
_LIST_SEP = lexicon.compile_(r"[、]|和|及|与|或")
_TRIM = " \t,，:：;；"


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in _TRIM:
        a += 1
    while b > a and text[b - 1] in _TRIM:
        b -= 1
    return a, b


@lru_cache(maxsize=8)
def _alternation(options: tuple[str, ...]):
    return lexicon.compile_("(?:%s)" % "|".join(regex.escape(w) for w in sorted(options, key=len, reverse=True)))


def _strip_words(text: str, a: int, b: int, options: list[str], *, per: bool = False) -> int:
    """Skip leading words (and, with `per`, per-phrases such as 每家, 单个项目) in text[a:b]."""
    words = _alternation(tuple(options))
    while True:
        m = words.match(text, a, b) or (_PER_LEAD.match(text, a, b) if per else None)
        if not m or m.end() == a:
            return a
        a = m.end()


def _own_subject(text: str, clause_start: int, figure_start: int) -> tuple[tuple[int, int], bool] | None:
    """The subject before 给予 in the figure's clause, and whether it opens with a rate (每培养1名…)."""
    g = text.find("给予", clause_start, figure_start)
    if g < 0:
        return None
    a, b = _trim(text, clause_start, g)
    if text.startswith(_A["condition_open"], a) or any(text.startswith(w, a) for w in ("按照", "按", "根据", "依据")):
        return None
    start = a
    a = _strip_words(text, a, b, _NOT_SUBJECT + _GIVERS)
    rate = _PER_LEAD.match(text, a, b)
    core = _strip_words(text, a, b, _NOT_SUBJECT + _GIVERS, per=True)
    b2 = b
    for w in _NOT_SUBJECT:
        if text.endswith(w, core, b2):
            b2 -= len(w)
    core, b = _trim(text, core, b2)
    if b - core < 2 or text.startswith(_NOT_SUBJECT_START, core) or any(
            text.startswith(w, core) and b - core <= len(w) for w in _GIVERS):
        return None
    return ((a, b), True) if rate and rate.end() > a else ((core, b), False)


def _dui_clause(text: str, sentence_start: int, figure_start: int, *, openers: bool = False
                ) -> tuple[int, int] | None:
    """The 对… clause (or, with `openers`, a 支持…/鼓励… sentence opening) before the grant."""
    window = text[sentence_start:figure_start]
    k = -1 if openers else window.rfind(_A["condition_open"])
    while k >= 0:
        prev = window[k - 1] if k > 0 else ""
        if not prev or prev in ",，;；:：。 \t\n)）.、" or prev in "而并且但":
            break
        k = window.rfind(_A["condition_open"], 0, k)
    if k >= 0:
        a = sentence_start + k + 1
        if text.startswith("于", a):
            a += 1  # 对于…的
    elif not openers:
        return None
    else:
        lead = window.lstrip()
        opener = next((w for w in _OPENERS if lead.startswith(w)), None)
        if opener is None:
            return None
        a = sentence_start + len(window) - len(lead) + len(opener)
    end = figure_start
    for i in range(a, figure_start):
        if text[i] in ",，" and any(text[i + 1:].lstrip().startswith(w) for w in _GRANT_STARTS):
            end = i
            break
    for w in ("给予", "予以", "择优", "按照", "按其", "分别"):
        j = text.find(w, a, end)
        if j > a:
            end = j
    a, b = _trim(text, a, end)
    for w in _NOT_SUBJECT:
        if text.endswith(w, a, b):
            b -= len(w)
    cut = max(text.rfind(",", a, b), text.rfind("，", a, b))
    if cut > a and text[b - 1:b] == "的" and any(v in text[a:cut] for v in _A["action_verbs"]):
        a, b = _trim(text, cut + 1, b)  # 对平台开展绩效评价，评价结果为优秀的 -> 评价结果为优秀的
    return (a, b) if b - a >= 2 else None


_GRANT_TAIL = lexicon.compile_(_A["condition_grant_tail"])


def _cut_grant_tail(text: str, span: tuple[int, int], figure_start: int) -> tuple[int, int]:
    """A condition that runs up to the figure loses the grant verb before it (对…的企业奖励50万元)."""
    a, b = span
    if text[b:figure_start].strip(" \t"):
        return span
    m = _GRANT_TAIL.search(text, a, b)
    if m is None or m.start() == a:
        return span
    a2, b2 = _trim(text, a, m.start())
    return (a2, b2) if b2 - a2 >= 2 else span


_CONDITIONAL_END = lexicon.compile_(r"的[ \t]*[,，]")
_PREAMBLE = lexicon.compile_(_A["condition_preamble"])


def conditional_clause(text: str, sentence_start: int, figure_start: int) -> tuple[int, int] | None:
    """`单项交易额在50万元以上的，…补助` / `…弄虚作假的，处…罚款`: the clauses up to the last 的， before the figure."""
    end = None
    for end in _CONDITIONAL_END.finditer(text, sentence_start, figure_start):
        pass
    if end is None:
        return None
    a = sentence_start
    while a < end.start() and text[a] in _TRIM + "\n":
        a += 1
    label = lexicon.MARKER_AT.match(text, a, end.start())
    if label:
        a = label.end()  # 第四十条 / 1. before the clause (on its line or glued after a 。) is numbering
    pre = _PREAMBLE.match(text, a, end.start())
    if pre:
        a = pre.end()
    a, b = _trim(text, a, end.start() + 1)
    a = _strip_words(text, a, b, _LEAD)
    return (a, b) if b - a >= 4 else None


def find_condition(text: str, sentence_start: int, clause_start: int, figure_start: int,
                   previous_clause: tuple[int, int] | None, *, weak: bool = True) -> tuple[int, int] | None:
    """Normalized span of the qualifying words for a figure (see the module docstring for the order).

    Without `weak`, only the stated forms count (1, 2 and the 的， clauses), not the guesses after them:
    a government outlay has no beneficiary to guess."""
    own = _own_subject(text, clause_start, figure_start)
    dui = _dui_clause(text, sentence_start, figure_start)
    if own and not (own[1] and dui):  # a rate phrase (每培养1名…) yields to a 对 clause
        return _cut_grant_tail(text, own[0], figure_start)
    if dui:
        return _cut_grant_tail(text, dui, figure_start)
    conditional = conditional_clause(text, sentence_start, figure_start)
    if conditional or not weak:
        return conditional
    m = None
    for m in _MERIT.finditer(text, sentence_start, figure_start):
        pass
    if m:
        return m.start(), m.end()
    batch = None
    for batch in _BATCH.finditer(text, sentence_start, figure_start):
        pass
    if batch:
        end = next((i for i in range(batch.end(), figure_start) if text[i] in ",，;；"), figure_start)
        a, b = _trim(text, batch.end(), end)
        if b - a >= 2:
            return a, b
    found = _dui_clause(text, sentence_start, figure_start, openers=True)
    if found:
        return found
    if previous_clause and previous_clause[0] >= sentence_start:
        a, b = _trim(text, *previous_clause)
        a = _strip_words(text, a, b, _LEAD)
        if b - a >= 2 and not any(text.startswith(w, a) for w in ("按照", "按")):
            return a, b
    return None


def distribute(condition: str, n: int) -> list[str] | None:
    """Per-item conditions for an n-item 分别 list, or None when the condition does not enumerate n items."""
    if n < 2:
        return None
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
    parts = [p for p in _LIST_SEP.split(condition)]
    if len(parts) == n and all("的" not in p and len(p) <= 14 for p in parts[1:]):
        first = parts[0]
        cut = max(first.rfind("的") + 1, max((first.rfind(g) + len(g) for g in _GRADES if g in first), default=0))
        prefix = first[:cut] if 0 < cut < len(first) else ""
        return [first] + [prefix + p for p in parts[1:]]
    return None
