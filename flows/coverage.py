"""Corpus coverage: how often each field and record kind is found, over a folder of real documents.

No gold and no Prefect: the bare pipeline (`read_document` -> `build_document`) runs on every
supported file under the given paths, and the figures say what share of documents got a title,
an issuer, a 发文字号, measures, amounts... overall and per top-level subfolder, so that a layout
family that collapses (every document of one crawl losing its measures) is visible. A document
that fails is counted by error code and the run goes on.

Shares are over all documents (a document that fails has none of the fields), records per document
likewise.
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from policyflow.flows.extract_flow import KINDS, Limits, Progress, build_document
from policyflow.flows.hints import Hints
from policyflow.flows.ingest import FORMATS, iter_sources, read_document
from policyflow.schemas.errors import PolicyflowError

FIELDS = ("title", "issuer", "doc_number", "issue_date")
# keys of `shares`: a metadata field present (title_in_text: found in the text itself, not in source
# hints), or at least one record of a kind
SHARES = FIELDS + ("title_in_text",) + KINDS
TOP = "."  # the group of files given directly, or lying directly in a given folder
SLOWEST = 5


def supported(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, group) for every supported file under `paths`; group is the top-level subfolder."""
    roots = [Path(p) for p in paths]
    dirs = [r for r in roots if r.is_dir()]
    out = []
    for f in iter_sources(roots):
        if f.suffix.lower() not in FORMATS:
            continue
        out.append((f, _group(f, dirs)))
    return out


def _group(f: Path, dirs: list[Path]) -> str:
    for d in dirs:
        try:
            rel = f.relative_to(d)
        except ValueError:
            continue
        first = rel.parts[0] if len(rel.parts) > 1 else TOP
        if len(dirs) == 1:
            return first
        return d.name if first == TOP else f"{d.name}/{first}"  # several folders: name them
    return TOP


class _Tally:
    """Counts for one group of documents (or the whole run)."""

    def __init__(self):
        self.documents = 0
        self.errors: Counter = Counter()
        self.has: Counter = Counter()
        self.records: Counter = Counter()
        self.warnings: Counter = Counter()
        self.warning_documents: Counter = Counter()

    def add(self, doc: dict | None, code: str | None) -> None:
        self.documents += 1
        if doc is None:
            self.errors[code] += 1
            return
        md = doc["metadata"]
        self.has.update(k for k in FIELDS if md.get(k))
        hinted = {f.strip() for w in doc["warnings"] if w["code"] == "W011"
                  for f in w["message"].split(" taken from")[0].split(",")}
        if md.get("title") and "title" not in hinted:
            self.has["title_in_text"] += 1
        self.has.update(k for k in KINDS if doc[k])
        self.records.update({k: len(doc[k]) for k in KINDS})
        codes = [w["code"] for w in doc["warnings"]]
        self.warnings.update(codes)
        self.warning_documents.update(set(codes))

    def figures(self) -> dict:
        n = self.documents

        def share(c: int) -> float | None:
            return round(c / n, 4) if n else None

        return {
            "documents": n,
            "errors": {"count": sum(self.errors.values()), "by_code": dict(sorted(self.errors.items()))},
            "shares": {k: share(self.has[k]) for k in SHARES},
            "records": {k: {"total": self.records[k], "per_document": round(self.records[k] / n, 2) if n else None}
                        for k in KINDS},
            "warnings": {c: {"count": self.warnings[c], "documents": self.warning_documents[c]}
                         for c in sorted(self.warnings)},
        }


def _one(path: Path, limits: Limits, hint: dict | None = None) -> tuple[dict | None, dict | None]:
    """(document, None) or (None, failure); never raises."""
    stage = "ingest"
    try:
        ing = read_document(path, max_bytes=limits.max_bytes)
        stage = "extract"
        return build_document(ing, time_limit=limits.time_limit, hints=hint), None
    except PolicyflowError as exc:
        return None, {"file": str(path), "code": exc.code, "stage": exc.stage or stage, "message": exc.message}
    except Exception as exc:  # noqa: BLE001 - a coverage run counts every failure and goes on
        cause = str(exc).splitlines()[0] if str(exc) else ""
        return None, {"file": str(path), "code": "E009", "stage": stage, "exception": type(exc).__name__,
                      "message": f"{type(exc).__name__}: {cause}"}


def _warm_up() -> float:
    """Load the lazily built spaCy/jieba pipeline (~2 s, once per process) before the clock starts, so
    that neither the throughput nor the slowest-documents list charges it to the first document that needs it."""
    t0 = time.perf_counter()
    try:
        from policyflow.extractors.nlp import pipeline

        pipeline()
    except Exception:  # noqa: BLE001 - only a warm-up: the documents will load (or fail) it themselves
        pass
    return time.perf_counter() - t0


def coverage(paths: list[Path], *, progress: bool = False, limits: Limits = Limits(), hints: Hints | None = None) -> dict:
    """Run the bare pipeline on every supported file under `paths`; the coverage figures as a dict.

    With `hints` (a crawl's manifest, flows/hints.py) a title the text does not print comes from it;
    `title_in_text` still counts the titles found in the texts alone.
    """
    files = supported(paths)
    total, groups = _Tally(), {g: _Tally() for g in sorted({g for _, g in files})}
    failures, timings = [], []
    setup = _warm_up() if files else 0.0
    started = time.perf_counter()
    with Progress(progress, len(files), label="coverage", stderr=True) as bar:
        for path, group in files:
            t0 = time.perf_counter()
            root = next((Path(p) for p in paths if Path(p).is_dir() and Path(p) in path.parents), None)
            doc, failure = _one(path, limits, hints.for_file(path, root) if hints else None)
            timings.append((time.perf_counter() - t0, str(path)))
            code = failure["code"] if failure else None
            total.add(doc, code)
            groups[group].add(doc, code)
            if failure:
                failures.append(failure)
            bar.advance()
    seconds = time.perf_counter() - started
    result = total.figures()
    result["errors"]["unexpected"] = sum(f["code"] == "E009" for f in failures)
    result["failures"] = failures
    result["seconds"] = round(seconds, 2)
    result["setup_seconds"] = round(setup, 2)
    result["documents_per_second"] = round(len(files) / seconds, 1) if seconds > 0 else None
    result["slowest"] = [{"file": p, "seconds": round(s, 3)} for s, p in sorted(timings, reverse=True)[:SLOWEST]]
    result["folders"] = {g: t.figures() for g, t in groups.items()}
    result["hints"] = {"file": hints.source, "rows": len(hints)} if hints else None
    return result


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def render(result: dict) -> str:
    """A plain-text table: shares overall and per folder, records per kind, errors, warnings."""
    cols = [("all", result)] + list(result["folders"].items())
    if len(cols) == 2 and cols[1][1]["documents"] == result["documents"]:
        cols = cols[:1]  # a single folder: its column would repeat the total
    width = max(12, *(len(name) + 2 for name, _ in cols))
    head = f"{'':16}" + "".join(f"{name:>{width}}" for name, _ in cols)
    lines = [f"{result['documents']} documents in {result['seconds']} s "
             f"({result['documents_per_second']} documents/s; models loaded in {result['setup_seconds']} s before), "
             f"{result['errors']['count']} errors"
             + (f"; source hints from {result['hints']['file']} ({result['hints']['rows']} rows)"
                if result.get("hints") else ""), "", head]
    lines.append(f"{'documents':16}" + "".join(f"{r['documents']:>{width}}" for _, r in cols))
    lines.append(f"{'errors':16}" + "".join(f"{r['errors']['count']:>{width}}" for _, r in cols))
    for k in SHARES:
        lines.append(f"{k:16}" + "".join(f"{_pct(r['shares'][k]):>{width}}" for _, r in cols))
    lines += ["", f"{'records':16}{'total':>10}{'per doc':>10}"]
    for k in KINDS:
        rec = result["records"][k]
        per = "—" if rec["per_document"] is None else f"{rec['per_document']:.2f}"
        lines.append(f"{k:16}{rec['total']:>10}{per:>10}")
    if result["errors"]["by_code"]:
        lines += ["", "errors by code: " + ", ".join(f"{c} {n}" for c, n in result["errors"]["by_code"].items())]
        for f in result["failures"][:10]:
            lines.append(f"  {f['file']} [{f['code']}] {f['message']}")
        if len(result["failures"]) > 10:
            lines.append(f"  … and {len(result['failures']) - 10} more (--json FILE lists them all)")
    if result["warnings"]:
        lines += ["", "warnings (count / documents): "
                  + ", ".join(f"{c} {w['count']}/{w['documents']}" for c, w in result["warnings"].items())]
    if result["slowest"]:
        lines += ["", "slowest: " + ", ".join(f"{Path(s['file']).name} {s['seconds']:.2f} s"
                                              for s in result["slowest"])]
    return "\n".join(lines)


def parse_floors(spec: str | None) -> dict[str, float]:
    """`title=0.95,laws/measures=0.5` -> {"title": 0.95, "laws/measures": 0.5}; ValueError when malformed."""
    floors = {}
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"bad floor {part!r}: expected NAME=VALUE, e.g. title=0.95")
        if key.rpartition("/")[2] not in SHARES:
            raise ValueError(f"unknown floor {key!r}: expected one of {', '.join(SHARES)} (or FOLDER/NAME)")
        try:
            floors[key] = float(value)
        except ValueError:
            raise ValueError(f"bad floor {part!r}: {value.strip()!r} is not a number") from None
    return floors


def below_floors(result: dict, floors: dict[str, float]) -> list[str]:
    """Human-readable failures: `title = 0.91 < 0.95`, `laws/measures = 0.2 < 0.5` (a missing folder fails)."""
    out = []
    for key, floor in floors.items():
        folder, _, name = key.rpartition("/")
        figures = result["folders"].get(folder) if folder else result
        got = figures["shares"][name] if figures else None
        if got is None or got < floor:
            out.append(f"{key} = {got} < {floor}" + ("" if figures else f" (no folder {folder!r})"))
    return out
