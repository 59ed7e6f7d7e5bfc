"""Document metadata: title, issuer, doc_number, status, region, period, issue_date, cited.

Read from the header block (lines before the body), the closing signature block, the
whole text for validity clauses and citations, and an optional portal table (HTML pages).
"""
from __future__ import annotations

import csv
import io
from functools import lru_cache

import regex

from policyflow.extractors import lexicon
from policyflow.extractors.normalize import TRANSLATE, Normalized, compact
from policyflow.extractors.numbers import parse_int
from policyflow.extractors.anatomy import (Line, anatomy, closing_start, is_date_line, is_org_line, issued_policy, lines,
                                order_number, split_orgs, tidy_doc_number)

_M = lexicon.patterns()["metadata"]
_DATE = lexicon.compile_(_M["date"])
_ISO_DATE = lexicon.compile_(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})")
_DOC_NUMBER = lexicon.DOC_NUMBER
_DOC_NUMBER_LINE = lexicon.compile_(r"^\s*%s\s*$" % _M["doc_number"])
_BRACKETED_NUMBER = lexicon.compile_(r"^[(（]\s*%s\s*[)）]$" % _M["doc_number"])
_STATUS = lexicon.STATUS_MARK
_STATUS_LINE = lexicon.compile_(r"^\s*%s\s*$" % _M["status_mark"])
_PERIOD_TITLE = lexicon.compile_(_M["period_title"])
_PERIOD_PLAIN = lexicon.compile_(_M["period_plain"])
_VALID_FROM = lexicon.compile_(_M["valid_from"])
_VALID_UNTIL = lexicon.compile_(_M["valid_until"])
_VALID_YEARS = lexicon.compile_(_M["valid_years"])
_VALID_FROM_ISSUE = lexicon.compile_(_M["valid_from_issue"])
_CITE = lexicon.compile_(_M["cite"])
_CITE_BEFORE = lexicon.compile_(_M["cite_before"])
_CITE_NOT_BEFORE = lexicon.compile_(_M["cite_not_before"])
_CITE_AFTER = lexicon.compile_(_M["cite_after"])
_CITE_NUMBER = lexicon.compile_(_M["cite_number"])
_CITE_SHORT_NAME = lexicon.compile_(_M["cite_short_name"])
_ISSUER = r"(?:%s)%s" % (_M["region"], _M["issuer_suffix"])
_LEADING_ISSUER = lexicon.compile_(r"^(?P<issuer>%s(?:(?:[、和与]|[ \t]+)%s)*)(?:[ \t]+|(?=关于|印发|转发))" % (_ISSUER, _ISSUER))
_ISSUER_SPLIT = lexicon.compile_(r"[ \t]+|[、和与](?=%s)" % _ISSUER)
_REGION_PREFIX = lexicon.compile_(r"^%s" % _M["region"])
_TITLE_END = lexicon.TITLE_END
_HISTORY = lexicon.compile_(_M["law_history_parts"])
_PROMULGATION = lexicon.compile_(_M["promulgation_number"])
_FIVE_YEAR = lexicon.compile_(_M["five_year_plan"])
_NAMED = lexicon.compile_(r"《[^《》]{2,80}》")
_PLACEHOLDER = lexicon.compile_(r"无|暂无|空|[-—/／]+|null|none|N/?A", regex.I)
_SEVERAL = lexicon.compile_(_M["several_documents"])


@lru_cache(maxsize=1)
def regions() -> dict[str, tuple[str, str]]:
    """Gazetteer name -> (level, parent); empty when the data file is absent."""
    try:
        rows = csv.reader(io.StringIO(lexicon.data_text("regions.tsv")), delimiter="\t")
    except FileNotFoundError:
        return {}
    return {r[0]: (r[1], r[2]) for r in rows if len(r) >= 3 and r[0] and not r[0].startswith("#")}


def parse_date(s: str) -> str | None:
    """'2023年6月30日' / '二〇二三年六月三十日' / '2023-06-30' -> '2023-06-30'."""
    m = _DATE.search(s)
    if m:
        y, mo, d = (parse_int(m.group(k)) for k in ("y", "m", "d"))
    else:
        m = _ISO_DATE.search(s)
        if not m:
            return None
        y, mo, d = (int(g) for g in m.groups())
    if y is None or mo is None or d is None or not (1 <= mo <= 12 and 1 <= d <= 31 and 1900 <= y <= 2100):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _header(body_lines: list[Line]) -> list[Line]:
    """Lines before the body: title, status mark, doc number, issuer, date."""
    out = []
    for line in body_lines:
        c = compact(line.text)
        if lexicon.MARKER_START.match(line.text) or c.endswith((":", "：")) or "。" in c or len(c) > 80:
            break
        out.append(line)
    return out


def region_of(name: str | None) -> str | None:
    """The region a name starts with: '济南市科学技术局' -> '济南市', '威海市文登区人民政府' -> '威海市文登区'."""
    if not name:
        return None
    c = compact(name)
    gaz = regions()
    if gaz:
        best = None
        for n in range(min(len(c), 12), 1, -1):
            if c[:n] in gaz:
                best = c[:n]
                break
        if best is None:
            return None
        rest = c[len(best):]
        m = lexicon.compile_(r"^[\p{Han}]{1,6}?(?:区|县|市|旗)(?![\p{Han}]{0,2}(?:局|厅|委|办))").match(rest)
        if m and gaz.get(best, ("",))[0] == "prefecture" and not rest.startswith(("市", "区")):
            sub = m.group(0)
            if not any(w in sub for w in ("高新", "开发", "新区", "园区", "管委")):
                return best + sub
        return best
    m = _REGION_PREFIX.match(c)
    return m.group("region") if m else None


def _title_and_issuer(norm: Normalized, header: list[Line]) -> tuple[str | None, str | None, bool]:
    """Title as printed (status mark and leading issuer removed), leading issuer, draft flag."""
    parts: list[str] = []
    draft = False
    prev_end = None
    issuer = None
    for line in header:
        c = compact(line.text)
        if _STATUS_LINE.match(c):
            draft = True
            if parts:
                break
            continue
        if _DOC_NUMBER_LINE.match(c) or is_date_line(c):
            if parts:
                break
            continue
        if parts and (_TITLE_END.search(compact(parts[-1])) or prev_end is not None and line.start - prev_end > 2):
            break
        if not parts and is_org_line(c) and not _TITLE_END.search(c):
            issuer = c  # an issuer line printed above the title
            prev_end = line.end
            continue
        parts.append(norm.printed(line.start, line.end).strip())
        prev_end = line.end
    if not parts:
        return None, issuer, draft
    raw = "".join(parts)
    if _STATUS.search(raw):
        draft = True
        raw = _STATUS.sub("", raw)
    lead, raw = strip_issuer(raw)
    return compact(raw) or None, lead or issuer, draft


def strip_issuer(s: str) -> tuple[str | None, str]:
    """A title's leading issuer (joint issuers joined with 、) and the title without it; (None, s)
    when no issuer leads it or too little would be left."""
    m = _LEADING_ISSUER.match(s)
    if not m or len(compact(s[m.end():])) <= 4:
        return None, s
    return "、".join(compact(p) for p in _ISSUER_SPLIT.split(m.group("issuer")) if compact(p)), s[m.end():]


def _org_names(norm: Normalized, line: Line) -> list[str]:
    """Issuer names on a signature line; joint issuers may share one line or run together."""
    return split_orgs(norm.printed(line.start, line.end)) or [compact(line.text)]


def _signature_block(norm: Normalized, body_end: int) -> list[Line]:
    """An issuer line followed by a date line inside the text (a notice signed before its attachment)."""
    body = lines(norm, 0, body_end)
    for i, line in enumerate(body[1:], 1):
        if is_date_line(line.text) and is_org_line(body[i - 1].text):
            j = i - 1
            while j > 0 and is_org_line(body[j - 1].text):
                j -= 1
            return body[j:i + 1]
    return []


def _period(title: str | None, text: str, issue_date: str | None) -> dict | None:
    """A plan period printed in the title, else a validity clause (start date plus duration or end date)."""
    if title:
        m = _PERIOD_TITLE.search(title) or _PERIOD_PLAIN.search(title)
        if m:
            a, b = int(m.group("a")), int(m.group("b"))
            if 1900 < a <= b < 2100:
                return {"start": a, "end": b}
    start = _VALID_FROM.search(text)
    start_date = parse_date(start.group(0)) if start else None
    if start_date is None and _VALID_FROM_ISSUE.search(text) and issue_date:
        start_date = issue_date
    if start_date is None:
        return None
    year, rest = int(start_date[:4]), start_date[5:]
    until = _VALID_UNTIL.search(text)
    if until and parse_int(until.group("y")):
        return {"start": year, "end": parse_int(until.group("y"))}
    years = _VALID_YEARS.search(text)
    n = parse_int(years.group("n")) if years else None
    if n:
        return {"start": year, "end": year + n - (1 if rest == "01-01" else 0)}  # ends the day before
    return None


def _cited(norm: Normalized, own_title: str | None) -> list[dict]:
    """Documents the text relies on as existing: 根据《…》, 按照…印发的《…》（…号）, 纳入《…目录》, 《…》同时废止.

    A document named twice is listed once, with the number printed at any of its mentions; a bare kind
    of document (《条例》) is a short name for one named in full and is not listed again.
    """
    out, by_title, by_number = [], {}, set()
    t = norm.text
    chain_end, chain_cited = -1, False
    for m in _CITE.finditer(t):
        before = t[max(0, m.start() - 24):m.start()]
        num = m.group("num")
        trusted = bool(num and (_DOC_NUMBER.fullmatch(compact(num)) or _CITE_NUMBER.fullmatch(num.strip())))
        if chain_end >= 0 and not t[chain_end:m.start()].strip(" \t和、及与"):
            cited = chain_cited  # 根据《A》《B》: a chain of titles shares the first one's verdict
        else:
            cited = not _CITE_NOT_BEFORE.search(before) and bool(
                trusted or _CITE_BEFORE.search(before) or _CITE_AFTER.match(t, m.end("title") + 1))
        chain_end, chain_cited = m.end(), cited
        if not cited:
            continue
        title = compact(norm.original_text(*m.span("title")))
        if own_title and title == own_title or _CITE_SHORT_NAME.fullmatch(title):
            continue
        doc_number = compact(norm.original_text(*m.span("num"))) if trusted else None
        if doc_number in by_number:
            continue
        known = by_title.get(title)
        if known is not None:
            if doc_number and not known["doc_number"]:
                known.update(doc_number=doc_number, span=norm.span(*m.span()))
                by_number.add(doc_number)
            continue
        record = {"title": title, "doc_number": doc_number, "span": norm.span(*m.span())}
        by_title[title] = record
        if doc_number:
            by_number.add(doc_number)
        out.append(record)
    return out


def _history(norm: Normalized, history: list[Line]) -> tuple[str | None, str | None, str | None]:
    """Issuer, issue date and doc number from a law's dated history lines.

    The date is the latest of 通过 / 批准 / 公布 / 修订 / 修正 (the text as it now stands); the
    issuer is the body that last passed, revised or promulgated it (an approving 批准 body is
    not the issuer); the doc number is the promulgating announcement (…公告第56号).
    """
    parsed = []
    for line in history:
        printed = compact(norm.original_text(line.start, line.end))
        half = printed.translate(TRANSLATE)
        for m in _HISTORY.finditer(half):
            body = printed[m.start("body"):m.end("body")] if m.group("body") else None
            number = _PROMULGATION.match(half, m.end("date"), m.end("act")) if m.group("act") in ("公布", "发布") else None
            parsed.append((parse_date(m.group("date")), body, m.group("act"),
                           printed[number.start():number.end()] if number else None))
    dated = [p for p in parsed if p[2] != "施行" and p[0]]
    if not dated:
        return None, None, None
    date = max(p[0] for p in dated)
    issuers = [p for p in dated if p[2] != "批准" and p[1]]
    issuer = max(issuers, key=lambda p: p[0])[1] if issuers else None
    number = next((p[3] for p in reversed(dated) if p[3]), None)
    return issuer, date, number


def _plan_period(text: str) -> dict | None:
    """`“十四五”期间` in a policy's preamble: the five-year plan's years."""
    m = _FIVE_YEAR.search(text)
    if not m:
        return None
    n = 10 + (parse_int(m.group("n")) or 0)
    start = 2021 + 5 * (n - 14)
    return {"start": start, "end": start + 4}


def _printed_title(norm: Normalized, title_lines: list[Line]) -> tuple[str | None, bool]:
    """A policy title printed over one or more lines, status mark removed; and whether it had one."""
    raw = "".join(norm.original_text(l.start, l.end).strip() for l in title_lines)
    draft = bool(_STATUS.search(raw))
    return (compact(_STATUS.sub("", raw)) or None), draft


def _from_hints(meta: dict, hints: dict) -> list[str]:
    """Fill fields the text left empty from the source's own metadata; the names of the fields filled.

    A hinted title is read like a printed one: the issuer before 关于 is removed, and a notice that
    issues one 《X》 gives title X and the notice title.
    """
    filled = []
    hint_title = (hints.get("title") or "").strip()
    if hint_title and not meta["title"]:
        if _STATUS.search(hint_title):
            meta["status"] = "draft"
        issuer, raw = strip_issuer(_STATUS.sub("", hint_title))
        raw = compact(raw)
        issued = issued_policy(raw)
        if issued and _TITLE_END.search(raw):
            meta["notice_title"] = meta["notice_title"] or raw
            raw = issued
        meta["title"] = raw
        filled.append("title")
        if issuer and not meta["issuer"]:
            meta["issuer"] = issuer
            filled.append("issuer")
    date = parse_date(hints.get("date") or "") if hints.get("date") else None
    if date and not meta.get("publish_date"):
        meta["publish_date"] = date
        filled.append("publish_date")
    if "title" in filled or "issuer" in filled:
        meta["region"] = meta["region"] or region_of(meta["issuer"]) or region_of(meta["title"])
    return filled


def extract_metadata(norm: Normalized, *, portal: dict | None = None, hints: dict | None = None,
                     body_end: int | None = None):
    """Metadata dict (contract fields plus index_number/publish_date) and warnings."""
    an = anatomy(norm)
    portal = {k: v for k, v in {**an.labels, **(portal or {})}.items() if not _PLACEHOLDER.fullmatch(compact(v))}
    warnings: list[dict] = []
    body_end = an.body_end if body_end is None else body_end
    all_lines = [l for l in an.content if l.end <= body_end and l not in an.history]
    header = _header(all_lines)
    notice = an.notice
    notice_title = None
    if notice is not None:
        title, draft = _printed_title(norm, an.title_lines)
        if title is None and notice.issued_title:
            title = compact(_STATUS.sub("", notice.issued_title)) or None
        notice_title = _STATUS.sub("", notice.title) if notice.title else None
        issuer = "、".join(notice.issuer) or None
        if notice_title:
            lead, notice_title = strip_issuer(notice_title)
            issuer = issuer or lead
            if _SEVERAL.search(notice_title) or len(_NAMED.findall(notice_title)) >= 2:
                title = compact(notice_title)  # a notice issuing several documents keeps its own title
        if title:
            title = compact(strip_issuer(title)[1])  # the policy's title without its issuer
    else:
        title, issuer, draft = _title_and_issuer(norm, header)
    portal_title = compact(portal.get("标题") or portal.get("名称") or "")
    if not title and portal_title:
        lead, title = strip_issuer(_STATUS.sub("", portal_title))
        issuer = lead or issuer
    header_text = "\n".join(compact(l.text) for l in header)
    if _STATUS.search(header_text) or _STATUS.search(portal_title):
        draft = True

    law_issuer, law_date, law_number = _history(norm, an.history)
    doc_number = notice.doc_number if notice is not None else None
    for line in header if doc_number is None else ():
        c = compact(norm.original_text(line.start, line.end))
        m = _DOC_NUMBER_LINE.match(c) or _BRACKETED_NUMBER.match(c)
        if m:
            doc_number = tidy_doc_number(m.group("num"))
            break
    doc_number = (doc_number or law_number or order_number(norm, all_lines[:8])
                  or (compact(portal.get("发文字号") or portal.get("文号") or "") or None))

    closing = lines(norm, body_end, an.attachments)
    if not any(is_date_line(l.text) for l in closing):
        closing = _signature_block(norm, body_end) or closing
    closing_orgs = [o for l in closing if is_org_line(l.text) for o in _org_names(norm, l)]
    closing_dates = [parse_date(l.text) for l in closing if is_date_line(l.text)]
    issuer = issuer or law_issuer
    if issuer is None:
        issuer = "、".join(closing_orgs) or (compact(portal.get("发文机关") or portal.get("发文单位") or "") or None)
    issue_date = parse_date(notice.date_line.text) if notice is not None and notice.date_line else None
    issue_date = issue_date or law_date or next((d for d in closing_dates if d), None)
    if issue_date is None:
        for line in header:
            if is_date_line(line.text):
                issue_date = parse_date(line.text)
                break
    if issue_date is None and portal.get("成文日期"):
        issue_date = parse_date(portal["成文日期"])

    region = region_of(issuer) or region_of(title) or (region_of(closing_orgs[0]) if closing_orgs else None)
    if region is None and portal.get("发文机关"):
        region = region_of(portal["发文机关"])

    period = _period(title, norm.text, issue_date)
    if period is None:
        preamble_end = next((l.start for l in lines(norm, an.body_start) if lexicon.MARKER_START.match(l.text)), body_end)
        period = _plan_period(norm.text[an.body_start:preamble_end])
    publish = parse_date(portal["发布日期"]) if portal.get("发布日期") else None
    meta = {
        "title": title,
        "notice_title": notice_title,
        "issuer": issuer,
        "doc_number": doc_number,
        "status": "draft" if draft else "final",
        "region": region,
        "period": period,
        "issue_date": issue_date,
        "cited": _cited(norm, title),
        "index_number": compact(portal["索引号"]) if portal.get("索引号") else None,
        "publish_date": publish,
    }
    from policyflow.schemas.errors import warning
    filled = _from_hints(meta, hints) if hints else []
    if "title" in filled and meta["period"] is None:
        meta["period"] = _period(meta["title"], norm.text, meta["issue_date"])
    if filled:
        warnings.append(warning("W011", fields=", ".join(filled)))
    if not meta["title"]:
        warnings.append(warning("W003"))
    return meta, warnings
