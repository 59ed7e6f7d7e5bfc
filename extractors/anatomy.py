"""Document anatomy: one pass from normalized text to the parts every extractor reads.

A real document arrives wrapped: a database export's citation code and history lines, a
portal's breadcrumbs and view counters, a notice cover (发文字号, title, addressees, one
paragraph, signature, date) around the policy it issues, and a closing signature. This
module finds those parts once per document, so that metadata, structure and units read the
same answer instead of re-deriving lines, headers and closings on their own.

Everything here works on `Normalized` lines; offsets are normalized offsets, mapped back
to the original text by the caller through `Normalized.span`.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from policyflow.extractors import lexicon
from policyflow.extractors.normalize import TRANSLATE, Normalized, compact

_M = lexicon.patterns()["metadata"]
_A = lexicon.patterns()["anatomy"]
_DATE_LINE = lexicon.DATE_LINE
_ISSUER_SUFFIX = _M["issuer_suffix"]
_ORG_LINE = lexicon.compile_(
    r"^(?:%s)?[\p{Han}()（）]{0,24}?%s(?:[、,，][\p{Han}()（）]{2,30})*$" % (_M["region"], _ISSUER_SUFFIX))
_DOC_NUMBER = lexicon.DOC_NUMBER
_ORDER_NUMBER = lexicon.compile_(_A["order_number"])
_FURNITURE = lexicon.compile_("|".join(f"(?:{p})" for p in _A["furniture"]))
_LABEL_LINE = lexicon.compile_(r"^[ \t]*(?P<label>%s)[ \t]*[:：][ \t]*(?P<value>.*)$" % "|".join(
    r"[ \t]*".join(label) for label in sorted(_A["page_labels"], key=len, reverse=True)))
_CRUMB_HOME = lexicon.compile_(_A["crumb_home"])
_ATTACHMENT = lexicon.compile_(_A["attachment_heading"])
_CLOSING_NOTE = lexicon.compile_(_A["closing_note"])
_CRUMB_ARROW = lexicon.compile_(_A["crumb_arrow"])
_LAW_HISTORY = lexicon.compile_(_A["law_history"])
_NOTICE_TITLE = lexicon.compile_(_A["notice_title"])
_ISSUES_POLICY = lexicon.compile_(_A["issues_policy"])
_TITLE_END = lexicon.TITLE_END
_ISSUING = lexicon.compile_("印发|转发|颁发|发布")
_REISSUES = lexicon.compile_("印发|转发|颁发|发布|修改|修订")
_FORWARDS = lexicon.compile_(_A["forwards"])
_NUMBER_GLUE = lexicon.compile_(_A["doc_number_glue"])
_BRACKET_LINE = lexicon.compile_(r"^[(（【\[][^()（）【】\[\]]{1,30}[)）】\]]$")
_STATUS = lexicon.STATUS_MARK
_NAME_GAP = lexicon.compile_(r"[ \t]+|[、,，]")
_NAMED = lexicon.compile_(r"《([^《》]{2,80})》")


@dataclass(frozen=True)
class Line:
    start: int  # normalized offsets of the stripped content
    end: int
    text: str


def _all_lines(norm: Normalized) -> list[Line]:
    cached = norm.__dict__.get("_lines")
    if cached is None:
        t, out, pos = norm.text, [], 0
        for raw in t.split("\n"):
            stripped = raw.strip()
            if stripped:
                lead = len(raw) - len(raw.lstrip())
                out.append(Line(pos + lead, pos + lead + len(stripped), stripped))
            pos += len(raw) + 1
        norm.__dict__["_lines"] = cached = out  # computed once per document, shared by every extractor
    return cached


def lines(norm: Normalized, start: int = 0, end: int | None = None) -> list[Line]:
    """Non-blank lines of the normalized text in [start, end), stripped of surrounding spaces."""
    every = _all_lines(norm)
    end = len(norm.text) if end is None else end
    if start == 0 and end >= len(norm.text):
        return every
    starts = [ln.start for ln in every]
    a = bisect.bisect_left(starts, start)
    b = bisect.bisect_left(starts, end)
    return [ln for ln in every[a:b] if ln.end <= end]


def is_date_line(text: str) -> bool:
    return bool(_DATE_LINE.match(text))


def is_org_line(text: str) -> bool:
    c = compact(text)
    return 2 <= len(c) <= 60 and not any(p in c for p in "。，,;；:：") and bool(_ORG_LINE.match(c))


def is_furniture(text: str) -> bool:
    """Portal or database chrome: breadcrumbs, view counters, font switches, citation codes, links."""
    return _FURNITURE.search(text) is not None


def closing_start(norm: Normalized, end: int | None = None) -> int:
    """Normalized offset where the closing issuer/date block before `end` begins (`end`, or the text's
    length, when there is none). Attachment lists (附件：…) and publication notes (（此件主动公开）)
    around the signature belong to the closing block."""
    block = len(norm.text) if end is None else end
    for line in reversed(lines(norm, 0, block)):
        if (is_date_line(line.text) or (is_org_line(line.text) and len(compact(line.text)) <= 40)
                or _CLOSING_NOTE.match(line.text)):
            block = line.start
            continue
        if is_furniture(line.text):
            continue
        break
    return block


def attachment_start(content: list[Line], after: int) -> int | None:
    """Normalized offset of the first attachment heading (附件 / 附件2 alone on its line) after `after`."""
    return next((l.start for l in content if l.start > after and _ATTACHMENT.match(l.text)), None)


def split_orgs(s: str) -> list[str]:
    """Issuer names run together or separated by spaces/、: one name each (empty when `s` is not names)."""
    parts = [p for p in _NAME_GAP.split(s) if p]
    if len(parts) > 1 and all(is_org_line(p) for p in parts):
        return [compact(p) for p in parts]
    c = compact(s)
    if not is_org_line(c):
        return []
    from policyflow.extractors.metadata import region_of  # the gazetteer lives with metadata

    region = region_of(c)
    if region and c.count(region) > 1:
        pieces = [region + p for p in c.split(region) if p]
        if c.startswith(region) and all(is_org_line(p) for p in pieces):
            return pieces
    return [c]


@dataclass
class Notice:
    """The cover of a notice that issues (印发/转发) or amends a policy printed after it."""

    title: str | None = None          # the notice's own title, issuer removed
    issuer: list[str] = field(default_factory=list)
    doc_number: str | None = None
    date_line: Line | None = None
    issued_title: str | None = None   # 《X》 of a notice whose policy X is not printed in the text


@dataclass
class Anatomy:
    content: list[Line]               # lines that are not furniture
    labels: dict[str, str]            # a portal's label block printed as text (文号: …, 成文日期: …)
    history: list[Line]               # a law's dated passage lines (通过 / 批准 / 公布 / 修正 / 施行)
    notice: Notice | None
    title_lines: list[Line]           # the policy's own printed title
    body_start: int                   # normalized offset where the policy's body begins
    body_end: int                     # normalized offset of the closing signature
    attachments: int | None = None    # normalized offset of the first attachment (附件 heading), if any


def _cover_end(content: list[Line], limit: int) -> int | None:
    """Index of the date line that signs a notice cover, when more text follows it."""
    for i, line in enumerate(content[:limit]):
        if is_date_line(line.text) and i + 1 < len(content):
            return i
    return None


def _twin(norm: Normalized, ls: list[Line]) -> tuple[str, str]:
    """The lines as printed (compacted, one per row) and the same string in half-width forms.

    Patterns match the half-width twin; what is reported is sliced from the printed one, so a
    title keeps its full-width brackets.
    """
    printed = "\n".join(compact(norm.original_text(l.start, l.end)) for l in ls)
    return printed, printed.translate(TRANSLATE)


def tidy_doc_number(num: str) -> str:
    """A doc number without the words a crawl glued before it (`的通知冀科外〔2017〕1号` -> `冀科外〔2017〕1号`)."""
    return _NUMBER_GLUE.sub("", num)


def _parse_cover(printed: str, half: str, cover: Notice) -> None:
    """Doc number, issuers and notice title from the lines above a cover's first paragraph."""
    m = _DOC_NUMBER.search(half)
    if m:
        cover.doc_number = tidy_doc_number(printed[m.start("num"):m.end("num")])
        a = m.end("num") - len(cover.doc_number)  # the number itself, not the words glued before it
        half = half[:a] + "\n" * (m.end() - a) + half[m.end():]
    m = _NOTICE_TITLE.search(half)
    if not m:
        return
    cover.title = printed[m.start():m.end()]
    before = printed[:m.start()].split("\n")[-1]
    if before:
        cover.issuer = split_orgs(before)


def _policy_title(content: list[Line], i: int) -> tuple[list[Line], int]:
    """Title lines of the policy starting at content[i] (a title may wrap over up to four lines)."""
    while i < len(content) and (_BRACKET_LINE.match(compact(content[i].text)) and not _STATUS.fullmatch(
            compact(content[i].text)) or is_furniture(content[i].text)):
        i += 1  # （此件主动公开）
    out: list[Line] = []
    for line in content[i:i + 4]:
        c = compact(line.text)
        if "。" in c or len(c) > 60 or lexicon.MARKER_START.match(line.text):
            break
        out.append(line)
        joined = compact("".join(l.text for l in out))
        if _TITLE_END.search(joined):
            nxt = content[i + len(out)] if i + len(out) < len(content) else None
            if nxt is not None and (_BRACKET_LINE.match(compact(nxt.text)) or _STATUS.fullmatch(compact(nxt.text))):
                out.append(nxt)  # （2021-2025年） / （征求意见稿） on its own line
            return out, i
    return [], i


def _republished(norm: Normalized, content: list[Line]) -> tuple[Notice | None, list[Line]]:
    """A notice or decree whose 《X》 is printed again later as a title line of its own, with X's text after it."""
    head_end = next((k for k, l in enumerate(content[:8]) if "。" in l.text), min(len(content), 8))
    if head_end == 0 or not any("《" in l.text for l in content[:head_end]):
        return None, []
    notice = Notice()
    _parse_cover(*_twin(norm, content[:head_end]), notice)
    if not notice.title:
        return None, []
    named = issued_policy(notice.title, reissues=True)
    if not named:
        return None, []  # 关于废止《X》的决定 issues nothing
    want = compact(named.translate(TRANSLATE))
    for k in range(head_end, len(content)):
        title_lines, _ = _policy_title(content, k)
        if title_lines and compact(_STATUS.sub("", "".join(l.text for l in title_lines))).startswith(want):
            return notice, title_lines
    if issued_policy(notice.title):
        notice.issued_title = named  # the policy itself is an attachment the text does not carry
        return notice, []
    return None, []


def issued_policy(title: str, *, reissues: bool = False) -> str | None:
    """X of a notice title that issues or forwards exactly one 《X》 (关于印发《X》的通知); with
    `reissues`, also one that amends and republishes it (关于修改《X》的决定)."""
    named = _NAMED.findall(title)
    verbs = _REISSUES if reissues else _ISSUING
    return named[0] if len(named) == 1 and verbs.search(title) else None


def _page_chrome(every: list[Line]) -> tuple[set[int], dict[str, str]]:
    """Lines of a portal page printed as text: a label block (value on the label's line or the
    next), a breadcrumb split over lines (首页 / > / 政务公开 …), and the page title echo
    (`江西省人民政府 政策文件 <title>`, printed again below). Returns their indices and the labels."""
    skip: set[int] = set()
    labels: dict[str, str] = {}
    head = every[:_A["head_lines"]]
    k = 0
    while k < len(head):
        text = head[k].text
        m = _LABEL_LINE.match(text)
        if m:
            label, value = compact(m.group("label")), m.group("value").strip()
            skip.add(k)
            if not value and k + 1 < len(head) and not _LABEL_LINE.match(head[k + 1].text):
                value = head[k + 1].text.strip()
                skip.add(k + 1)
                k += 1
            if value and label not in labels:
                labels[label] = value
        elif _CRUMB_HOME.match(text):
            j = k + 1
            while j < len(head) and (_CRUMB_ARROW.match(head[j].text) or (
                    _CRUMB_ARROW.match(head[j - 1].text) and len(compact(head[j].text)) <= 12)):
                j += 1
            if j > k + 1:
                skip.update(range(k, j))
                k = j - 1
        k += 1
    later = None
    for k, line in enumerate(head[:3]):
        parts = line.text.split()
        if len(parts) >= 2 and len(parts[-1]) >= 8:
            later = later if later is not None else {compact(l.text) for l in head[1:]}
            if compact(parts[-1]) in later:
                skip.add(k)  # the page title: site and channel names, then the title printed again below
    return skip, labels


def _forwarding(content: list[Line]) -> Notice | None:
    """A text that opens by issuing or forwarding one policy it does not print (现将《X》转发给你们):
    the policy's title is X."""
    for line in content[:2]:
        m = _FORWARDS.match(compact(line.text))
        if m:
            return Notice(issued_title=m.group("x"))
    return None


def anatomy(norm: Normalized) -> Anatomy:
    """The document's parts (computed once per document and shared)."""
    cached = norm.__dict__.get("_anatomy")
    if cached is not None:
        return cached
    every = lines(norm)
    skip, labels = _page_chrome(every)
    edge = _A["head_lines"]  # page chrome sits above and below the document, not inside it
    content = [l for k, l in enumerate(every) if k not in skip
               and not ((k < edge or k >= len(every) - edge) and is_furniture(l.text))]
    history = [l for l in content[:12] if _LAW_HISTORY.match(compact(l.text))]
    first_item = next((l.start for l in content if lexicon.MARKER_START.match(l.text)), 0)
    attached = attachment_start(content, first_item)
    body_end = closing_start(norm, attached)
    notice, title_lines, body_start = None, [], 0
    end = _cover_end(content, 25)
    if end is not None:
        cover_lines = content[:end + 1]
        first_par = next((k for k, l in enumerate(cover_lines) if "。" in l.text), None)
        cover_text = "".join(compact(l.text) for l in cover_lines)
        if first_par is not None and _ISSUES_POLICY.search(cover_text):
            notice = Notice(date_line=cover_lines[end])
            _parse_cover(*_twin(norm, cover_lines[:first_par]), notice)
            sig = [l for l in cover_lines[first_par + 1:end] if is_org_line(l.text)]
            if not notice.issuer and sig:
                notice.issuer = [o for l in sig for o in split_orgs(l.text)]
            title_lines, k = _policy_title(content, end + 1)
            if title_lines:
                body_start = title_lines[0].start
                printed = compact("".join(l.text for l in title_lines))
                if notice.title and printed.endswith(compact(notice.title.translate(TRANSLATE))):
                    notice.title = None  # a decree's cover (…令 第N号, 现予公布) has no title of its own
            else:
                notice = None
    if notice is None:
        notice, title_lines = _republished(norm, content)
        if title_lines:
            body_start = title_lines[0].start
    if notice is None:
        notice = _forwarding(content)
    if title_lines:
        k = content.index(title_lines[-1]) + 1
        if k < len(content) and _LAW_HISTORY.match(compact(content[k].text)):
            history = history + [content[k]]  # （2011年8月26日…公布 2016年9月21日…修正） under the title
    result = Anatomy(content, labels, history, notice, title_lines, body_start, body_end, attached)
    norm.__dict__["_anatomy"] = result
    return result


def order_number(norm: Normalized, head: list[Line]) -> str | None:
    """`江西省人民政府令` / `第223号` printed under a decree's title (on one line or two): its number."""
    if not any("令" in l.text for l in head):
        return None
    for a, b in zip(head, [*head[1:], None]):
        for ls in ([a], [a, b] if b is not None else []):
            if ls:
                printed, half = _twin(norm, ls)
                if _ORDER_NUMBER.fullmatch(half.replace("\n", "")):
                    return printed.replace("\n", "")
    return None
