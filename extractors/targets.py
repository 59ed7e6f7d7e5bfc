"""Quantitative goals: 到2027年，全市科技型中小企业达到10000家以上 -> year, indicator, scope, value, unit, comparator.

A figure is a target when its sentence sets a horizon year (inherited by every clause after
it) or it sits in a 目标 section with a comparator; grant, quota and rate clauses are not
targets. The indicator is the noun phrase before the comparator (or after the figure when
nothing precedes it), without scope words and leading verbs.
"""
from __future__ import annotations

import bisect

import regex

from policyflow.extractors import lexicon
from policyflow.extractors.clauses import CLAUSE_END, PERIOD_END, SENTENCE_END, TARGET_CLAUSE_END, Boundaries, words
from policyflow.extractors.normalize import Normalized, compact
from policyflow.extractors.nlp import strip_leading, tokens
from policyflow.extractors.numbers import Quantity, parse_int

_T = words()["targets"]
_HORIZON = lexicon.compile_(_T["horizon"])
_BEFORE = sorted(_T["comparators_before"], key=lambda p: -len(p[0]))
_AFTER = sorted(_T["comparators_after"], key=lambda p: -len(p[0]))
_NOT_TARGET = _T["not_target"]
_SCOPES = sorted(_T["scope_words"], key=len, reverse=True)
_VERBS = frozenset(_T["lead_verbs"])
_GOAL_SECTION = ("目标", "指标")
_STRIP = " \t,，、:：“”\"'()（）-—•·●▪"
_LINKING = sorted(_T["linking_verbs"], key=len, reverse=True)
_LEAD_GROUPS = tuple(_T["lead_groups"])
_HORIZON_REACH = _T["horizon_reach"]
_LIST_ITEM = lexicon.compile_(_T["list_item"], regex.M)
_BULLETS = "-—•·●▪"
_CONNECTIVE = lexicon.compile_(r"^(?:即|并且|并|同时|以及|及|和)")
_SIBLING = lexicon.compile_(r"^[ \t]*(?:、|和|及|与|以及)[ \t]*$")
_RESPECTIVELY = lexicon.compile_(r"(?:应当|应该|应)?分别(?:在|为|是)?$")
_GRADES = sorted(words()["amounts"]["grade_words"], key=len, reverse=True)
_TIME_LEAD = lexicon.compile_(_T["indicator_time_lead"])
_FROM = lexicon.compile_(_T["indicator_from"])
_CLAUSE_YEAR = lexicon.compile_(_T["clause_year"])
_COORDINATE = lexicon.compile_(r"、|和|及|与")


def _without_time(indicator: str) -> tuple[str, bool]:
    """The indicator without a leading time phrase (2016年主营业务收入, 3月初全省口罩日产能), and whether
    that phrase named a year."""
    m = _TIME_LEAD.match(indicator)
    if not m or not m.end():
        return indicator, False
    return _strip_lead(indicator[m.end():]), "年" in m.group()


def _chain(t: str, quantities: list[Quantity], qi: int) -> tuple[int, int]:
    """Where figure qi stands in its list of figures (30个和20个, 150个、80个) and how long the list is."""
    def joined(i: int, j: int) -> bool:
        x, y = quantities[i], quantities[j]
        return (x.kind, x.unit) == (y.kind, y.unit) and bool(_SIBLING.match(t[x.end:y.start]))

    a = b = qi
    while a > 0 and joined(a - 1, a):
        a -= 1
    while b + 1 < len(quantities) and joined(b, b + 1):
        b += 1
    return qi - a, b - a + 1


def _respective(indicator: str, n: int) -> list[str] | None:
    """One indicator per figure of an n-figure list: 污泥处理率和再生水利用率 -> each; 乘用车和商用车
    排放强度 / 超50亿、超100亿的特色产业集群 -> each item with the shared head; None when the
    indicator does not coordinate n items."""
    parts = _COORDINATE.split(indicator)
    if n < 2 or len(parts) != n or any(not p for p in parts):
        return None
    first, last = parts[0], parts[-1]
    if len(last) > 1 and first[-1] == last[-1] and len(last) <= 2 * len(first) + 2:
        return parts  # each item is whole: 处置率和利用率
    if "的" in last:
        item, head = last.split("的", 1)
        return [p + "的" + head for p in parts[:-1]] + [item + "的" + head] if item else None
    item = next((g for g in _GRADES if last.startswith(g)), "")
    for tok in tokens(last)[:-1] if not item else ():
        item += tok
        if len(item) >= len(first):
            break
    head = last[len(item):]
    return [p + head for p in parts[:-1]] + [last] if item and head else None


def _year_of(m) -> int | None:
    return parse_int(next(g for g in (m.group("y1"), m.group("y2"), m.group("y3"), m.group("y4")) if g))


def _is_lead(m) -> bool:
    return any(m.group(g) for g in _LEAD_GROUPS)


def _horizon(t: str, sentence_start: int, pos: int, marks: "_Horizons") -> tuple[int | None, int | None]:
    """The target year for a figure at `pos`, and where its horizon phrase ends (None when inherited).

    A deadline counts inside its own sentence; a leading horizon (到2025年，) for the rest of its
    paragraph; a list item (——培育…) inherits the horizon of the line that introduces the list
    (`到2023年，…：`).
    """
    para_start = t.rfind("\n", max(0, pos - _HORIZON_REACH), pos) + 1 or max(0, pos - _HORIZON_REACH)
    for m in reversed(marks.between(para_start, pos)):
        if m.start() >= sentence_start or _is_lead(m):
            return _year_of(m), m.end()
    if not _LIST_ITEM.match(t, para_start):
        return None, None
    line_end = para_start - 1
    for _ in range(30):  # a list is short; bounded so a long run of bullets stays linear
        if line_end <= 0:
            break
        line_start = t.rfind("\n", 0, line_end) + 1
        line = t[line_start:line_end].strip()
        if line and not _LIST_ITEM.match(line):
            if line.endswith((":", "：")):
                leads = [m for m in _HORIZON.finditer(line) if _is_lead(m)]
                if leads:
                    return _year_of(leads[-1]), None
            break
        line_end = line_start - 1
    return None, None


def _strip_lead(s: str) -> str:
    """The indicator without leading verbs, cut at jieba token boundaries (培育技术经纪人 -> 技术经纪人)."""
    s = s.strip(_STRIP)
    return strip_leading(s, _VERBS).strip(_STRIP) if s else s


def _scope(s: str) -> tuple[str | None, str]:
    for w in _SCOPES:
        if s.startswith(w):
            return w, s[len(w):]
    return None, s


def _comparator_before(text: str) -> tuple[int, str, str] | None:
    """The comparator word ending last in `text` (the longer word when one contains another)."""
    best = None
    for word, sym in _BEFORE:
        i = text.rfind(word)
        if i >= 0:
            key = (i + len(word), len(word))
            if best is None or key > best[0]:
                best = (key, (i, word, sym))
    return best[1] if best else None


def _comparator_after(text: str) -> tuple[str, str] | None:
    s = text.lstrip()
    for word, sym in _AFTER:
        if s.startswith(word):
            return word, sym
    return None


class _Horizons:
    """Every horizon phrase of a document, found once; looked up by position."""

    def __init__(self, t: str):
        self.matches = list(_HORIZON.finditer(t))
        self.starts = [m.start() for m in self.matches]

    def between(self, a: int, b: int) -> list:
        i = bisect.bisect_left(self.starts, a)
        j = bisect.bisect_left(self.starts, b)
        return [m for m in self.matches[i:j] if m.end() <= b]


def _after_verb(before: str, listed: str = "") -> bool:
    """`培育25家…`, `建成1-2个…`: a bare count right after a goal verb states a goal; so does the
    count closing a list the verb opens (`打造A、B、C3个超万亿产业`)."""
    b = compact(before)
    lead = _CONNECTIVE.sub("", compact(listed))
    return any(b.endswith(v) for v in _VERBS) or (
        "、" in lead and any(lead.startswith(v) for v in _VERBS))


def _sibling_comparator(t: str, quantities: list[Quantity], qi: int) -> tuple[str, str] | None:
    """A comparator shared along a list of figures: `30个和20个左右` (after), `达150个、80个` (before)."""
    q = quantities[qi]
    if qi + 1 < len(quantities) and _SIBLING.match(t[q.end:quantities[qi + 1].start]):
        nxt = quantities[qi + 1]
        after = _comparator_after(t[nxt.end:nxt.end + 4])
        if after and after[1] == "~":
            return after
    k = qi
    while k > 0 and _SIBLING.match(t[quantities[k - 1].end:quantities[k].start]):
        k -= 1
    if k < qi:
        head = t[max(0, quantities[k].start - 6):quantities[k].start]
        found = _comparator_before(head)
        if found and head.endswith(found[1]):
            return found[1], found[2]
    return None


def extract_targets(norm: Normalized, quantities: list[Quantity], *, in_measure,
                    goal_spans: list[tuple[int, int]] = ()) -> tuple[list[dict], set[int]]:
    """Target records and the indices of the quantities they consumed."""
    t = norm.text
    sentences = Boundaries(t, SENTENCE_END)
    periods = Boundaries(t, PERIOD_END)
    clauses = Boundaries(t, TARGET_CLAUSE_END)
    commas = Boundaries(t, CLAUSE_END)
    out: list[dict] = []
    used: set[int] = set()
    last_indicator: dict[int, str] = {}
    listed: dict[int, list[str]] = {}
    chains: dict[int, tuple[list[str] | None, str]] = {}  # first figure of a list -> its items, its indicator
    marks = _Horizons(t)
    for qi, q in enumerate(quantities):
        if q.kind not in ("count", "money", "percent"):
            continue
        s_start, s_end = sentences.around(q.start, q.end)
        head = t[s_start:q.start]
        p_start, _ = periods.around(q.start, q.end)
        year, horizon_end = _horizon(t, p_start, q.start, marks)
        c_start, c_end = clauses.around(q.start, q.end)
        comma_start, comma_end = commas.around(q.start, q.end)
        later = _CLAUSE_YEAR.match(t, comma_start) if year is not None else None
        if later and later.end() <= q.start:
            year, horizon_end = int(later.group("y")), later.end()
        clause = t[c_start:c_end]
        if any(w in clause for w in _NOT_TARGET):
            continue
        before = t[c_start:q.start]
        after_cmp = _comparator_after(t[q.end:c_end])
        tail_start = q.end
        if after_cmp:
            tail_start = t.index(after_cmp[0], q.end) + len(after_cmp[0])
        tail = t[tail_start:c_end]
        cmp_before = _comparator_before(before)
        in_goal = any(a <= norm.pos(q.start) < b for a, b in goal_spans)
        if year is None and not (in_goal and (cmp_before or after_cmp)):
            continue
        if horizon_end is not None and c_start < horizon_end <= q.start:
            before = t[horizon_end:q.start]
            c_start = horizon_end
        if not cmp_before and not after_cmp and qi:
            after_cmp = _sibling_comparator(t, quantities, qi)
        bare = not cmp_before and not after_cmp
        if bare and compact(tail) and not compact(tail).startswith("的") and not _after_verb(
                before, t[comma_start:q.start]):
            continue  # "15个副省级城市": a figure inside a phrase, not a goal
        if after_cmp and (not cmp_before or after_cmp[1] in ("~", "<=") or cmp_before[2] == ">="):
            symbol = after_cmp[1]
        else:
            symbol = cmp_before[2] if cmp_before else "="
        lead = before[:cmp_before[0]] if cmp_before else before
        lead_c = _RESPECTIVELY.sub("", compact(lead))
        for v in _LINKING:
            if lead_c.endswith(v) and len(lead_c) > len(v):
                lead = lead_c[:-len(v)]
                break
        scope, rest = _scope(_RESPECTIVELY.sub("", compact(lead).strip(_STRIP)).strip(_STRIP))
        # a count names what it counts after it when anything follows (培育30家以上环保标杆企业,
        # 中场配套3个超万亿产业); a figure at the end of its clause names it before (企业达到100家)
        at, n = _chain(t, quantities, qi)
        noun_start, noun_end = tail_start, max(c_end, comma_end)
        if at < n - 1:
            noun_start = quantities[qi + n - 1 - at].end  # 30个和20个特色集群: what the list counts follows it
            last_after = _comparator_after(t[noun_start:noun_end])
            if last_after:
                noun_start = t.index(last_after[0], noun_start) + len(last_after[0])
            tail = t[noun_start:max(noun_start, noun_end)]
        counted_after = q.kind == "count" and bool(compact(tail).lstrip("的"))
        indicator = "" if rest in _VERBS or counted_after else _strip_lead(rest)
        span_start = c_start + (len(before) - len(before.lstrip(" \t,，" + _BULLETS)))
        span_end = tail_start
        noun_end = next((o.start for o in quantities[qi + 1:qi + 4] if noun_start <= o.start < noun_end
                         and (o.kind, o.unit) == (q.kind, q.unit)), noun_end)  # 20家A和200家B: A, not B's words
        if not indicator:
            noun = compact(t[noun_start:noun_end]).lstrip("的").rstrip(_STRIP + "和及与以及")
            indicator, _ = _without_time(_strip_lead(noun.rsplit("的", 1)[-1] if "的" in noun else noun))
            if indicator in _LINKING or indicator in _VERBS:
                indicator = ""  # …80%、2020年底前达到100%: a verb, not what is counted
            span_end = c_end if noun_start == tail_start else tail_start
        prev = last_indicator.get(s_start)
        indicator, dated = _without_time(indicator)
        if dated and not indicator:
            indicator = prev or ""  # …达标率达到80%以上，2022年达到85%: only a new year for the indicator before
        indicator = _FROM.sub("", indicator)
        if not indicator and horizon_end is not None:
            first = next(iter(marks.between(comma_start, q.start)), None)
            named = compact(t[comma_start:first.start()]).strip(_STRIP) if first else ""
            if named and not any(ch.isdigit() for ch in named):
                indicator = _strip_lead(_scope(named)[1])  # 全文公示率2019年底前达到80%、2020年底前达到100%
        if not indicator and prev and horizon_end is not None and len(compact(t[horizon_end:q.start]).strip(_STRIP)) <= 4:
            indicator = prev  # …达标率达到80%以上，2022年达到85%: a new horizon for the indicator before
        if indicator.startswith("占") and prev and "占" not in prev:
            share = indicator[:-1] if indicator.endswith("的") else indicator
            indicator = prev + share + ("" if share.endswith(("比重", "比例", "占比")) else "比重")  # 规模…，占GDP的40%
        if n > 1:
            if at == 0:
                items = _respective(indicator, n) if indicator else None
                whole_start = max(comma_start, horizon_end or 0)
                if indicator and not items and t[c_start - 1:c_start] == "、" and not any(
                        whole_start <= o.start < c_start and (o.kind, o.unit) == (q.kind, q.unit) for o in quantities):
                    # 新增超10亿、超50亿的产业集群8个和3个: the items before the 、 belong to the list
                    _, whole = _scope(compact(t[whole_start:c_start]).strip(_STRIP))
                    items = _respective(_strip_lead(whole) + "、" + indicator, n)
                if not indicator and _RESPECTIVELY.search(compact(lead).strip(_STRIP)):
                    # the figures of a list named before, in order: …30个和20个，分别达150个、80个 /
                    # 到2023年A率达76%，B率超过78%；到2025年，分别达到78%、80%
                    items = listed.get(s_start) if len(listed.get(s_start) or ()) == n else None
                    earlier = [o for o in out[-n:] if o["_at"] >= p_start]
                    if not items and len(earlier) == n:
                        items = [o["indicator"] for o in earlier]
                    before_list = commas.previous(comma_start)
                    indicator = prev or (items[0] if items else _strip_lead(compact(t[slice(*before_list)]))
                                         if before_list and before_list[0] >= p_start else "")
                chains[qi] = (items, indicator)
                if items:
                    listed[s_start] = items
            items, first = chains.get(qi - at, (None, None))
            if items:
                indicator = items[at]
            elif at and first:
                indicator = first  # 30个和20个左右: the list counts one thing
        elif not indicator and prev and _SIBLING.match(t[quantities[qi - 1].end:q.start]):
            indicator = prev
        if not indicator:
            continue
        if scope is None and prev and indicator != prev and indicator.endswith(prev) and len(indicator) > len(prev):
            scope, indicator = indicator[:-len(prev)], prev
        last_indicator[s_start] = indicator
        aspirational = any(w in head for w in _T["aspirational"])
        value, unit = q.value, ("元" if q.kind == "money" else "%" if q.kind == "percent" else q.unit)
        span = norm.span(span_start, span_end)
        used.add(qi)
        out.append({"id": f"t{len(out) + 1}", "span": span, "measure_id": in_measure(span[0]), "year": year,
                    "indicator": indicator, "scope": scope, "value": value, "value_max": q.value_max, "unit": unit,
                    "comparator": symbol, "aspirational": aspirational, "_at": q.start})
    for o in out:
        del o["_at"]
    return out, used
