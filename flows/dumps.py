"""Crawl dumps: CSV / TSV / JSON Lines / Parquet files holding one crawled page per row.

Crawled policy corpora usually arrive as one table: a text column plus the title, date and address
the portal showed around it. Each data row is one document: its text is read like a .txt file's
(decoded with `flows.ingest`, HTML markup read as a page) and its title/date/url cells are source
hints (`flows.hints`), filling only what the text does not print.

A dump is never loaded whole. `plan` streams it once and returns a reference per row (its number and,
for CSV and JSON Lines, the byte offset where it starts); `read_row` reads one row from its reference
(a seek and one record; Parquet streams its row group through a cursor kept between calls, so the
rows of a batch cost one pass). The bounds of a document apply to a row's text, not to the dump.

Columns: `--text-column` (else the first of `TEXT_COLUMNS` present) and `--title-column`,
`--date-column`, `--url-column` (else the names of `hints.FIELDS`). Names match without case or
surrounding spaces.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from policyflow.flows.hints import FIELDS
from policyflow.flows.ingest import (Ingested, decode_bytes, display_name, inspect, open_regular, read_text,
                                     text_encoding)
from policyflow.schemas.errors import IngestError

DUMP_FORMATS = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
TEXT_COLUMNS = ("text", "content", "正文", "内容", "全文", "body")
HINT_COLUMNS = {"title": FIELDS["title"], "date": FIELDS["date"], "url": FIELDS["url"]}
SAMPLE = 1 << 20          # bytes read to decide a CSV / JSON Lines dump's encoding
KEY_SCAN = 100            # JSON Lines objects whose keys name the columns
BATCH_ROWS = 64           # Parquet rows decoded at a time
MIN_LINE_BOUND = 64 << 20  # a dump line may hold other large columns (raw HTML) beside the text


def column_names(*, text: str | None = None, title: str | None = None, date: str | None = None,
                 url: str | None = None) -> dict | None:
    """The columns a caller named (`--text-column`…, `extract_rows(text_column=…)`), None when it named none."""
    named = {k: v for k, v in (("text", text), ("title", title), ("date", date), ("url", url)) if v}
    return named or None


def is_dump(path: Path | str) -> bool:
    return Path(path).suffix.lower() in DUMP_FORMATS


def row_name(path: Path | str, row: int) -> str:
    """How messages name a row: `/data/crawl.csv row 12`."""
    return f"{display_name(str(path))} row {row}"


def line_bound(max_bytes: int | None) -> int | None:
    """The longest line (and CSV field) read from a dump: well above a row's text limit, since other columns
    may be large too; past it the dump's structure cannot be trusted (CSV) or the row is refused (JSON Lines)."""
    return None if max_bytes is None else max(4 * max_bytes, MIN_LINE_BOUND)


@dataclass(frozen=True)
class Dump:
    """What reading a dump needs: its kind, encoding, where rows start and which columns hold what."""

    path: str                 # absolute
    kind: str                 # csv | jsonl | parquet
    stamp: str                # size and mtime: a reference from another version of the file is refused
    codec: str | None         # Python codec of the lines (CSV, JSON Lines)
    encoding: str | None      # the name records report
    start: int                # CSV: the byte after the header; JSON Lines: after the BOM
    names: tuple[str, ...]    # the columns (CSV header, JSON keys seen, Parquet schema)
    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    delimiter: str = ","
    groups: tuple[int, ...] = ()  # Parquet: rows per row group


@dataclass(frozen=True)
class Cell:
    """One row as read from a dump: the text cell's bytes (in the dump's encoding), its text when those
    bytes decoded cleanly, and the row's hints."""

    row: int
    raw: bytes
    text: str | None
    encoding: str | None
    hint: dict
    warnings: tuple = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def _stamp(path: Path) -> str:
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}"


def _norm(name: object) -> str:
    return str(name).replace("\ufeff", "").strip().lower()


def _resolve(names: list[str], columns: dict | None, fail) -> dict:
    """The column holding the text and those holding title/date/url, by name (explicit ones must exist)."""
    columns = columns or {}
    index: dict[str, str] = {}
    for n in names:
        index.setdefault(_norm(n), n)
    listed = ", ".join(repr(n) for n in names[:30]) + (" ..." if len(names) > 30 else "")
    found = {}
    for field, defaults in (("text", TEXT_COLUMNS), *HINT_COLUMNS.items()):
        asked = columns.get(field)
        if asked:
            if _norm(asked) not in index:
                raise fail(cause=f"no column named {asked!r} (--{field}-column) among its columns {listed or '(none)'}")
            found[field] = index[_norm(asked)]
        else:
            found[field] = next((index[_norm(d)] for d in defaults if _norm(d) in index), None)
    if found["text"] is None:
        raise fail(cause=f"no text column (none of {', '.join(TEXT_COLUMNS)}) among its columns "
                         f"{listed or '(none)'}")
    return found


def _failer(path: Path, kind: str):
    def fail(code: str = "E024", **context) -> IngestError:
        context.setdefault("kind", {"csv": "CSV", "jsonl": "JSON Lines", "parquet": "Parquet"}[kind])
        return IngestError(code, path=display_name(str(path)), stage="ingest", **context)
    return fail


# --- opening ---------------------------------------------------------------------------------

_opened: dict[tuple, Dump] = {}


def open_dump(path: Path, columns: dict | None = None, *, root: Path | None = None,
              max_bytes: int | None = None) -> Dump:
    """Look at a dump (type, place: never its size, a dump may be large) and learn its encoding and
    columns; IngestError E024 when it cannot be read as a dump at all. Cached per file version."""
    path = Path(path)
    kind = DUMP_FORMATS[path.suffix.lower()]
    fail = _failer(path, kind)
    found = inspect(path, root=root)
    stamp = _stamp(found.target)
    key = (os.path.abspath(path), stamp, json.dumps(columns or {}, sort_keys=True), max_bytes)
    if key in _opened:
        return _opened[key]
    try:
        if kind == "parquet":
            dump = _open_parquet(path, found.target, stamp, columns, fail)
        else:
            dump = _open_lines(path, found.target, stamp, kind, columns, max_bytes, fail)
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything else means a file that is not a readable dump
        raise fail(cause=_describe(exc)) from exc
    if len(_opened) > 16:
        _opened.clear()
    _opened[key] = dump
    return dump


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _open_lines(path: Path, target: Path, stamp: str, kind: str, columns: dict | None, max_bytes: int | None,
                fail) -> Dump:
    with open_regular(target) as fh:
        head = fh.read(SAMPLE)
        if not head.strip():
            raise fail(cause="the file is empty")
        start = 3 if head.startswith(codecs.BOM_UTF8) else 0
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise fail(cause="it is UTF-16, which a dump cannot be read from line by line; save it as UTF-8")
        sample = head[start:]
        if len(head) == SAMPLE and b"\n" in sample:
            sample = sample[:sample.rindex(b"\n") + 1]  # never a character cut in half
        encoding = text_encoding(sample)
        if encoding is None:
            raise fail(cause="its bytes decode as no known text encoding (tried UTF-8, GB18030 and detection)")
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            codec = None
        if codec is None or "utf-16" in codec or "utf-32" in codec or "\n".encode(codec) != b"\n":
            raise fail(cause=f"it is {encoding}, which a dump cannot be read from line by line; save it as UTF-8")
        fh.seek(start)
        if kind == "csv":
            delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
            reader = _Records(fh, codec, line_bound(max_bytes), delimiter)
            try:
                header = next(reader.rows(), None)
            except _TooLong as exc:
                raise fail(cause=f"its header is longer than {exc.bound:,} bytes") from None
            except csv.Error as exc:
                raise fail(cause=f"its header is not CSV: {exc}") from None
            if not header:
                raise fail(cause="it has no header row")
            names = [str(h).replace("\ufeff", "").strip() for h in header]
            return Dump(str(os.path.abspath(path)), kind, stamp, codec, encoding, start + reader.pos,
                        tuple(names), delimiter=delimiter, **_resolve(names, columns, fail))
        names: list[str] = []
        seen = 0
        for raw in _lines(fh, line_bound(max_bytes)):
            if raw is _LONG or not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode(codec, "surrogateescape"))
            except ValueError:
                continue
            if isinstance(obj, dict):
                names += [k for k in obj if k not in names]
                seen += 1
                if seen >= KEY_SCAN:
                    break
        if not seen:
            raise fail(cause="no line is a JSON object")
        return Dump(str(os.path.abspath(path)), kind, stamp, codec, encoding, start, tuple(names),
                    **_resolve(names, columns, fail))


def _open_parquet(path: Path, target: Path, stamp: str, columns: dict | None, fail) -> Dump:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(target)
    schema = pf.schema_arrow
    names = list(schema.names)
    found = _resolve(names, columns, fail)
    kind = schema.field(found["text"]).type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind) or pa.types.is_string_view(kind)):
        raise fail(cause=f"its text column {found['text']!r} holds {kind}, not text")
    groups = tuple(pf.metadata.row_group(i).num_rows for i in range(pf.metadata.num_row_groups))
    return Dump(str(os.path.abspath(path)), "parquet", stamp, None, "utf-8", 0, tuple(names), groups=groups, **found)


# --- lines and CSV records with their byte offsets ------------------------------------------------

_LONG = object()  # a line over the bound (its bytes were skipped, never held)


class _TooLong(Exception):
    def __init__(self, bound: int):
        super().__init__(f"a line over {bound:,} bytes")
        self.bound = bound


def _lines(fh, bound: int | None):
    """Lines of a binary file (split at b'\\n', which no byte of a multi-byte character in UTF-8 or GB18030
    can be); a line over `bound` is consumed in chunks and yielded as `_LONG`."""
    while True:
        line = fh.readline(bound + 1) if bound else fh.readline()
        if not line:
            return
        if bound and len(line) > bound and not line.endswith(b"\n"):
            while True:
                chunk = fh.readline(1 << 20)
                if not chunk or chunk.endswith(b"\n"):
                    break
            yield _LONG
            continue
        yield line


class _Records:
    """CSV records of a binary file from its current position; `pos` is the offset (from where reading
    started) just past the last record returned, since csv.reader pulls exactly the lines of a record."""

    def __init__(self, fh, codec: str, bound: int | None, delimiter: str = ","):
        self.fh, self.codec, self.bound, self.delimiter = fh, codec, bound, delimiter
        self.pos = 0
        csv.field_size_limit(bound or 2**31 - 1)

    def _decoded(self):
        for line in _lines(self.fh, self.bound):
            if line is _LONG:
                raise _TooLong(self.bound)
            self.pos += len(line)
            yield line.decode(self.codec, "surrogateescape")

    def rows(self):
        return csv.reader(self._decoded(), delimiter=self.delimiter)


# --- planning ---------------------------------------------------------------------------------


def plan(path: Path, columns: dict | None = None, *, root: Path | None = None,
         max_bytes: int | None = None) -> tuple[list[list], IngestError | None]:
    """References `[row, offset, stamp]` of a dump's data rows in order (row 1 is the first data row; blank
    lines are not rows), read by streaming; and the error that made the dump unreadable, or that ended
    it early (a CSV whose structure breaks at some row: the rows before it stand)."""
    try:
        dump = open_dump(path, columns, root=root, max_bytes=max_bytes)
    except IngestError as exc:
        return [], exc
    refs: list[list] = []
    fail = _failer(Path(path), dump.kind)
    if dump.kind == "parquet":
        return [[n, None, dump.stamp] for n in range(1, sum(dump.groups) + 1)], None
    with open_regular(Path(dump.path)) as fh:
        fh.seek(dump.start)
        if dump.kind == "jsonl":
            at = dump.start
            for line in _lines(fh, line_bound(max_bytes)):
                if line is _LONG or line.strip():
                    refs.append([len(refs) + 1, at, dump.stamp])
                at = fh.tell()
            return refs, None
        reader = _Records(fh, dump.codec, line_bound(max_bytes), dump.delimiter)
        rows, at = reader.rows(), 0
        while True:
            try:
                cells = next(rows, None)
            except (csv.Error, _TooLong) as exc:
                return refs, fail(cause=f"row {len(refs) + 1} (byte {dump.start + at:,}) is not CSV ({exc}); "
                                        f"{len(refs):,} rows before it were read, the rest of the file was not")
            if cells is None:
                return refs, None
            if cells:
                refs.append([len(refs) + 1, dump.start + at, dump.stamp])
            at = reader.pos


# --- reading one row --------------------------------------------------------------------------


def read_row(path: Path, ref: list, columns: dict | None = None, *, root: Path | None = None,
             max_bytes: int | None = None) -> Cell:
    """The row `ref` (from `plan`) of a dump; IngestError naming the row when it cannot be a document."""
    row, at, stamp = ref
    name = row_name(path, row)

    def fail(code: str, **context) -> IngestError:
        return IngestError(code, path=name, stage="ingest", **context)

    dump = open_dump(path, columns, root=root, max_bytes=max_bytes)
    if dump.stamp != stamp:
        raise fail("E025", cause="the dump changed while the run was reading it; run again")
    if dump.kind == "parquet":
        raw, hint_cells = _parquet_row(dump, row)
        text = None
    else:
        raw, text, hint_cells = _line_row(dump, at, max_bytes, fail)
    if raw is None:
        raise fail("E007")
    if max_bytes is not None and len(raw) > max_bytes:
        raise fail("E011", size=f"{len(raw):,}", limit=max_bytes)
    warns: tuple = ()
    encoding = dump.encoding
    if text is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is None or _ESCAPED.search(text):  # bytes the dump's encoding did not decode: decode the cell alone
        try:
            text, encoding, found = decode_bytes(raw)
        except ValueError:
            raise fail("E002") from None
        warns = tuple(found)
    hint = {}
    for field in HINT_COLUMNS:
        value = hint_cells.get(field)
        if isinstance(value, str) and _ESCAPED.search(value):
            value = _clean(value, dump.codec)
        if value is not None and not isinstance(value, (dict, list)):
            value = " ".join(str(value).split())
            if value:
                hint[field] = value
    return Cell(row, raw, text, encoding, hint, warns)


_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes a decoder could not read, kept by 'surrogateescape'


def _clean(value: str, codec: str | None) -> str | None:
    """A hint cell with undecodable bytes: decoded on its own, else dropped (a hint never fails a row)."""
    try:
        return decode_bytes(value.encode(codec or "utf-8", "surrogateescape"))[0]
    except (ValueError, UnicodeError):
        return None


def _line_row(dump: Dump, at: int, max_bytes: int | None, fail) -> tuple[bytes | None, str | None, dict]:
    """(text bytes, text, hint cells) of the CSV record or JSON line at byte `at`."""
    with open_regular(Path(dump.path)) as fh:
        fh.seek(at)
        if dump.kind == "csv":
            try:
                cells = next(_Records(fh, dump.codec, line_bound(max_bytes), dump.delimiter).rows(), None)
            except _TooLong as exc:
                raise fail("E011", size=f"over {exc.bound:,}", limit=max_bytes) from None
            except csv.Error as exc:
                raise fail("E025", cause=f"not CSV: {exc}") from None
            if cells is None:
                raise fail("E025", cause="the dump ends before it; run again")
            where = {f: dump.names.index(c) for f in ("text", *HINT_COLUMNS) if (c := getattr(dump, f))}
            if where["text"] >= len(cells):
                raise fail("E025", cause=f"it has {len(cells)} cells, fewer than the header's {len(dump.names)}")
            record = {getattr(dump, f): cells[i] for f, i in where.items() if i < len(cells)}
        else:
            line = next(_lines(fh, line_bound(max_bytes)), None)
            if line is _LONG:
                raise fail("E011", size=f"over {line_bound(max_bytes):,}", limit=max_bytes)
            if line is None:
                raise fail("E025", cause="the dump ends before it; run again")
            try:
                record = json.loads(line.decode(dump.codec, "surrogateescape"))
            except ValueError as exc:
                raise fail("E025", cause=f"not JSON: {exc}") from None
            if not isinstance(record, dict):
                raise fail("E025", cause=f"the line holds a JSON {type(record).__name__}, not an object")
            if dump.text not in record:
                raise fail("E025", cause=f"it has no {dump.text!r} field")
    value = record.get(dump.text)
    if value is None or value == "":
        return None, None, {}
    if not isinstance(value, str):
        raise fail("E025", cause=f"its {dump.text!r} holds a JSON {type(value).__name__}, not text")
    try:
        raw = value.encode(dump.codec, "surrogateescape")
    except UnicodeEncodeError:  # a JSON escape (\\ud800) that no encoding can hold
        raw = value.encode("utf-8", "surrogatepass")
        value = None
    hints = {f: record.get(c) for f in HINT_COLUMNS if (c := getattr(dump, f))}
    return raw, value, hints


class _Cursor:
    """Streams one Parquet row group; rows asked for in order cost one pass (a batch reads its rows in order)."""

    def __init__(self, dump: Dump, group: int):
        import pyarrow.parquet as pq

        self.key = _cursor_key(dump, group)
        self.columns = {f: c for f in ("text", "title", "date", "url") if (c := getattr(dump, f))}
        names = list(dict.fromkeys(self.columns.values()))
        pf = pq.ParquetFile(dump.path, buffer_size=1 << 20, pre_buffer=False)
        self.batches = pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[group], columns=names, use_threads=False)
        self.first = 0                       # index in the group of the first row held
        self.held: dict[str, list] = {}      # column name -> values of the rows held
        self.count = 0

    def get(self, index: int) -> dict | None:
        """The row's values by field (text as bytes), or None past the group's end."""
        import pyarrow as pa

        while index >= self.first + self.count:
            try:
                batch = next(self.batches)
            except StopIteration:
                return None
            self.first += self.count
            self.held = {}
            for name, col in zip(batch.schema.names, batch.columns):
                if pa.types.is_dictionary(col.type):
                    col = col.dictionary_decode()
                if col.type in (pa.string(), pa.large_string()) or pa.types.is_string_view(col.type):
                    col = col.cast(pa.large_binary())  # bytes: a cell that is not UTF-8 must not raise here
                self.held[name] = col.to_pylist()
            self.count = batch.num_rows
        return {f: self.held[c][index - self.first] for f, c in self.columns.items()}


def _cursor_key(dump: Dump, group: int) -> tuple:
    return (dump.path, dump.stamp, group, dump.text, dump.title, dump.date, dump.url)


_cursor: _Cursor | None = None


def _parquet_row(dump: Dump, row: int) -> tuple[bytes | None, dict]:
    """(text bytes, hint cells) of a Parquet row, through the cursor kept between calls."""
    global _cursor
    index, group = row - 1, 0
    while group < len(dump.groups) and index >= dump.groups[group]:
        index -= dump.groups[group]
        group += 1
    if _cursor is None or _cursor.key != _cursor_key(dump, group) or index < _cursor.first:
        _cursor = None  # close the previous file before opening the next
        _cursor = _Cursor(dump, group)
    values = _cursor.get(index)
    if values is None:
        raise IngestError("E025", path=row_name(dump.path, row), stage="ingest",
                          cause="the dump ends before it; run again")
    hints = {}
    for field in HINT_COLUMNS:
        value = values.get(field)
        hints[field] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return values["text"] or None, hints


def ingest_row(path: Path, cell: Cell) -> Ingested:
    """A row's text as a document (HTML markup read as a page), with the dump's name and the row number."""
    return read_text(cell.text, path=Path(path), display=row_name(path, cell.row), encoding=cell.encoding,
                     sha256=cell.sha256, size_bytes=len(cell.raw), warnings=list(cell.warnings), row=cell.row)


def expand(items: list[tuple[str, str | None]], columns: dict | None = None, *,
           max_bytes: int | None = None) -> tuple[list[tuple], list[tuple[str, IngestError]]]:
    """A run's inputs as documents: a file stays `(path, root, None)`, a dump becomes `(path, root, ref)` per
    row, in row order; and `(dump path, error)` for each dump that could not be read (whole or to its end)."""
    found: list[tuple] = []
    failed: list[tuple[str, IngestError]] = []
    for path, root in items:
        if not is_dump(path):
            found.append((path, root, None))
            continue
        refs, err = plan(Path(path), columns, root=Path(root) if root else None, max_bytes=max_bytes)
        found += [(path, root, ref) for ref in refs]
        if err is not None:
            failed.append((path, err))
    return found, failed
