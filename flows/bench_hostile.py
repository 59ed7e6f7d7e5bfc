"""`make bench-hostile`: what hostile files cost a run, as figures (seconds, peak memory, the error code).

Builds the cases of the reliability issue in a temporary folder and runs each through the flow's
per-document path (`run_document`, under the watchdog):

- pdf_99k_pages: a small PDF whose page tree holds 99,000 pages;
- docx_3gb_image: a .docx whose image member inflates to 3 GB (about 3 MB on disk);
- text_2gb: a 2 GB text file (sparse: it costs no disk);
- diff_2000_measures: a draft/final pair with 2,000 measures each (one inserted, amounts changed),
  reviewed (diff JSON, Markdown, HTML) as the flow does.

peak_rss_mb is the larger of this process's peak resident memory and the watchdog child's during the case
(sampled every 50 ms).
Prints one JSON object.
"""
from __future__ import annotations

import json
import resource
import shutil
import tempfile
import time
import zipfile
from pathlib import Path


def pdf_from_objects(objs: list[bytes]) -> bytes:
    """A PDF of the given objects (1 is the catalog) with a correct xref table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def _pdf_pages(path: Path, pages: int) -> None:
    """A small PDF whose one page object is listed `pages` times in the page tree."""
    path.write_bytes(pdf_from_objects([b"<</Type/Catalog/Pages 2 0 R>>",
                                       b"<</Type/Pages/Count %d/Kids[" % pages + b"3 0 R " * pages + b"]>>",
                                       b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>"]))


def _docx_bomb(path: Path, size: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
        with z.open("word/media/image1.png", "w", force_zip64=True) as fh:
            chunk = bytes(1 << 24)
            for _ in range(size >> 24):
                fh.write(chunk)


def _measures(n: int, *, final: bool) -> str:
    """n numbered measures; the final inserts one after the first and raises every 400th amount."""
    items = [f"支持第{i}项工作，对符合条件的企业给予{i * 10 + (5 if final and i % 400 == 0 else 0)}万元补助。"
             for i in range(1, n + 1)]
    if final:
        items.insert(1, "支持科技企业上市融资，给予100万元奖励。")
    head = "关于支持科技创新的若干措施" + ("" if final else "（征求意见稿）")
    return "\n".join([head, "一、支持措施", *(f"{k}.{t}" for k, t in enumerate(items, 1))])


def _peak_mb() -> int:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)


def hostile_files(tmp: Path) -> dict:
    """Each hostile file through the flow's per-document path, under the watchdog."""
    from policyflow.flows import watchdog
    from policyflow.flows.documents import Limits
    from policyflow.flows.extract_flow import run_document

    src, out = tmp / "src", tmp / "out"
    src.mkdir(parents=True, exist_ok=True)
    _pdf_pages(src / "pages.pdf", 99_000)
    _docx_bomb(src / "bomb.docx", 3 << 30)
    with open(src / "huge.txt", "wb") as fh:
        fh.truncate(2 << 30)
    result = {}
    watchdog.shared().start()
    for name, file in (("pdf_99k_pages", "pages.pdf"), ("docx_3gb_image", "bomb.docx"), ("text_2gb", "huge.txt")):
        t = time.perf_counter()
        o = run_document(src / file, out, root=src, use_cache=False, limits=Limits(), hint=None)
        result[name] = {"seconds": round(time.perf_counter() - t, 2), "code": (o.error or {}).get("code"),
                        "file_mb": round((src / file).stat().st_size / 2**20, 1),
                        "peak_rss_mb": max(_peak_mb(), watchdog.shared().peak_mb)}
    watchdog.shared().stop()
    return result


def long_pair(tmp: Path, n: int = 2000) -> dict:
    """A draft/final pair of n measures reviewed as the flow does (diff JSON, Markdown, HTML)."""
    from policyflow.flows.documents import build_document
    from policyflow.flows.ingest import Ingested
    from policyflow.flows.review import write_review

    def doc(text: str, name: str) -> dict:
        ing = Ingested(path=Path(name), filename=name, text=text, encoding="utf-8", format="text", sha256=name * 4,
                       size_bytes=len(text.encode()), portal={}, warnings=[])
        return build_document(ing, time_limit=None)

    old, new = doc(_measures(n, final=False), "draft"), doc(_measures(n, final=True), "final")
    t = time.perf_counter()
    paths = write_review(tmp / "out", old, new)
    changes = json.loads(paths["json"].read_text(encoding="utf-8"))["changes"]
    return {"seconds": round(time.perf_counter() - t, 2), "measures": [len(old["measures"]), len(new["measures"])],
            "changes": len(changes), "peak_rss_mb": _peak_mb()}


def run(workdir: Path | None = None, *, measures: int = 2000) -> dict:
    tmp = Path(workdir or tempfile.mkdtemp(prefix="policyflow-hostile-"))
    result = hostile_files(tmp)
    result[f"diff_{measures}_measures"] = long_pair(tmp, measures)
    if workdir is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def main() -> None:
    print(json.dumps(run(), ensure_ascii=False))


if __name__ == "__main__":
    main()
