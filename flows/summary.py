"""The summary a reviewer reads first: what a diff changed, in the policy's own words.

`summarize(d)` gives items `{kind, text, title, change_indexes, anchor}`: `text` is one Chinese line,
`title` the same facts with the contract's English field names (for a hover), `change_indexes` the
changes of `d["changes"]` the line covers (every change is covered by exactly one item but the
counts), `anchor` `change-<first index>` (None for the counts). Items come in reading order: counts,
metadata, renumbering runs (one line per `group`), money, new and dropped measures (with what they
hold), targets, conditions, units, reworded measures, sections. `plain_lines` and `markdown_lines`
render them for a console and for Markdown.
"""
from __future__ import annotations

from collections import Counter

KINDS = ("counts", "metadata", "renumber", "amount", "measure", "target", "condition", "unit", "text", "section")
ENTITY_CN = {"metadata": "元数据", "section": "章节", "measure": "措施", "target": "目标", "amount": "金额",
             "unit": "责任单位", "condition": "条件"}
CHANGE_CN = {"added": "新增", "removed": "删除", "modified": "修改"}
METADATA_CN = {"title": "标题", "notice_title": "通知标题", "issuer": "发文机关", "doc_number": "发文字号",
               "status": "状态", "region": "地区", "period": "实施期", "issue_date": "成文日期", "cited": "引用文件"}
STATUS_CN = {"draft": "征求意见稿", "final": "正式稿"}
ROLE_CN = {"subsidy": "补助", "budget": "资金规模", "threshold": "门槛", "responsible": "责任单位",
           "lead": "牵头单位", "cooperating": "配合单位"}
BOUND_CN = {"max": "最高", "min": "最低", "exact": ""}
PER_CN = {"project": "每个项目", "entity": "每家", "person": "每人", "year": "每年", "once": "一次性"}
PERIOD_CN = {"day": "每日", "month": "每月", "quarter": "每季度", "year": "每年"}
MAX_CONDITION = 60  # characters of a condition quoted in a line
MAX_LISTED = 3  # records named in a new or dropped measure's line


def change_anchor(i: int) -> str:
    """The anchor of change `i` (its index in `d["changes"]`)."""
    return f"change-{i}"


def _num(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


def yuan(v) -> str:
    """`500000` -> `50万元`, `150000000` -> `1.5亿元`."""
    if v is None:
        return "—"
    if v >= 100_000_000:
        return _num(v / 100_000_000) + "亿元"
    if v >= 10_000:
        return _num(v / 10_000) + "万元"
    return _num(v) + "元"


def figure(r: dict) -> str:
    """An amount as a reader says it: `最高50万元`, `30%`."""
    value = yuan(r["value_yuan"]) if r.get("value_yuan") is not None else (
        _num(r["ratio"] * 100) + "%" if r.get("ratio") is not None else "—")
    return BOUND_CN.get(r.get("bound") or "", "") + value


def target_value(value, unit) -> str:
    if value is None:
        return "—"
    return yuan(value) if unit == "元" else _num(value) + (unit or "")


def _q(text) -> str:
    text = str(text or "")
    return "「" + (text if len(text) <= MAX_CONDITION else text[:MAX_CONDITION] + "…") + "」"


def _en(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "null" if v is None else str(v)


def _where(c: dict) -> str:
    """`措施 8 → 9「强化高新技术企业培育」`; empty outside any measure."""
    a, b = c.get("measure_from"), c.get("measure_to")
    if a is None and b is None:
        return ""
    label = f"{a} → {b}" if a is not None and b is not None and a != b else (b if b is not None else a)
    title = c.get("measure_title_to") or c.get("measure_title_from")
    return f"措施 {label}" + (_q(title) if title else "")


def _where_en(c: dict) -> str:
    keys = ("measure_from", "measure_to", "measure_title_from", "measure_title_to")
    return " ".join(f"{k}={_en(c[k])}" for k in keys if c.get(k) is not None)


def _item(kind: str, text: str, title: str, indexes: list[int]) -> dict:
    indexes = sorted(indexes)
    return {"kind": kind, "text": text, "title": title, "change_indexes": indexes,
            "anchor": change_anchor(indexes[0]) if indexes else None}


def _inside(span, outer) -> bool:
    return bool(span and outer) and outer[0] <= span[0] and span[1] <= outer[1]


def _record_key(c: dict):
    return (tuple(c.get("from_span") or ()), tuple(c.get("to_span") or ()))


def _counts(changes: list[dict]) -> dict:
    n = Counter()
    for c in changes:
        if c["entity"] == "measure" and c["change"] == "modified":
            n[("measure", {"label": "重新编号", "text": "正文修改", "title": "标题修改"}.get(c.get("field"), "修改"),
               c.get("field"))] += 1
        else:
            n[(c["entity"], CHANGE_CN[c["change"]], c["change"])] += 1
    parts, en = [], []
    for entity in ENTITY_CN:
        here = [(k, v) for k, v in n.items() if k[0] == entity]
        if here:
            parts.append(f"{ENTITY_CN[entity]} " + "、".join(f"{k[1]} {v}" for k, v in here))
            en.append(f"{entity}: " + ", ".join(f"{k[2]} {v}" for k, v in here))
    text = f"共 {len(changes)} 项变更：" + "；".join(parts) if changes else "无变更：两个版本相同"
    return _item("counts", text, f"changes {len(changes)}" + ("; " + "; ".join(en) if en else ""), [])


def _metadata(changes: list[tuple[int, dict]]) -> list[dict]:
    if not changes:
        return []
    parts, en = [], []
    for _, c in changes:
        f = c.get("field")
        va, vb = c.get("from"), c.get("to")
        if f == "status":
            va, vb = STATUS_CN.get(va, va), STATUS_CN.get(vb, vb)
        show = lambda v: ("—" if v in (None, [], "") else  # noqa: E731
                          "、".join(map(str, v)) if isinstance(v, list) else str(v))
        parts.append(f"{METADATA_CN.get(f, f)} {show(va)} → {show(vb)}")
        en.append(f"field={f} from={_en(c.get('from'))} to={_en(c.get('to'))}")
    return [_item("metadata", "元数据：" + "；".join(parts), "metadata: " + "; ".join(en), [i for i, _ in changes])]


def _renumber(changes: list[tuple[int, dict]]) -> list[dict]:
    runs: dict = {}
    for i, c in changes:
        runs.setdefault(c.get("group") or f"change-{i}", []).append((i, c))
    out = []
    for group, members in runs.items():
        a = [str(c.get("from")) for _, c in members]
        b = [str(c.get("to")) for _, c in members]
        span = lambda xs: xs[0] if len(xs) == 1 else f"{xs[0]}–{xs[-1]}"  # noqa: E731
        out.append(_item("renumber", f"措施 {span(a)} → {span(b)} 重新编号" + (f"（{len(a)} 条）" if len(a) > 1 else ""),
                         f"measure field=label from={span(a)} to={span(b)} group={group} ({len(a)} changes)",
                         [i for i, _ in members]))
    return out


def _by_record(changes: list[tuple[int, dict]]) -> list[list[tuple[int, dict]]]:
    """Changes of one record (same spans) together, in order of their first change."""
    recs: dict = {}
    for i, c in changes:
        key = _record_key(c) if c["change"] == "modified" else ("single", i)
        recs.setdefault(key, []).append((i, c))
    return list(recs.values())


def _join(*parts) -> str:
    return " ".join(p for p in parts if p)


def _amount(members: list[tuple[int, dict]]) -> dict:
    first = members[0][1]
    cond = first.get("condition")
    cond_text = (_q(first["condition_from"]) + " → " + _q(cond)) if first.get("condition_from") else (
        _q(cond) if cond else "（未识别条件）")
    role = ROLE_CN.get(first.get("role"), first.get("role") or "")
    en = f"amount role={_en(first.get('role'))} condition={_en(cond)}"
    if first["change"] != "modified":
        head = _join("金额", CHANGE_CN[first["change"]], _where(first))
        text = f"{head}：" + _join(cond_text + role, figure(first))
        en += f" change={first['change']} bound={_en(first.get('bound'))} value_yuan={_en(first.get('value_yuan'))} " \
              f"ratio={_en(first.get('ratio'))}"
    else:
        before = {k: first.get(k) for k in ("bound", "value_yuan", "ratio", "role", "per", "per_period")}
        after = dict(before)
        for _, c in members:
            before[c["field"]] = c.get("from")
            after[c["field"]] = c.get("to")
            en += f" field={c['field']} from={_en(c.get('from'))} to={_en(c.get('to'))}"
        if before["role"] != after["role"]:
            role = f"{ROLE_CN.get(before['role'], before['role'])} → {ROLE_CN.get(after['role'], after['role'])}"
        text = f"{_join('金额', _where(first))}：" + _join(cond_text + role, f"{figure(before)} → {figure(after)}")
        if sorted(before["per"] or []) != sorted(after["per"] or []):
            per = lambda p: "、".join(PER_CN.get(x, x) for x in p or []) or "—"  # noqa: E731
            text += f"（计量 {per(before['per'])} → {per(after['per'])}）"
        if before["per_period"] != after["per_period"]:
            text += f"（周期 {PERIOD_CN.get(before['per_period'], '—')} → {PERIOD_CN.get(after['per_period'], '—')}）"
    return _item("amount", text, _join(en, _where_en(first)), [i for i, _ in members])


def _target(members: list[tuple[int, dict]]) -> dict:
    first = members[0][1]
    where = _where(first)
    name = _q(first.get("indicator")) + (f"（{first['scope']}）" if first.get("scope") else "") + (
        f"{first['year']}年" if first.get("year") else "")
    en = f"target indicator={_en(first.get('indicator'))} year={_en(first.get('year'))}"
    if first["change"] != "modified":
        text = f"目标 {CHANGE_CN[first['change']]} {name}：{target_value(first.get('value'), first.get('unit'))}"
        en += f" change={first['change']} value={_en(first.get('value'))} unit={_en(first.get('unit'))}"
    else:
        parts = []
        for _, c in members:
            f, va, vb = c["field"], c.get("from"), c.get("to")
            if f in ("value", "value_max"):
                parts.append(f"{target_value(va, first.get('unit'))} → {target_value(vb, first.get('unit'))}")
            else:
                parts.append(f"{f} {_en(va)} → {_en(vb)}")
            en += f" field={f} from={_en(va)} to={_en(vb)}"
        text = f"目标 {name}：" + "；".join(parts)
    return _item("target", text + (f"（{where}）" if where else ""), _join(en, _where_en(first)),
                 [i for i, _ in members])


def _gated(c: dict) -> str:
    amounts = c.get("amounts") or []
    return ("（限定 " + "、".join(f"{ROLE_CN.get(a.get('role'), '')}{a.get('text') or figure(a)}" for a in amounts)
            + "）") if amounts else ""


def _condition(i: int, c: dict) -> dict:
    where = _where(c)
    if c["change"] == "modified":
        text = f"{_join('条件 改写', where)}：{_q(c.get('from'))} → {_q(c.get('to'))}{_gated(c)}"
        en = f"condition field=text from={_en(c.get('from'))} to={_en(c.get('to'))}"
    else:
        text = f"{_join('条件', CHANGE_CN[c['change']], where)}：{_q(c.get('text'))}{_gated(c)}"
        en = f"condition change={c['change']} text={_en(c.get('text'))}"
    return _item("condition", text, f"{en} amount_ids={','.join(c.get('amount_ids') or [])} {_where_en(c)}", [i])


def _units(changes: list[tuple[int, dict]]) -> list[dict]:
    per: dict = {}
    for i, c in changes:
        per.setdefault((c.get("measure_from"), c.get("measure_to"), c.get("measure_title_to")), []).append((i, c))
    out = []
    for members in per.values():
        parts, en = [], []
        for _, c in members:
            role = ROLE_CN.get(c.get("role"), c.get("role"))
            if c["change"] == "modified":
                parts.append(f"{c.get('name')} {ROLE_CN.get(c.get('from'), c.get('from'))} → {role}")
                en.append(f"name={c.get('name')} field=role from={c.get('from')} to={c.get('to')}")
            else:
                parts.append(f"{CHANGE_CN[c['change']]} {c.get('name')}（{role}）")
                en.append(f"{c['change']} name={c.get('name')} role={c.get('role')}")
        first = members[0][1]
        out.append(_item("unit", f"{_join('责任单位', _where(first))}：" + "；".join(parts),
                         "unit " + "; ".join(en) + " " + _where_en(first), [i for i, _ in members]))
    return out


def _measure(i: int, c: dict, inner: list[tuple[int, dict]]) -> dict:
    """A new or dropped measure with its title and what it holds (amounts with their conditions, targets)."""
    label = c.get("measure_to") if c["change"] == "added" else c.get("measure_from")
    name = _q(c.get("title")) if c.get("title") else _q((c.get("excerpt") or "")[:20] + "…")
    held = []
    amounts = [x for _, x in inner if x["entity"] == "amount"]
    targets = [x for _, x in inner if x["entity"] == "target"]
    for a in amounts[:MAX_LISTED]:
        cond = f"（{a['condition']}）" if a.get("condition") else ""
        held.append(f"{ROLE_CN.get(a.get('role'), '')} {figure(a)}{cond}")
    for t in targets[:MAX_LISTED]:
        held.append(f"目标 {t.get('indicator')} {target_value(t.get('value'), t.get('unit'))}")
    more = len(amounts) - min(len(amounts), MAX_LISTED) + len(targets) - min(len(targets), MAX_LISTED)
    text = f"{CHANGE_CN[c['change']]} 措施 {label}{name}" + ("：" + "；".join(held) + (f" 等 {more} 项" if more else "")
                                                         if held else "")
    kinds = Counter(f"{x['entity']} {x['change']}" for _, x in inner)
    en = (f"measure change={c['change']} {'measure_to' if c['change'] == 'added' else 'measure_from'}={label} "
          f"title={_en(c.get('title'))}" + "".join(f"; {k} ×{v}" for k, v in kinds.items()))
    return _item("measure", text, en, [i] + [j for j, _ in inner])


def summarize(d: dict) -> list[dict]:
    """The reviewer's summary of diff `d` as items (see the module docstring), in reading order."""
    changes = d.get("changes") or []
    indexed = list(enumerate(changes))
    taken: set[int] = set()
    # records inside an added or dropped measure are told on that measure's line
    whole = [(i, c) for i, c in indexed if c["entity"] == "measure" and c["change"] != "modified"]
    held: dict[int, list[tuple[int, dict]]] = {i: [] for i, _ in whole}
    for i, c in indexed:
        if c["entity"] in ("amount", "target", "unit", "condition") and c["change"] != "modified":
            side = "to_span" if c["change"] == "added" else "from_span"
            for k, m in whole:
                if m["change"] == c["change"] and _inside(c.get(side), m.get(side)):
                    held[k].append((i, c))
                    taken.add(i)
                    break
    rest = [(i, c) for i, c in indexed if i not in taken]
    of = lambda entity: [(i, c) for i, c in rest if c["entity"] == entity]  # noqa: E731
    items = {k: [] for k in KINDS}
    items["counts"] = [_counts(changes)]
    items["metadata"] = _metadata(of("metadata"))
    items["renumber"] = _renumber([(i, c) for i, c in of("measure") if c.get("field") == "label"])
    amount_items = [_amount(m) for m in _by_record(of("amount"))]
    items["amount"] = amount_items
    items["measure"] = [_measure(i, c, held[i]) for i, c in whole]
    items["target"] = [_target(m) for m in _by_record(of("target"))]
    named = {(c.get("measure_to"), c.get("condition")) for _, c in of("amount") if c["change"] == "added"} | {
        (c.get("measure_from"), c.get("condition")) for _, c in of("amount") if c["change"] == "removed"}
    for i, c in of("condition"):
        side = "measure_to" if c["change"] == "added" else "measure_from"
        if c["change"] != "modified" and (c.get(side), c.get("text")) in named:
            # its amount's line already quotes it: the change joins that line
            owner = next(it for it in amount_items if any(
                changes[j].get("condition") == c.get("text") and changes[j].get(side) == c.get(side)
                for j in it["change_indexes"]))
            owner["change_indexes"] = sorted(owner["change_indexes"] + [i])
            continue
        items["condition"].append(_condition(i, c))
    items["unit"] = _units(of("unit"))
    told: dict = {}  # (measure_from, measure_to) -> [(change, item)] of record lines
    for it in items["amount"] + items["target"] + items["condition"] + items["unit"]:
        for j in it["change_indexes"]:
            told.setdefault((changes[j].get("measure_from"), changes[j].get("measure_to")), []).append((changes[j], it))
    for i, c in of("measure"):
        if c.get("field") == "text":
            owner = next((it for r, it in told.get((c.get("measure_from"), c.get("measure_to")), [])
                          if _inside(r.get("from_span"), c.get("from_span"))
                          and _inside(r.get("to_span"), c.get("to_span"))), None)
            if owner is not None:  # the record lines say what changed in it
                owner["change_indexes"] = sorted(owner["change_indexes"] + [i])
                continue
            items["text"].append(_item("text", f"正文修改 {_where(c)}", f"measure field=text {_where_en(c)}", [i]))
        elif c.get("field") == "title":
            items["text"].append(_item("text", f"标题修改 {_where(c)}：{_q(c.get('from'))} → {_q(c.get('to'))}",
                                       f"measure field=title from={_en(c.get('from'))} to={_en(c.get('to'))} "
                                       f"{_where_en(c)}", [i]))
    sections = of("section")
    if sections:
        parts, en = [], []
        for _, c in sections:
            if c["change"] == "modified":
                parts.append(f"{c.get('field')} {_en(c.get('from'))} → {_en(c.get('to'))}")
            else:
                parts.append(f"{CHANGE_CN[c['change']]} {c.get('label') or ''}{_q(c.get('title'))}")
            en.append(f"{c['change']} field={_en(c.get('field'))} label={_en(c.get('label'))} "
                      f"title={_en(c.get('title'))}")
        items["section"] = [_item("section", "章节：" + "；".join(parts), "section: " + "; ".join(en),
                                  [i for i, _ in sections])]
    for it in (it for k in KINDS for it in items[k] if it["change_indexes"]):
        it["anchor"] = change_anchor(it["change_indexes"][0])  # record lines gained earlier indexes
    return [it for k in KINDS for it in items[k]]


def plain_lines(items: list[dict]) -> list[str]:
    """One console line per item (no markup; the caller escapes control characters)."""
    return [" ".join(it["text"].split()) for it in items]


def markdown_lines(items: list[dict]) -> list[str]:
    """One Markdown list item per item; the text escaped (policy text is untrusted)."""
    from policyflow.flows.report import md_text

    return [f"- {md_text(it['text'])}" for it in items]
