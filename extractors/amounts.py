"""Money and ratio figures that a policy grants, budgets or requires, with their conditions.

role: budget when the clause speaks of the government's own outlay (出资, 总规模), threshold
when the figure qualifies a beneficiary (…50万元以上 before the grant), else subsidy. A growth
rate or a share in a qualifying clause (对年度研发费用增长超过20%的企业，给予…; 研发投入强度4%以上)
is a threshold like an absolute one (营业收入超过1亿元的，给予…); a growth rate outside any
condition is no amount, unless it is the government's own outlay that grows (a budget).
bound: the bound word between the previous figure and this one (最高, 不超过, 最低); items of
a 分别 list inherit the bound of the first item; a range is a floor and a cap.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import regex

from policyflow.extractors import lexicon
from policyflow.extractors.clauses import CLAUSE_END, PERIOD_END, REACH, SENTENCE_END, Boundaries, find_any, words
from policyflow.extractors.conditions import conditional_clause, distribute, find_condition
from policyflow.extractors.normalize import Normalized, compact
from policyflow.extractors.numbers import Quantity
from policyflow.schemas.errors import warning

_A = words()["amounts"]
_SAME = lexicon.compile_(_A["same_amount"])
_ESCALATION = lexicon.compile_(_A["condition_escalation"])
_RAISE_CAP = lexicon.compile_(_A["raise_cap"])
_FINE = _A["fine"]
_NO_FIGURE = lexicon.compile_(_A["grant_without_figure"])
_PER = [(lexicon.compile_(pattern), kind) for pattern, kind in _A["per"]]
_PER_ORDER = ["once", "project", "entity", "person", "year"]
_PER_AFTER = [(lexicon.compile_(pattern), kind) for pattern, kind in _A["per_after"]]
_PERIOD = [(lexicon.compile_(pattern), kind) for pattern, kind in _A["per_period"]]
_PERIOD_AFTER = [(lexicon.compile_(pattern), kind) for pattern, kind in _A["per_period_after"]]
_THRESHOLD_MIN = lexicon.compile_(_A["threshold_min_before"])
_THRESHOLD_MAX = lexicon.compile_(_A["threshold_max_before"])
_MAX_ONLY = lexicon.compile_("最高")
_YEARLY_ROUND = lexicon.compile_(_A["yearly_round"])
_GRANT_VERB = lexicon.compile_("给予|予以|奖励|补助|资助|支持|奖补|补贴|返还")
_OPENER = lexicon.compile_("对|凡")
_JOINTS = ("及", "和", "、")
_FEE_CUT = lexicon.compile_(_A["fee_cut_before"])
_FEE = lexicon.compile_(_A["fee"])
_FEE_BASE = lexicon.compile_(r"在(?P<basis>[^,，;；。]{2,20}?)(?:的)?基础上")
_ONCE_AFTER = lexicon.compile_(r"^[^,，;；。]{0,12}?给予一次性")  # 按…1%的比例给予一次性奖励
_SAME_SENTENCE = 16  # figures of one sentence looked back over; keeps a run of figures linear
_FUND_SIZE = lexicon.compile_(r"规模(?!的)(?![^,，;；。]*比例)")
_QUALIFIER_END = lexicon.compile_(_A["qualifier_end"])
_QUALIFIER_END_BARE = lexicon.compile_(_A["qualifier_end_bare"])
_QUALIFIER_END_LOOSE = lexicon.compile_(_A["qualifier_end_loose"])
_OPENER_AT_CLAUSE = lexicon.compile_(_A["opener_at_clause"])
_NEW_QUALIFIER = lexicon.compile_(_A["new_qualifier"])
_GROWTH = lexicon.compile_(_A["growth_before"])
_RATE_BEFORE = lexicon.compile_(_A["rate_before"])
_NOT_BUDGET = lexicon.compile_(_A["not_budget"])
_SHARE = lexicon.compile_(_A["share_for_beneficiaries"])
_GOVERNMENT = lexicon.compile_(_A["government_actor"])
_QUALIFIED = lexicon.compile_(r"^[ \t]*(?P<w>及以上|及以下|以上|以下|以内)[ \t]*(?:\((?:含|不含)[^()]{0,6}\))?[ \t]*的")


def _in_qualifier(text: str, sentence_start: int, figure_end: int, sentence_end: int, *, opener: bool = True,
                  figure_after=lambda a, b: False) -> bool:
    """Whether a figure sits inside the …的， clause that a later grant in the sentence depends on.

    With `opener`, the clause opens with 对/凡 (对营业收入超过1亿元的企业，给予…); after a 对 that opens
    its clause the comma may be missing when the grant gives a figure (对…1亿元的企业给予50万元).
    Without it, a clause ending in 的， before the grant (企业营业收入超过1亿元的，给予…), unless a
    new 对/按… clause starts between the figure and that 的 (`qualifier_end_loose` in figures.toml).
    """
    if (opener and not _OPENER.search(text, sentence_start, figure_end)) or _GRANT_VERB.search(
            text, sentence_start, figure_end):
        return False
    grant = _GRANT_VERB.search(text, figure_end, sentence_end)
    if not grant:
        return False
    if not opener:
        end = _QUALIFIER_END_LOOSE.search(text, figure_end, grant.start())
        return bool(end) and not _NEW_QUALIFIER.search(text, figure_end, end.start())
    if _QUALIFIER_END.search(text, figure_end, grant.start()):
        return True
    return (bool(_OPENER_AT_CLAUSE.search(text, sentence_start, figure_end))
            and _QUALIFIER_END_BARE.search(text[figure_end:grant.start()]) is not None
            and figure_after(grant.end(), sentence_end))


def _qualifies_noun(after: str) -> str | None:
    """`100万元及以下的再担保业务`, `1亿元以上的企业`: a bounded figure that qualifies who or what
    a rule applies to (not `…以下的补助`, a grant): its bound."""
    m = _QUALIFIED.match(after)
    if not m or _SUBSIDY.match(after, m.end()):
        return None
    return "min" if m.group("w").endswith("以上") else "max"


_BASIS_TAIL = lexicon.compile_(_A["basis_tail"])
_BASIS_START = sorted(_A["basis_start"], key=len, reverse=True)
_LIST_GLUE = frozenset("、和及与 \t")
_MAX = lexicon.compile_(_A["max_pattern"])
_CAP_SUBJECT = lexicon.compile_(_A["cap_subject"])
_SUBSIDY = lexicon.compile_("|".join(map(regex.escape, _A["subsidy_cues"])))
_GRANTED = lexicon.compile_("|".join(map(regex.escape, _A["subsidy_cues"] + _A["budget_cues"])))
_BUDGET = lexicon.compile_("|".join(map(regex.escape, _A["budget_cues"])))
_TABLE_GRANT = lexicon.compile_("|".join(map(regex.escape, _A["subsidy_cues"] + _A["table_grant_headers"])))
_MIN = lexicon.compile_(_A["min_pattern"])


def _last(pattern, text: str):
    m = None
    for m in pattern.finditer(text):
        pass
    return m


@dataclass
class _Figure:
    start: int
    end: int
    value_yuan: int | None = None
    ratio: float | None = None
    bound: str | None = None  # from a range


def _figures(text: str, quantities: list[Quantity], used: set[int]) -> list[_Figure]:
    out = []
    for i, q in enumerate(quantities):
        if i in used:
            continue
        if q.kind == "money":
            if q.value_max is not None:  # a range is a floor and a cap; both point at the whole range
                out.append(_Figure(q.start, q.end, value_yuan=round(q.value), bound="min"))
                out.append(_Figure(q.start, q.end, value_yuan=round(q.value_max), bound="max"))
            else:
                out.append(_Figure(q.start, q.end, value_yuan=round(q.value)))
        elif q.kind == "percent" and q.value_max is None:
            out.append(_Figure(q.start, q.end, ratio=q.value / 100))
        elif q.kind == "ratio":
            out.append(_Figure(q.start, q.end, ratio=q.value))
    for m in _SAME.finditer(text):
        out.append(_Figure(m.start(), m.end(), ratio=1.0))
    return sorted(out, key=lambda f: f.start)


def _holds_figure(starts: list[int], figures: list[_Figure], a: int, b: int) -> bool:
    """Whether some figure lies inside [a, b) (figures sorted by start)."""
    k = bisect.bisect_left(starts, a)
    return k < len(figures) and figures[k].end <= b


def _per(text: str) -> list[str]:
    return sorted({kind for pattern, kind in _PER if pattern.search(text)}, key=_PER_ORDER.index)


def _listed(t: str, a: _Figure, b: _Figure) -> bool:
    """Whether figure b follows figure a in one list (50万元、20万元; 30%和20%)."""
    return a.end <= b.start and set(t[a.end:b.start]) <= _LIST_GLUE


def _period(before: str, after: str) -> str | None:
    """How often a rate recurs (per_period in figures.toml): a period printed right after the figure
    (2000元/月), else the period word nearest before it in `before` (每人每月2000元 -> month)."""
    for pattern, kind in _PERIOD_AFTER:
        if pattern.search(after):
            return kind
    best = None
    for pattern, kind in _PERIOD:
        for m in pattern.finditer(before):
            if best is None or m.end() > best[0]:
                best = (m.end(), kind)
    return best[1] if best else None


def _basis(text: str) -> str | None:
    """What a ratio is of: the phrase between the last basis-start word and the figure."""
    s = text.rstrip(" \t的")
    hit = find_any(s, [w for w in _BASIS_START if w != "的"])
    if hit is None:
        return None
    b = _BASIS_TAIL.sub("", compact(s[hit[0] + len(hit[1]):])).strip("的,，")
    for w in ("给予", "按照", "按"):
        if w in b:
            b = b[:b.index(w)]
    return b or None


def _table_context(text: str, pos: int) -> tuple[str, tuple[int, int] | None] | None:
    """For a figure in a plain-text table row: its column's header text and the row's first cell span."""
    ls = text.rfind("\n", max(0, pos - 2000), pos) + 1
    le = text.find("\n", pos, pos + 2000)
    if (ls == 0 and pos > 2000) or le < 0 and pos + 2000 < len(text):
        return None  # a table row is short; a 2,000-character line is prose
    le = len(text) if le < 0 else le
    if "|" not in text[ls:le]:
        return None
    col = text.count("|", ls, pos)
    header_start = ls
    while header_start > 0:
        prev_start = text.rfind("\n", 0, header_start - 1) + 1
        if "|" not in text[prev_start:header_start - 1]:
            break
        header_start = prev_start
    if header_start == ls:
        return None
    header_end = text.find("\n", header_start)
    cells = text[header_start:header_end].split("|")
    first_end = text.find("|", ls, le)
    first = (ls, first_end) if col > 0 and first_end > ls else None
    return (cells[col] if col < len(cells) else ""), first


def _fee_basis(clause: str) -> str | None:
    """What a fee cut is a share of: 在原收费标准基础上下调30% -> 原收费标准; 物业费下浮20% -> 物业费."""
    m = _FEE_BASE.search(clause) or _FEE.search(clause)
    return compact(m.group("basis")) if m else None


def _condition(t: str, s_start: int, c_start: int, f: _Figure, clauses: Boundaries, periods: Boundaries,
               amounts: list[dict], starts: list[int], figures: list[_Figure], role: str
               ) -> tuple[tuple[int, int] | None, list[str]]:
    """The qualifying clause for a figure (extractors/conditions.py), with two widenings, and the
    per words it inherits.

    A cap after a grant in the same sentence (…给予20%的补助，最高不超过200万元) shares the grant's
    condition (and its per words) instead of taking the grant clause as its own; a figure whose ；-sentence names no
    condition looks back to the start of its 。-sentence (…的科技经费的，由…追回；…并处…罚款).
    """
    weak = role != "budget"
    found = find_condition(t, s_start, c_start, f.start, clauses.previous(c_start), weak=weak)
    earlier = [a for a in reversed(amounts[-_SAME_SENTENCE:]) if s_start <= a["_at"] < f.start and a["_cond"]
               and a["role"] != "threshold"][::-1]
    if earlier and (found is None or any(found[0] <= a["_at"] < found[1] for a in earlier)):
        return earlier[-1]["_cond"], earlier[-1]["per"]
    if found is None and weak:
        p_start, _ = periods.around(f.start, f.end)
        if p_start < s_start:
            found = find_condition(t, p_start, c_start, f.start, None)
    return found, []


def extract_amounts(norm: Normalized, quantities: list[Quantity], used: set[int], *, in_measure
                    ) -> tuple[list[dict], list[dict], list[dict]]:
    """Amount records, condition records and warnings (grants without a figure)."""
    t = norm.text
    sentences = Boundaries(t, SENTENCE_END)
    clauses = Boundaries(t, CLAUSE_END)
    periods = Boundaries(t, PERIOD_END)
    figures = _figures(t, quantities, used)
    starts = [f.start for f in figures]
    amounts: list[dict] = []
    conditions: dict[tuple, dict] = {}
    prev_end_in_sentence: dict[int, int] = {}
    list_bound: dict[int, str] = {}
    for fi, f in enumerate(figures):
        s_start, s_end = sentences.around(f.start, f.end)
        c_start, c_end = clauses.around(f.start, f.end)
        clause = t[c_start:c_end]
        sentence = t[s_start:s_end]
        window_start = max(c_start, prev_end_in_sentence.get(s_start, s_start))
        window = t[window_start:f.start]
        if window_start > c_start:  # 按不高于3%的费率上限及保费的80%: 上限 belongs to the figure before 及
            joint = max(window.rfind(c) for c in _JOINTS)
            if joint >= 0:
                window_start += joint + 1
                window = window[joint + 1:]
        prev_end_in_sentence[s_start] = f.end
        after = t[f.end:c_end]
        is_ratio = f.ratio is not None
        threshold = next((b for w, b in _A["threshold_after"] if after.lstrip().startswith(w)), None)
        table = _table_context(t, f.start)
        header_grant = bool(table) and bool(_TABLE_GRANT.search(table[0]))
        granted = header_grant or bool(_GRANTED.search(clause))
        floor_or_cap = "min" if _last(_THRESHOLD_MIN, window) else "max" if _last(_THRESHOLD_MAX, window) else None
        max_only = bool(_last(_MAX_ONLY, window))
        no_grant = not _SUBSIDY.search(sentence)
        sized = _NOT_BUDGET.sub("", clause)  # 规模以上企业 names no fund
        budget_cue = bool(_BUDGET.search(sized)) and "给予" not in clause and not _SHARE.search(clause)
        government = budget_cue and (bool(_GOVERNMENT.search(clause)) or (
            bool(_GOVERNMENT.search(t, s_start, f.start)) and bool(_FUND_SIZE.search(sized))))
        growth = bool(_GROWTH.search(window))  # 增长超过20%: a change of someone's figure
        rate = bool(_RATE_BEFORE.search(window))  # 按研发费用的20%: the rate of a grant
        eligibility = None
        qualified = None if max_only else _qualifies_noun(after)
        gives_figure = (lambda a, b: _holds_figure(starts, figures, a, b)) if not rate else (lambda a, b: False)
        if (floor_or_cap or not is_ratio or (threshold or growth) and not rate) and _in_qualifier(
                t, s_start, f.end, s_end, figure_after=gives_figure):
            eligibility = floor_or_cap or threshold or "exact"  # 对投资规模达到3000万元、期限满两年的，给予…
        elif qualified:
            eligibility = qualified  # 单户金额在100万元及以下的再担保业务
        elif ((floor_or_cap or threshold or growth) and not rate and not max_only
              and not _GOVERNMENT.search(t, s_start, f.start) and not _SHARE.search(sentence)
              and _in_qualifier(t, s_start, f.end, s_end, opener=False)):
            eligibility = floor_or_cap or threshold or "exact"  # 企业营业收入超过1亿元的，给予…
        elif no_grant and not government:
            # a requirement or a condition list: 年销售额在3000万元以下, 子基金规模不低于1000万元
            eligibility = floor_or_cap or threshold or (
                "max" if _last(_MAX, window) else "min" if _last(_MIN, window) else None)
        # a percent that is a selection share or a rate, not a grant
        fee_cut = is_ratio and not eligibility and bool(_FEE_CUT.search(window)) and bool(_FEE.search(clause))
        if is_ratio and not granted and not eligibility and not fee_cut:
            continue
        grant_after = any(w in t[f.end:s_end] for w in ("给予", "补助", "奖励", "奖补", "支持"))
        if eligibility:
            role, threshold = "threshold", eligibility
        elif fee_cut:
            role = "subsidy"  # 在原收费标准基础上下调30%: a fee cut granted to whoever pays the fee
        elif budget_cue:
            if growth and is_ratio and not government:
                continue  # 研发经费投入年均增长12%: someone's growth, no outlay
            role = "budget"
        elif threshold and grant_after and not is_ratio:
            role = "threshold"
        elif header_grant or _SUBSIDY.search(sentence):
            role = "subsidy"
        else:
            continue
        bound = f.bound
        if bound is None:
            if _last(_MAX, window):
                bound = "max"
            elif _last(_MIN, window):
                bound = "min"
            elif role == "threshold":
                bound = threshold
            elif after.lstrip().startswith(("以内", "封顶")):
                bound = "max"
            elif threshold and role == "budget":
                bound = threshold  # 财政科技投入应占…百分之一点二以上
            elif table and _last(_MAX, table[0]):
                bound = "max"  # a 最高额度 column
        raised = None
        if bound is None and role == "subsidy" and _RAISE_CAP.search(window):
            p_start, _ = periods.around(f.start, f.end)
            raised = next((a for a in reversed(amounts[-_SAME_SENTENCE:]) if a["_at"] >= p_start
                           and a["role"] == "subsidy" and a["bound"] == "max"), None)
            if raised:
                bound = "max"
        in_list = fi > 0 and _listed(t, figures[fi - 1], f)
        distributive = _A["distribute"] in t[s_start:f.start]
        if bound is None and in_list and distributive:
            bound = list_bound.get(s_start)
        bound = bound or "exact"
        if not in_list:
            list_bound[s_start] = bound
        per = _per(t[c_start:f.start])
        if role == "threshold":
            per = [k for k in per if k == "entity"]  # 单户金额…以下: whose figure it is; 年度营业收入 is no rate
        else:
            tail = after
            k = fi
            while k + 1 < len(figures) and _listed(t, figures[k], figures[k + 1]):
                k += 1  # 分别给予50万元、20万元一次性奖补: what follows the list applies to each item
            if k > fi:
                tail = t[figures[k].end:clauses.around(figures[k].start, figures[k].end)[1]]
            per = sorted({*per, *(kind for pattern, kind in _PER_AFTER for x in {after, tail} if pattern.search(x)),
                          *(["once"] if _ONCE_AFTER.search(after) or _ONCE_AFTER.search(tail) else [])},
                         key=_PER_ORDER.index)
        period = None if role == "threshold" else _period(t[c_start:f.start], after)
        prev = clauses.previous(c_start)
        if role != "threshold" and prev and prev[0] >= s_start:
            before = t[prev[0]:prev[1]]
            if not set(per) - {"once"} and not _holds_figure(starts, figures, *prev):
                if t[prev[1]:prev[1] + 1] in ":：":
                    period = period or _period(before, "")  # 每人每月补贴标准为：本科1000元
                per = sorted({*per, *_per(before)}, key=_PER_ORDER.index)  # 每引进一家…，给予…一次性奖励
            elif "year" not in per and _YEARLY_ROUND.search(before):
                per = sorted({*per, "year"}, key=_PER_ORDER.index)  # 每年遴选(30%的)…，每家给予…
        span_start = f.start
        hit = _last(_MAX if bound == "max" else _MIN, window) if bound in ("max", "min") else None
        if hit:
            span_start = window_start + hit.start()
        span_end = f.end
        if threshold and role == "threshold" and any(after.lstrip().startswith(w) for w, _ in _A["threshold_after"]):
            span_end = f.end + (len(after) - len(after.lstrip())) + len(next(w for w, _ in _A["threshold_after"]
                                                                              if after.lstrip().startswith(w)))
        span = norm.span(span_start, span_end)
        rec = {"id": f"a{len(amounts) + 1}", "span": span, "measure_id": in_measure(span[0]), "role": role,
               "bound": bound, "value_yuan": f.value_yuan, "ratio": f.ratio,
               "basis": (_fee_basis(clause) if fee_cut else None if growth else _basis(t[s_start:f.start]))
               if is_ratio else None,
               "per": per, "per_period": period, "condition_id": None, "_cond": None, "_at": f.start}
        if role == "threshold":
            # a threshold qualifies others; its own condition is only a separate 的， clause before it (fines)
            found = conditional_clause(t, s_start, f.start)
            p_start, _ = periods.around(f.start, f.end)
            if p_start < s_start and _FINE in t[f.end:s_end] and (found is None or _ESCALATION.match(t, found[0])):
                # a fine whose ；-sentence names no offence, or only escalates one (逾期未改正的), is qualified by
                # the offence that opens its 。-sentence: 对…的，由…追回；…并处…罚款 / …的，责令改正；逾期未改正的，处…
                opening = conditional_clause(t, p_start, sentences.around(p_start, p_start)[1])
                if opening:
                    found = (opening[0], found[1]) if found else opening
            rec["_cond"] = found if found and found[1] <= c_start else None
        else:
            rec["_cond"], shared_per = _condition(t, s_start, c_start, f, clauses, periods, amounts, starts, figures,
                                                  role)
            grant = next((a for a in reversed(amounts[-_SAME_SENTENCE:]) if s_start <= a["_at"] < f.start
                          and a["role"] == "subsidy"), None)
            prev_clause = clauses.previous(c_start)
            if (grant and role == "subsidy" and bound == "max" and _MAX.match(clause, _CAP_SUBJECT.match(clause).end())
                    and prev_clause and prev_clause[0] <= grant["_at"] < prev_clause[1]):
                shared_per = [*shared_per, *grant["per"]]  # …给予一次性奖励，最高不超过500万元: the cap is once too
            if shared_per:
                rec["per"] = sorted({*rec["per"], *shared_per}, key=_PER_ORDER.index)
            if rec["_cond"] is None and table and table[1] and not t[slice(*table[1])].strip().isdigit():
                rec["_cond"] = table[1]  # the row's first cell names what the row supports
            elif fee_cut and rec["_cond"] and rec["_cond"][0] < c_start - 1 < rec["_cond"][1]:
                rec["_cond"] = (rec["_cond"][0], c_start - 1)  # 对X，在原收费标准基础上下调30%: X
        if raised and not rec["per"]:
            rec["per"], rec["per_period"] = list(raised["per"]), rec["per_period"] or raised["per_period"]
        if "once" in rec["per"]:
            rec["per_period"] = None  # a one-off grant recurs over no period
        amounts.append(rec)

    _attach_conditions(norm, amounts, conditions, in_measure)
    warnings = [warning("W002", span=norm.span(*m.span()), phrase=compact(norm.original_text(*m.span())))
                for m in _NO_FIGURE.finditer(t)]
    for a in amounts:
        a.pop("_cond", None)
        a.pop("_at", None)
    return amounts, list(conditions.values()), warnings


def _attach_conditions(norm: Normalized, amounts: list[dict], conditions: dict, in_measure) -> None:
    """One condition record per distinct clause; 分别 lists get one per item."""
    t = norm.text
    groups: dict[tuple[int, int], list[dict]] = {}
    for a in amounts:
        if a["_cond"]:
            groups.setdefault(a["_cond"], []).append(a)
    for (a0, b0), members in groups.items():
        base = compact(norm.original_text(a0, b0))
        distributive = [m for m in members if _A["distribute"] in t[b0:min(m["_at"], b0 + REACH)]]
        texts = None
        if len(distributive) >= 2:
            texts = distribute(base, len(distributive))
        for m in members:
            text = base
            if texts and m in distributive:
                text = texts[distributive.index(m)]
            key = (a0, b0, text)
            if key not in conditions:
                span = norm.span(a0, b0)
                conditions[key] = {"id": f"c{len(conditions) + 1}", "span": span, "measure_id": in_measure(span[0]),
                                   "text": text, "amount_ids": []}
            conditions[key]["amount_ids"].append(m["id"])
            m["condition_id"] = conditions[key]["id"]

