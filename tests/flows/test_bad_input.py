"""The bad-input catalogue: each case gives an error or warning record naming the file and the cause,
nothing reaches the console as a traceback, and the other documents of the run are unaffected."""
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from policyflow.flows.extract_flow import Limits, process_document

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
GOOD = (ROOT / "raw" / "004_c7350d76604f76d1.txt").read_text(encoding="utf-8")


def _own(name: str) -> str:
    """GOOD with a sentence of its own, so that no two cases are the same revision."""
    return GOOD + f"\n本件编号{abs(hash(name)) % 100000}。"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    return buf.getvalue()


# name -> (bytes, expected code: an error code, or a warning code on an extracted document)
CATALOGUE = {
    "empty.txt": (b"", "E007"),
    "blank.txt": (" \n\t\r\n\u3000".encode("utf-8"), "E007"),
    "image.txt": (PNG, "E002"),
    "archive.txt": (_zip(), "E002"),
    "truncated.txt": ((_own("t") + "完").encode("utf-8")[:-1], "W005"),
    "gb18030_misleading_bom.txt": (b"\xef\xbb\xbf" + _own("g").encode("gb18030"), "W010"),
    "misleading_meta.html": (("<html><head><meta charset='utf-8'></head><body><p>" + _own("m") + "</p></body></html>")
                             .encode("gb18030"), None),
    "no_body.html": (f"<html><p>{GOOD[:2000]}</p></html>".encode("utf-8"), "W007"),
    "not_a_zip.docx": (GOOD.encode("utf-8"), "E004"),
    "no_text_layer.pdf": (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]"
                          b"/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
                          b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
                          b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF", "E006"),
    "name with spaces 和 unicode.txt": (GOOD.encode("utf-8"), None),
    "policy..v2..final.txt": (_own("d").encode("utf-8"), None),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    src = tmp_path_factory.mktemp("bad")
    for name, (data, _) in CATALOGUE.items():
        (src / name).write_bytes(data)
    (src / "single_5mb_line.txt").write_text("给予10万元补助，" * 560_000, encoding="utf-8")
    with open(src / "huge_50mb.txt", "wb") as fh:
        fh.write(("一、任务\n" + "1.支持。给予10万元补助。\n" * 100).encode("utf-8") * 25_000)
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text(GOOD, encoding="utf-8")
    (src / "link_outside.txt").symlink_to(outside)
    out = tmp_path_factory.mktemp("out")
    proc = subprocess.run([str(BIN / "policyflow"), "extract", str(src), "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    return src, out, proc


def _records(out: Path) -> dict[str, dict]:
    import json

    errors = {json.loads(p.read_text(encoding="utf-8"))["filename"]: json.loads(p.read_text(encoding="utf-8"))
              for p in (out / "errors").glob("*.json")}
    docs = {}
    for p in (out / "revisions").glob("*/*.json"):
        d = json.loads(p.read_text(encoding="utf-8"))
        docs[d["source"]["filename"]] = d
    return {"errors": errors, "docs": docs}


@pytest.mark.parametrize("name", [*CATALOGUE, "huge_50mb.txt", "link_outside.txt"])
def test_bad_input_gives_a_named_record(run, name):
    _, out, _ = run
    rec = _records(out)
    expected = {"huge_50mb.txt": "E011", "link_outside.txt": "E008"}.get(name, CATALOGUE.get(name, (0, None))[1])
    if expected and expected.startswith("E"):
        assert rec["errors"][name]["code"] == expected
        assert name in rec["errors"][name]["path"] and rec["errors"][name]["message"]
    elif expected:
        assert expected in [w["code"] for w in rec["docs"][name]["warnings"]]
    else:
        assert name in rec["docs"] and name not in rec["errors"]


def test_bad_input_single_long_line_is_read_up_to_the_figure_cap(run):
    _, out, _ = run
    doc = _records(out)["docs"]["single_5mb_line.txt"]
    assert "W009" in [w["code"] for w in doc["warnings"]]
    assert len(doc["amounts"]) == 20_000


def test_bad_input_console_has_no_traceback_and_says_where(run):
    _, out, proc = run
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "failed; error records in" in proc.stderr


def test_bad_input_other_documents_unaffected(run, tmp_path):
    _, out, _ = run
    alone = process_document(ROOT / "raw" / "004_c7350d76604f76d1.txt", tmp_path, limits=Limits())
    docs = _records(out)["docs"]
    twin = docs["name with spaces 和 unicode.txt"]
    assert twin["revision_id"] == alone.revision_id
    assert {k: len(twin[k]) for k in alone.counts} == alone.counts


def test_bad_input_time_limit_records_error(tmp_path):
    (tmp_path / "slow.txt").write_text(GOOD, encoding="utf-8")
    outcome = process_document(tmp_path / "slow.txt", tmp_path / "out", limits=Limits(time_limit=1e-9))
    assert outcome.status == "error" and outcome.error["code"] == "E015"
    assert "slow.txt" in outcome.error["message"] and "time limit" in outcome.error["message"]
