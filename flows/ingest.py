"""Read one source file (.txt, .html, .docx, .pdf) into decoded plain text.

No Prefect and no extraction logic: this is the only place that decides encodings and strips
markup (crawl dumps, `flows.dumps`, read their rows' text through `read_text`, `decode_bytes` and
`text_encoding`). Bad input always ends in an `IngestError` with a code.
"""
from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import logging
import os
import re
import stat
import warnings as pywarnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import regex

from policyflow.schemas.errors import IngestError, warning

FORMATS = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".docx": "docx", ".pdf": "pdf"}
CELL_SEP = "｜"
# Bounds on what one file may cost, checked before the work they bound (no real policy comes near them).
MAX_TEXT_CHARS = 10_000_000     # decoded text of one document
MAX_PDF_PAGES = 2_000           # pages of one PDF
MAX_INFLATED = 256_000_000      # bytes a .docx's members inflate to, in all
MAX_RATIO = 200                 # inflated/compressed of one .docx member over 1 MB
PORTAL_LABELS = ("索引号", "发文机关", "成文日期", "发文字号", "文号", "发布日期", "主题分类", "标题")


@dataclass(frozen=True)
class Ingested:
    path: Path
    filename: str
    text: str
    encoding: str | None
    format: str
    sha256: str
    size_bytes: int
    portal: dict[str, str]
    warnings: list[dict]
    row: int | None = None  # the data row of a crawl dump the text came from (flows.dumps)


class _Undecodable(Exception):
    """No decoding produced plausible text."""


def read_document(path: Path, *, root: Path | None = None, max_bytes: int | None = None) -> Ingested:
    """Read and decode one file; raise `IngestError` (never anything else) for bad input."""
    path = Path(path)

    def fail(code: str, **context) -> IngestError:
        return IngestError(code, path=display_name(str(path)), stage="ingest", **context)

    try:
        return _read(path, root, max_bytes, fail)
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - contract: only IngestError leaves this module
        raise fail("E009", cause=_describe(exc)) from exc


def iter_sources(paths: list[Path]) -> list[Path]:
    """Expand files and folders (recursively) into a sorted, de-duplicated list of candidate files.

    Hidden files and folders (and Office '~$' lock files) inside folders are skipped, folder
    symlinks are not followed; unknown suffixes stay in so `read_document` reports them.
    """
    found: dict[str, Path] = {}
    for p in map(Path, paths):
        if p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    if not name.startswith((".", "~$")):
                        f = Path(dirpath) / name
                        found.setdefault(os.path.abspath(f), f)
        else:
            found.setdefault(os.path.abspath(p), p)
    return sorted(found.values())


def display_name(name: str) -> str:
    """A file name as records and consoles show it: bytes that are not UTF-8 (surrogate-escaped by
    the OS layer) become `\\xNN`, so a GBK name never breaks a UTF-8 record."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Inspected:
    """What `inspect` learned without reading content: the file to open and its size."""

    target: Path
    size: int


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def inspect(path: Path, *, root: Path | None = None, max_bytes: int | None = None) -> Inspected:
    """Look before reading: the type, place and size of a file, from metadata only.

    A FIFO would block a reader forever and a device never ends, so nothing is opened until the
    file is known to be a regular file inside `root` (symlinks resolved) and within `max_bytes`.
    """
    path = Path(path)

    def fail(code: str, **context) -> IngestError:
        return IngestError(code, path=display_name(str(path)), stage="ingest", **context)

    try:
        target = path.resolve(strict=True)
        if root is not None and not target.is_relative_to(Path(root).resolve()):
            raise fail("E008", target=display_name(str(target)))
        st = target.stat()
    except IngestError:
        raise
    except (OSError, RuntimeError) as exc:
        raise fail("E001", cause=_describe(exc)) from exc
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        raise fail("E001", cause=f"it is {kind}, not a regular file")
    if max_bytes is not None and st.st_size > max_bytes:
        raise fail("E011", size=st.st_size, limit=max_bytes)
    return Inspected(target, st.st_size)


def open_regular(target: Path):
    """Open without blocking (a file swapped for a FIFO after `inspect`) and check the type again."""
    fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(0, "not a regular file")
    return os.fdopen(fd, "rb")


def sha256_file(path: Path, *, root: Path | None = None, max_bytes: int | None = None) -> str:
    """sha256 of a file's bytes, streamed (memory stays flat whatever the size); IngestError as `inspect`."""
    found = inspect(path, root=root, max_bytes=max_bytes)
    digest = hashlib.sha256()
    with open_regular(found.target) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read(path: Path, root: Path | None, max_bytes: int | None, fail) -> Ingested:
    fmt = FORMATS.get(path.suffix.lower())
    found = inspect(path, root=root, max_bytes=max_bytes)
    if fmt is None:
        raise fail("E003", suffix=path.suffix)
    try:
        with open_regular(found.target) as fh:
            data = fh.read(max_bytes + 1 if max_bytes is not None else -1)
    except OSError as exc:
        raise fail("E001", cause=_describe(exc)) from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise fail("E011", size=f"over {max_bytes}", limit=max_bytes)
    if not data:
        raise fail("E007")

    encoding, warns, portal = None, [], {}
    if fmt == "docx":
        text = _docx_text(data, fail)
    elif fmt == "pdf":
        text, warns = _pdf_text(data, fail)
    else:
        try:
            text, encoding, warns = (_decode_text if fmt == "text" else _decode_html)(data)
        except _Undecodable:
            raise fail("E002") from None
        if fmt == "html" and text.strip():
            text, portal = _html_text(text, warns, fail)
    if not text.strip():
        raise fail("E007")
    if len(text) > MAX_TEXT_CHARS:
        raise fail("E018", what=f"{len(text):,} characters of text", limit=f"{MAX_TEXT_CHARS:,} characters")
    return Ingested(path=path, filename=display_name(path.name), text=text, encoding=encoding, format=fmt,
                    sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
                    portal=portal, warnings=warns)


def read_text(text: str, *, path: Path, display: str, encoding: str | None, sha256: str, size_bytes: int,
              warnings: list[dict] | None = None, row: int | None = None) -> Ingested:
    """A text decoded out of a container (a crawl dump's cell) as a document, checked like a file's text.

    Markup is read as a page (article text, portal metadata table) when the text is HTML rather than
    text that mentions a tag; `display` names the source in errors (`crawl.csv row 12`).
    """
    def fail(code: str, **context) -> IngestError:
        return IngestError(code, path=display, stage="ingest", **context)

    warns, portal, fmt = list(warnings or []), {}, "text"
    if len(text) > MAX_TEXT_CHARS:
        raise fail("E018", what=f"{len(text):,} characters of text", limit=f"{MAX_TEXT_CHARS:,} characters")
    if _MARKUP.match(text):
        fmt = "html"
        try:
            text, portal = _html_text(text, warns, fail, fragment=True)
        except IngestError:
            raise
        except Exception as exc:  # noqa: BLE001 - contract: only IngestError leaves this module
            raise fail("E014", cause=_describe(exc)) from exc
    if not text.strip():
        raise fail("E007")
    return Ingested(path=Path(path), filename=display_name(Path(path).name), text=text, encoding=encoding,
                    format=fmt, sha256=sha256, size_bytes=size_bytes, portal=portal, warnings=warns, row=row)


# A cell that opens with a page's or a block's tag (a crawler kept the article's HTML).
_MARKUP = re.compile(r"\s*(?:<!doctype\s+html|<\?xml|<!--|<(?:html|head|body|div|p|table|section|article|span|"
                     r"font|center|br|h[1-6]|ul|ol|meta|style|script)\b)", re.I)


def decode_bytes(data: bytes) -> tuple[str, str, list[dict]]:
    """Bytes of unknown encoding as text: (text, encoding, warnings), the chain a .txt file goes through;
    ValueError when nothing plausible comes out."""
    try:
        return _decode_text(data)
    except _Undecodable:
        raise ValueError("undecodable") from None


def text_encoding(sample: bytes) -> str | None:
    """The encoding the text chain picks for a sample of a file (None when nothing plausible decodes it):
    how a crawl dump's lines are decoded."""
    try:
        return _decode_text(sample)[1]
    except _Undecodable:
        return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --- encodings -------------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8", "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"))
_GB_NAMES = {"gb2312", "gbk", "gb18030", "cp936", "ms936", "windows-936", "x-gbk", "euc-cn", "x-euc-cn",
             "csgb2312", "gb-2312", "gb-2312-80", "gb2312-80", "csgbk", "chinese", "iso-ir-58"}
_BAD_CHARS = regex.compile(r"[\p{Cc}\p{Cs}\p{Co}\p{Cn}--[\t\n\r\f\v]]", regex.V1)
_TEXTISH = regex.compile(r"[\t\n\r\f\v\x20-\x7e\u00a0-\u00ff\u2000-\u206f\u2460-\u24ff"
                         r"\u3000-\u303f\uff00-\uffef\p{Han}]")
_CJKISH = regex.compile(r"[\u3000-\u303f\uff00-\uffef\p{Han}]")


def _decode_text(data: bytes) -> tuple[str, str, list[dict]]:
    """Decode bytes of unknown encoding: BOM, UTF-8, UTF-16 by pattern, GB18030, then detection.

    Returns (text, encoding, warnings); raises `_Undecodable` when no candidate is plausible text.
    """
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            text, warns = _decode_lenient(data[len(bom):], codec, name, mostly=True)
            if text is not None and _plausible(text):
                return text, name, warns
            if codec == "utf-8":  # a UTF-8 BOM written in front of GB18030 bytes: trust the bytes
                try:
                    text = data[len(bom):].decode("gb18030")
                except UnicodeDecodeError:
                    raise _Undecodable from None
                if _plausible(text):
                    return text, "gb18030", [warning("W010", declared="UTF-8 byte-order mark", encoding="gb18030")]
            raise _Undecodable
    text, warns = _decode_lenient(data, "utf-8", "utf-8", mostly=True)
    if text is not None and _plausible(text):
        return text, "utf-8", warns
    codec = _sniff_utf16(data)
    if codec:
        text, warns = _decode_lenient(data, codec, "utf-16", mostly=True)
        return text, "utf-16", warns
    text, warns = _decode_lenient(data, "gb18030", "gb18030", mostly=True)
    if text is not None and _plausible(text):
        return text, "gb18030", warns
    return _detect(data)


def _decode_html(data: bytes) -> tuple[str, str, list[dict]]:
    """Decode an HTML page: BOM, then the declared charset, then the text chain.

    A declaration is ignored when it fails strictly, and also when the bytes are valid non-ASCII
    UTF-8 (templates often keep a stale gb2312 meta on UTF-8 pages; GB text is never valid UTF-8).
    """
    if not any(data.startswith(bom) for bom, _, _ in _BOMS):
        declared = _declared_charset(data[:8192])
        if declared and (data.isascii() or not _decodes(data, "utf-8")):
            try:
                text = data.decode(declared)
            except UnicodeDecodeError:
                pass
            else:
                if _plausible(text):
                    return text, declared, []
    return _decode_text(data)


def _decode_lenient(data: bytes, codec: str, name: str, *, mostly: bool = False):
    """Strict decode; a sequence cut at the very end (or, with `mostly`, a few bad bytes) is replaced + W005."""
    try:
        return data.decode(codec), []
    except UnicodeDecodeError as exc:
        truncated = exc.end == len(data) and _decodes(data[:exc.start], codec)
    text = data.decode(codec, errors="replace")
    if not truncated:
        if not mostly:
            return None, []
        bad = text.count("\ufffd") - data.count("\ufffd".encode(codec))
        good = sum(1 for ch in text if ch > "\x7f") - text.count("\ufffd")
        if bad * 20 > good:
            return None, []
    return text, [warning("W005", encoding=name)]


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _plausible(text: str) -> bool:
    """Text, not binary: few control, private-use or unassigned characters."""
    if not text:
        return True
    return len(_BAD_CHARS.findall(text)) <= len(text) * 0.05


def _sniff_utf16(data: bytes) -> str | None:
    """UTF-16 without BOM: NULs mostly in the high bytes (ASCII chars), or text that is mostly CJK."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    for codec, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        text = data.decode(codec, errors="replace")
        if text.count("\ufffd") * 20 > len(text) or not _plausible(text):
            continue
        textish = len(_TEXTISH.findall(text)) / len(text)
        if high and high >= 2 * low and textish >= 0.9:
            return codec
        if textish >= 0.95 and len(_CJKISH.findall(text)) >= 0.5 * len(text):
            return codec
    return None


def _detect(data: bytes) -> tuple[str, str, list[dict]]:
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding is None:
        raise _Undecodable
    text = str(best)
    if not text or not _plausible(text):
        raise _Undecodable
    name = _canonical(best.encoding) or best.encoding.lower().replace("_", "-")
    return text, name, [warning("W001", encoding=name)]


def _canonical(name: str) -> str | None:
    """Codec name as reported: lowercase, GB family folded into gb18030; None if Python lacks it."""
    n = name.strip().strip("'\"").lower().replace("_", "-")
    if n in _GB_NAMES:
        return "gb18030"
    try:
        n = codecs.lookup(n).name
    except LookupError:
        return None
    return "gb18030" if n in _GB_NAMES else n


_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9_.:-]+)""", re.I)


def _declared_charset(head: bytes) -> str | None:
    m = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not m:
        return None
    name = _canonical(m.group(1).decode("ascii"))
    if name is None or name.startswith(("utf-16", "utf-32")):
        return None
    return name


# --- HTML ------------------------------------------------------------------------------------

_HARD_DROP = ("script", "style", "noscript", "template", "iframe", "frame", "object", "embed", "svg",
              "canvas", "head", "title", "select", "textarea", "button", "map", "audio", "video")
_NOISE_TAGS = {"nav", "header", "footer", "aside", "form"}
_NOISE_ATTR = re.compile(r"nav|menu|foot|breadcrumb|crumb|share|sidebar|header|copyright|toolbar|dqwz|fenxiang",
                         re.I)
_HEADER_ATTR = re.compile(r"header", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_CONTENT_ATTR = re.compile(r"content|article|zoom|trs_editor|pages_content|wenzhang|detail|zhengwen", re.I)
_TITLE_ATTR = re.compile(r"title", re.I)
_LOGO_ATTR = re.compile(r"logo", re.I)
_BLOCK = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot",
          "section", "article", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "center", "main",
          "figure", "figcaption", "hr", "address", "caption", "header", "footer", "nav", "aside", "form",
          "fieldset", "details", "summary", "body", "html", "tr", "td", "th"}
_BODY_TAG = re.compile(r"<body[\s>/]", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_WS = re.compile(r"[ \t\n\r\f\v\xa0]+")
_WIDE = r"[\u2e80-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
# CSS Text: a source line break between two East Asian wide characters renders as nothing, not a space
_CJK_BREAK = re.compile(r"(?<=%s)[ \t]*[\r\n][ \t\r\n]*(?=%s)" % (_WIDE, _WIDE))
_EXTRA_LABELS = ("主题词", "发布机构", "生成日期", "文号", "有效性", "信息分类", "公开方式", "公开范围",
                 "组配分类", "体裁分类", "服务对象", "实施日期", "废止日期", "发文单位", "名称")
_LABEL_ALT = "|".join(r"\s*".join(map(re.escape, lab))
                      for lab in sorted(PORTAL_LABELS + _EXTRA_LABELS, key=len, reverse=True))
_LABEL_START = re.compile(r"^\s*(%s)\s*([:：]?)\s*" % _LABEL_ALT)
_LABEL_NEXT = re.compile(r"(%s)\s*[:：]\s*" % _LABEL_ALT)
_META_PUNCT = re.compile(r"[\s:：|｜【】\[\]()（）,，;；/、-]+")


def _html_text(source: str, warns: list[dict], fail, *, fragment: bool = False) -> tuple[str, dict[str, str]]:
    """Visible article text of a decoded page, and its portal metadata fields (a `fragment`, a dump's cell,
    is not warned about for having no <body>)."""
    has_body = bool(_BODY_TAG.search(source))
    doc, depth_error = _parse_html(_XML_DECL.sub("", source, count=1), fail)
    if depth_error:  # nesting past libxml2's bound drops the rest of the page: read it flat instead
        warns.append(warning("W012", cause=" ".join(depth_error.split()).rstrip(".")))
        flat = _NESTING_TAG.sub(lambda m: "" if m.group(2).lower() in _INLINE else "<br>", source)
        doc, _ = _parse_html(_XML_DECL.sub("", flat, count=1), fail)
    if not has_body and not fragment:
        warns.append(warning("W007"))
    for el in list(doc.iter(*_HARD_DROP)):
        _drop(el)
    scope = doc.find("body") if has_body else doc
    if scope is None:
        scope = doc
    portal = _portal_fields(scope)

    total = _clen(scope)
    kinds: dict = {}
    for el in scope.iter():
        if el is not scope and isinstance(el.tag, str):
            kind = _noise_kind(el)
            if kind and not _is_wrapper(el, total):
                kinds[el] = kind
    blocked: dict = {}
    for el in scope.iter():
        if not isinstance(el.tag, str):
            continue
        inherited = blocked.get(el.getparent())
        own = kinds.get(el)
        if inherited == "other" or own == "other":
            blocked[el] = "other"
        elif inherited or own:
            blocked[el] = "header"
    candidates = [el for el in scope.iter() if isinstance(el.tag, str) and el not in blocked
                  and _CONTENT_ATTR.search(_attrs(el)) and not _noise_kind(el)]
    noise_len = sum(_clen(el) for el, kind in kinds.items() if blocked.get(el.getparent()) is None)
    container = scope
    if candidates:
        best = max(candidates, key=_clen)
        if _clen(best) >= 0.2 * max(total - noise_len, 1):
            container = best
    title = _title(container, scope, blocked, kinds)

    for el in kinds:
        _drop(el)
    w = _Writer()
    _render(container, w)
    text = _tidy(w.value())
    if title and _compact(title) not in _compact(text):
        text = f"{title}\n{text}" if text else title
    return text, portal


_NESTING_TAG = re.compile(r"<(/?)(div|span|font|section|article|center|table|tbody|thead|tfoot|tr|td|th|ul|ol|li|"
                          r"dl|dd|dt|blockquote|main|aside|header|footer|nav|form|b|i|u|strong|em|a|p)\b[^>]*>", re.I)
_INLINE = {"span", "font", "b", "i", "u", "strong", "em", "a"}


def _parse_html(source: str, fail):
    """(tree, message of a depth error or None); huge_tree lifts libxml2's 256-level bound to its hard one."""
    import lxml.etree
    import lxml.html

    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True,
                                  huge_tree=True)
    try:
        doc = lxml.html.document_fromstring(source.encode("utf-8", "replace"), parser=parser)
    except lxml.etree.ParserError as exc:
        depth = next((e.message for e in parser.error_log if "depth" in e.message.lower()), None)
        if depth:
            return None, depth
        if "empty" in str(exc).lower():
            raise fail("E007") from exc
        raise fail("E014", cause=_describe(exc)) from exc
    except (ValueError, lxml.etree.LxmlError) as exc:
        raise fail("E014", cause=_describe(exc)) from exc
    return doc, next((e.message for e in parser.error_log if "depth" in e.message.lower()), None)


class _Writer:
    """Accumulates inline text; block boundaries merge into one newline, <br> always adds one."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, s: str | None, pre: bool = False) -> None:
        if s:
            self.parts.append(s if pre else _WS.sub(" ", _CJK_BREAK.sub("", s)))

    def raw(self, s: str) -> None:
        if s:
            self.parts.append(s)

    def soft(self) -> None:
        while self.parts and not self.parts[-1].strip() and "\n" not in self.parts[-1]:
            self.parts.pop()
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def hard(self) -> None:
        self.parts.append("\n")

    def value(self) -> str:
        return "".join(self.parts)


def _render(root, w: _Writer, pre: bool = False) -> None:
    """Write an element's visible text; a loop over an explicit stack, so nesting depth costs no recursion."""
    stack = [("enter", root, pre)]
    while stack:
        op, item, pre = stack.pop()
        if op == "tail":
            w.text(item, pre)
            continue
        if op == "close":
            w.soft()
            continue
        tag = item.tag if isinstance(item.tag, str) else None
        if tag is None:
            continue
        if tag == "br":
            w.hard()
            continue
        if tag == "tr" and _render_row(item, w, pre):
            continue
        pre = pre or tag == "pre"
        if tag in _BLOCK:
            w.soft()
            stack.append(("close", None, pre))
        w.text(item.text, pre)
        for child in reversed(item):
            stack.append(("tail", child.tail, pre))
            stack.append(("enter", child, pre))


def _render_row(tr, w: _Writer, pre: bool) -> bool:
    """A data row becomes one line of cells joined by '｜'; False for layout rows (rendered as blocks).

    Layout rows (old portals put the whole page in tables) have nested tables, long or many-line cells.
    """
    cells = [c for c in tr if c.tag in ("td", "th")]
    if len(cells) < 2 or any(c.find(".//table") is not None for c in cells):
        return False
    rendered, multiline = [], 0
    for cell in cells:
        sub = _Writer()
        _render(cell, sub, pre)
        lines = [ln.strip() for ln in sub.value().split("\n") if ln.strip()]
        rendered.append(" ".join(lines))
        multiline += len(lines) > 1
        if len(lines) > 5 or len(rendered[-1]) > 300 or multiline > 1:
            return False
    if any(rendered):
        w.soft()
        w.raw(CELL_SEP.join(rendered))
        w.soft()
    return True


def _tidy(text: str) -> str:
    lines = [re.sub(r" {2,}", " ", ln).strip() for ln in text.split("\n")]
    return re.sub(r"\n{4,}", "\n\n\n", "\n".join(lines)).strip("\n")


def _drop(el) -> None:
    if el.getparent() is not None:
        el.drop_tree()


def _attrs(el) -> str:
    return f"{el.get('id', '')} {el.get('class', '')}"


def _compact(s: str) -> str:
    return "".join(s.split())


def _clen(el) -> int:
    return len(_compact(el.text_content()))


def _noise_kind(el) -> str | None:
    """'header' for header-like elements (a title may sit there), 'other' for nav/footer/share/hidden."""
    attrs = _attrs(el)
    hidden = el.get("hidden") is not None or _HIDDEN_STYLE.search(el.get("style", ""))
    if hidden or el.tag in _NOISE_TAGS - {"header"}:
        return "other"
    m = _NOISE_ATTR.findall(attrs)
    if any(not _HEADER_ATTR.fullmatch(x) for x in m):
        return "other"
    if m or el.tag == "header":
        return "header"
    return None


def _is_wrapper(el, total: int) -> bool:
    """A noise-looking element that actually holds the page (ASP.NET <form>, body-wide 'header-fixed')."""
    size = _clen(el)
    if size >= 0.85 * total:
        return True
    if el.tag == "form":
        inner = (d for d in el.iterdescendants() if isinstance(d.tag, str))
        return size >= 0.3 * total or any(_CONTENT_ATTR.search(_attrs(d)) for d in inner)
    return False


def _title(container, scope, blocked: dict, kinds: dict) -> str | None:
    """The article title: an h1/h2/.title inside the container, else the nearest one before it.

    A title in a header-like block counts inside the container, or before it when that block is
    the article's own header ('article-header', 'detail_title_header', <article><header>).
    """
    inside = [el for el in container.iterdescendants() if _is_title(el)]
    before = [el for el in reversed(container.xpath("preceding::*")) if _is_title(el)]
    for group in (inside, before):
        own = group is inside and container is not scope
        found = [el for el in group if blocked.get(el) is None]
        found += [el for el in group if blocked.get(el) == "header" and (own or _article_header(el, kinds))]
        if found:
            return " ".join(found[0].text_content().split())
    return None


def _article_header(el, kinds: dict) -> bool:
    for node in (el, *el.iterancestors()):
        if node in kinds:
            parent = node.getparent()
            return bool(_CONTENT_ATTR.search(_attrs(node)) or _TITLE_ATTR.search(_attrs(node))
                        or (parent is not None and parent.tag == "article"))
    return False


def _is_title(el) -> bool:
    if not isinstance(el.tag, str):
        return False
    attrs = _attrs(el)
    if not (el.tag in ("h1", "h2") or _TITLE_ATTR.search(attrs)) or _LOGO_ATTR.search(attrs):
        return False
    return 5 <= _clen(el) <= 200


# --- portal metadata table ---------------------------------------------------------------------

def _portal_fields(scope) -> dict[str, str]:
    """Read and remove the portal's metadata block (索引号：… 发文机关：… ) from the tree."""
    found = []  # (label, value, label_element, value_element, tail_owner)
    for el in scope.iter():
        if not isinstance(el.tag, str) or el is scope or el.tag in ("html", "body"):
            continue
        label = _label_of(el.text_content())
        if label is None or any(isinstance(c.tag, str) and _label_of(c.text_content()) == label for c in el):
            continue
        m = _LABEL_START.match(_inline_text(el))
        if not m:
            continue
        rest = m.string[m.end():]
        if rest.strip():
            if not m.group(2):
                continue
            lab, start = label, 0
            for nxt in _LABEL_NEXT.finditer(rest):
                found.append((lab, rest[start:nxt.start()], el, None, None))
                lab, start = _compact(nxt.group(1)), nxt.end()
            found.append((lab, rest[start:], el, None, None))
        else:
            value, value_el, tail_owner = _value_after(el, scope)
            if value is not None:
                found.append((label, value, el, value_el, tail_owner))
    found = [(lab, " ".join(val.split()), *rest) for lab, val, *rest in found]
    portal: dict[str, str] = {}
    for lab, val, *_ in found:
        if lab in PORTAL_LABELS and val and lab not in portal:
            portal[lab] = val
    bits = sorted({_compact(x) for lab, val, *_ in found for x in (lab, val) if x}, key=len, reverse=True)
    for lab, val, label_el, value_el, tail_owner in found:
        if lab not in PORTAL_LABELS:
            continue
        if _residual(label_el, bits) > 0.25:
            continue
        top = label_el
        parent = top.getparent()
        while (parent is not None and parent is not scope and parent.tag not in ("html", "body")
               and _residual(parent, bits) <= 0.25):
            top, parent = parent, parent.getparent()
        if value_el is not None and not _within(value_el, top):
            _drop(value_el)
        if tail_owner is top:
            top.tail = None
        _drop(top)
    return portal


def _inline_text(el) -> str:
    """The element's text up to its first block child: a label's value never spans paragraphs."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            if child.tag in _BLOCK:
                break
            parts.append(" " if child.tag == "br" else child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _label_of(text: str) -> str | None:
    m = _LABEL_START.match(text)
    return _compact(m.group(1)) if m else None


def _value_after(el, scope):
    """Value of a label-only element: its tail text, or the next sibling (climbing through wrappers)."""
    node = el
    while node is not None and node is not scope:
        if node.tail and node.tail.strip():
            return _cut(node.tail), None, node
        sib = node.getnext()
        if sib is not None:
            text = sib.text_content()
            if _LABEL_NEXT.match(text.strip()) or _label_of(text) == _compact(text):
                return None, None, None
            return _cut(text), sib, None
        parent = node.getparent()
        if parent is None or _compact(parent.text_content()) != _compact(node.text_content()):
            break
        node = parent
    return None, None, None


def _cut(value: str) -> str:
    m = _LABEL_NEXT.search(value)
    return value[:m.start()] if m else value


def _residual(el, bits: list[str]) -> float:
    """Share of an element's text that is not a found label or value."""
    s = _compact(el.text_content())
    if not s:
        return 0.0
    total = len(s)
    for b in bits:
        s = s.replace(b, "")
    return len(_META_PUNCT.sub("", s)) / total


def _within(el, ancestor) -> bool:
    return el is ancestor or any(a is ancestor for a in el.iterancestors())


# --- DOCX and PDF ------------------------------------------------------------------------------

def _docx_text(data: bytes, fail) -> str:
    """Paragraphs and tables in body order; table rows as cells joined by '｜'."""
    _check_archive(data, fail)
    try:
        import docx
        from docx.table import Table

        document = docx.Document(io.BytesIO(data))
        lines = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines += _docx_rows(block)
            else:
                lines.append(block.text)
    except Exception as exc:  # noqa: BLE001 - any python-docx/zip/XML failure means a bad .docx
        raise fail("E004", cause=_describe(exc)) from exc
    return "\n".join(lines)


def _check_archive(data: bytes, fail) -> None:
    """Refuse a zip bomb from its directory, before anything is inflated.

    zipfile never inflates a member past the size its directory declares, so the declared sizes
    bound the memory python-docx can use.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
    except Exception as exc:  # noqa: BLE001 - not a zip at all
        raise fail("E004", cause=_describe(exc)) from exc
    total = sum(m.file_size for m in members)
    if total > MAX_INFLATED:
        raise fail("E018", what=f"members that inflate to {total:,} bytes", limit=f"{MAX_INFLATED:,} bytes")
    for m in members:
        if m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise fail("E018", what=f"member {m.filename!r} that inflates {m.file_size // max(m.compress_size, 1):,}"
                                    f" times", limit=f"{MAX_RATIO} times")


def _docx_rows(table) -> Iterator[str]:
    for row in table.rows:
        cells, previous = [], None
        for cell in row.cells:
            if cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(ln.strip() for ln in cell.text.split("\n") if ln.strip()))
        if any(cells):
            yield CELL_SEP.join(cells)


def _pdf_text(data: bytes, fail) -> tuple[str, list[dict]]:
    """Pages' text layer joined by newlines; E006 when no page has any, E018 past the page or text bound.

    Text a font maps to lone surrogates (broken ToUnicode tables) is replaced with a W005 warning.
    """
    try:
        import pypdf

        with _quiet("pypdf"):
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise fail("E005", cause="encrypted with a password")
            count = len(reader.pages)
            if count > MAX_PDF_PAGES:
                raise fail("E018", what=f"{count:,} pages", limit=f"{MAX_PDF_PAGES:,} pages")
            pages, size = [], 0
            for page in reader.pages:
                pages.append(page.extract_text() or "")
                size += len(pages[-1])
                if size > MAX_TEXT_CHARS:
                    raise fail("E018", what=f"over {MAX_TEXT_CHARS:,} characters of text",
                               limit=f"{MAX_TEXT_CHARS:,} characters")
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - any pypdf failure means an unreadable PDF
        raise fail("E005", cause=_describe(exc)) from exc
    if not any(p.strip() for p in pages):
        raise fail("E006", detail=f" ({len(pages)} page{'s' if len(pages) != 1 else ''}, no text layer)")
    text, warns = "\n".join(pages), []
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
        warns.append(warning("W005", encoding="the PDF's font encoding"))
    return text, warns


_SURROGATE = re.compile("[\ud800-\udfff]")


@contextlib.contextmanager
def _quiet(logger_name: str):
    """Silence a library's warnings and log records (the lastResort handler would print them)."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
