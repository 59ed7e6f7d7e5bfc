"""Source hints: metadata a crawl or a catalogue keeps beside each text (title, date, url).

Crawled corpora usually arrive as text files plus a manifest whose columns hold what the page
showed around the text: its title, its publication date, its address. Many crawled texts do not
print their own title, so the manifest is the only place it is. A hints file is a CSV (UTF-8,
a BOM allowed) or JSON Lines file with one row per document:

- a key column naming the file: `file`, `filename`, `path` or `name` (a path relative to the
  input folder, or a base name);
- any of `title` (or 标题), `date` (publish_date, 发布日期, 发布时间, 成文日期), `url` (访问地址, 链接);
  the url is kept as the revision's `source.url`.

Hints fill only what the text does not print; each filled field is named in a W011 warning. A crawl
dump's rows (flows/dumps.py) carry their own hints in the same columns.
"""
from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from policyflow.schemas.errors import HintsError

KEY_COLUMNS = ("file", "filename", "path", "name", "文件")
FIELDS = {"title": ("title", "标题", "名称"), "date": ("date", "publish_date", "发布日期", "发布时间", "成文日期"),
          "url": ("url", "访问地址", "链接", "原文链接")}


@dataclass
class Hints:
    """Hints by relative path and by base name (a base name that repeats is ambiguous and not used)."""

    by_path: dict[str, dict] = field(default_factory=dict)
    by_name: dict[str, dict | None] = field(default_factory=dict)
    source: str | None = None

    def __len__(self) -> int:
        return len(self.by_path)

    def for_file(self, path: Path, root: Path | None = None) -> dict | None:
        """The hints of one input file: its path under `root`, else the longest key its path ends with,
        else its base name when that is unique in the hints file."""
        p = PurePosixPath(Path(path).as_posix())
        if root is not None:
            try:
                rel = PurePosixPath(Path(path).resolve().relative_to(Path(root).resolve()).as_posix())
                if str(rel) in self.by_path:
                    return self.by_path[str(rel)]
            except ValueError:
                pass
        parts = p.parts
        for k in range(len(parts)):
            hit = self.by_path.get(str(PurePosixPath(*parts[k:])))
            if hit is not None:
                return hit
        return self.by_name.get(p.name)


def _pick(row: dict, names: tuple[str, ...]) -> str | None:
    for n in names:
        v = row.get(n)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def load_hints(path: Path) -> Hints:
    """Read a hints file; raise HintsError (E016) with the cause when it cannot be used."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise HintsError("E016", path=str(path), cause=str(exc)) from exc
    rows: list[dict] = []
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise HintsError("E016", path=str(path), cause=f"line {n}: {exc}") from exc
            if not isinstance(row, dict):
                raise HintsError("E016", path=str(path), cause=f"line {n}: not a JSON object")
            rows.append(row)
        columns = {k for row in rows for k in row}  # JSON Lines rows need not share their keys
    else:
        try:
            reader = csv.DictReader(raw.splitlines())
            rows = list(reader)
        except csv.Error as exc:
            raise HintsError("E016", path=str(path), cause=str(exc)) from exc
        columns = set(reader.fieldnames or ())
    key = next((k for k in KEY_COLUMNS if k in columns), None)
    if key is None:
        raise HintsError("E016", path=str(path),
                         cause=f"no key column (one of {', '.join(KEY_COLUMNS)}) in the header")
    hints = Hints(source=str(path))
    for row in rows:
        name = _pick(row, (key,))
        if not name:
            continue
        values = {f: v for f, names in FIELDS.items() if (v := _pick(row, names))}
        if not values:
            continue
        rel = str(PurePosixPath(name.replace("\\", "/")))
        hints.by_path[rel] = values
        base = PurePosixPath(rel).name
        hints.by_name[base] = None if base in hints.by_name else values
    return hints


def digest(hint: dict | None) -> str:
    """A short digest of one file's hints, so that the incremental cache re-extracts when they change."""
    if not hint:
        return ""
    return hashlib.sha256(json.dumps(hint, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:12]
