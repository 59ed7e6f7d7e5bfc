"""Reliability: no single file stops, hangs or exhausts a run; a re-run heals the output; the store keeps
the good copy; outputs are never inputs. One test per hostile case, named after it."""
import errno
import io
import json
import os
import zipfile
from pathlib import Path

import duckdb
import pytest

from policyflow.flows import store, watchdog
from policyflow.flows.documents import Limits, extract_one, process_document
from policyflow.flows.extract_flow import check_overlap, extract_flow, summary_markdown
from policyflow.flows.ingest import MAX_PDF_PAGES, read_document
from helpers import digest_tree
from policyflow.schemas.errors import ConfigError, IngestError

STAMPED = {"registry.json", "tables/revisions.parquet", ".catalog.sha256", "catalog.duckdb",
           store.TABLES_STAMP}


def policy(n: int, extra: str = "") -> str:
    """A short policy of our own: a title, a doc number, two sections, three measures with amounts."""
    return (f"关于支持第{n}类企业创新发展的若干措施\n示府〔2025〕{n}号\n"
            "一、加大研发投入\n"
            f"1.对研发投入超过500万元的企业，给予{n + 10}万元补助。\n"
            "2.支持企业建设研发机构，最高给予200万元奖励。\n"
            "二、强化人才支撑\n"
            f"3.到2027年，引进高层次人才{n + 100}名。{extra}\n")


def _error_code(path: Path, **kw) -> str:
    with pytest.raises(IngestError) as info:
        read_document(path, **kw)
    return info.value.code


# --- look before reading --------------------------------------------------------------------------

def test_ingest_fifo_named_txt_is_an_error_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "upload.txt")
    outcome = process_document(tmp_path / "upload.txt", tmp_path / "out", root=tmp_path)
    assert outcome.status == "error" and outcome.error["code"] == "E001"
    assert "FIFO" in outcome.error["message"]


def test_ingest_symlink_to_dev_zero_is_refused_before_reading(tmp_path):
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    assert _error_code(tmp_path / "zero.txt", root=tmp_path) == "E008"  # outside the folder
    assert _error_code(tmp_path / "zero.txt") == "E001"  # a file argument: a device is not a regular file


def test_ingest_size_is_checked_before_reading(tmp_path):
    big = tmp_path / "sparse_2gb.txt"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024 ** 3)  # sparse: no disk, but reading it would cost 2 GB
    outcome = process_document(big, tmp_path / "out", limits=Limits(time_limit=30))
    assert outcome.error["code"] == "E011"


def test_ingest_non_utf8_file_name_is_escaped_in_records(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    good = os.path.join(os.fsencode(src), "你好.txt".encode("gbk"))  # GBK bytes: not UTF-8
    bad = os.path.join(os.fsencode(src), "政府.txt".encode("gbk"))
    with open(good, "wb") as fh:
        fh.write(policy(1).encode("utf-8"))
    with open(bad, "wb") as fh:
        fh.write(b"")
    summary = extract_flow([str(src)], str(tmp_path / "out"), isolate=False, allow_errors=True)
    assert summary["documents"] == 2 and summary["extracted"] == 1 and len(summary["errors"]) == 1
    assert summary["errors"][0]["filename"] == "\\xd5\\xfe\\xb8\\xae.txt"  # 政府 in GBK, escaped
    doc = next(store.iter_revisions(tmp_path / "out"))
    assert doc["source"]["filename"] == "\\xc4\\xe3\\xba\\xc3.txt"  # 你好 in GBK
    assert (tmp_path / "out" / "tables" / "errors.parquet").exists()


# --- bounded ingest -------------------------------------------------------------------------------

def _docx_with_member(name: str, size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open(name, "w", force_zip64=True) as fh:
            chunk = bytes(1 << 20)
            for _ in range(size >> 20):
                fh.write(chunk)
    return buf.getvalue()


def test_ingest_docx_bomb_is_refused_from_its_directory(tmp_path):
    (tmp_path / "bomb.docx").write_bytes(_docx_with_member("word/media/image1.png", 8 << 20))
    assert _error_code(tmp_path / "bomb.docx") == "E018"


def test_ingest_pdf_page_count_is_bounded(tmp_path):
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(MAX_PDF_PAGES + 1):
        writer.add_blank_page(10, 10)
    writer.write(tmp_path / "pages.pdf")
    assert _error_code(tmp_path / "pages.pdf") == "E018"


def test_ingest_pdf_surrogate_glyph_is_replaced_with_a_warning(tmp_path, monkeypatch):
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(10, 10)
    writer.write(tmp_path / "glyph.pdf")
    monkeypatch.setattr(pypdf.PageObject, "extract_text", lambda self, *a, **k: policy(2) + "\ud800")
    ing = read_document(tmp_path / "glyph.pdf")
    assert "\ud800" not in ing.text and [w["code"] for w in ing.warnings] == ["W005"]


@pytest.mark.parametrize("depth", [300, 3000])
def test_ingest_html_deep_nesting_keeps_the_rest_of_the_page(tmp_path, depth):
    tail = "<p>" + "第二段内容，给予100万元补助。" * 20 + "</p>"
    page = f"<html><body>{'<div>' * depth}一、加大投入。{'</div>' * depth}{tail}</body></html>"
    (tmp_path / "deep.html").write_text(page, encoding="utf-8")
    ing = read_document(tmp_path / "deep.html")
    assert "一、加大投入。" in ing.text and ing.text.count("给予100万元补助") == 20
    assert [w["code"] for w in ing.warnings] == ([] if depth < 2048 else ["W012"])


# --- lenient decoding -----------------------------------------------------------------------------

def test_decode_gb18030_with_one_bad_byte_is_a_warning(tmp_path):
    data = policy(3).encode("gb18030")
    at = data.index("研发".encode("gb18030"))
    (tmp_path / "gb.txt").write_bytes(data[:at] + b"\x80" + data[at:])
    ing = read_document(tmp_path / "gb.txt")
    assert ing.encoding == "gb18030" and [w["code"] for w in ing.warnings] == ["W005"]
    assert "给予13万元补助" in ing.text


def test_decode_utf16_with_a_lone_surrogate_is_a_warning(tmp_path):
    for bom, codec in ((True, "utf-16"), (False, "utf-16-le")):
        data = policy(4).encode(codec) + b"\x00\xd8" + "。".encode("utf-16-le")
        (tmp_path / f"u16_{bom}.txt").write_bytes(data)
        ing = read_document(tmp_path / f"u16_{bom}.txt")
        assert ing.encoding == "utf-16" and [w["code"] for w in ing.warnings] == ["W005"]
        assert "给予14万元补助" in ing.text


# --- the store ------------------------------------------------------------------------------------

def test_store_error_records_are_keyed_by_path(tmp_path):
    for folder, data in (("a", b""), ("b", b""), ("c", b""), ("d", policy(5).encode("utf-8"))):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.txt").write_bytes(data)
    out = tmp_path / "out"
    for folder in "abcd":
        process_document(tmp_path / folder / "x.txt", out)
    records = sorted(json.loads(p.read_text(encoding="utf-8"))["path"] for p in (out / "errors").glob("*.json"))
    assert records == [str(tmp_path / f / "x.txt") for f in "abc"]


def test_store_line_end_copies_keep_one_good_copy(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    text = policy(6)
    (src / "lf.txt").write_bytes(text.encode("utf-8"))
    (src / "cr.txt").write_bytes(text.replace("\n", "\r").encode("utf-8"))
    out = tmp_path / "out"
    summary = extract_flow([str(src)], str(out), isolate=False)
    assert summary["duplicates"] == 1 and summary["new_revisions"] == 1
    stored = list((out / "revisions").glob("*/*.json"))
    assert len(stored) == 1
    doc = json.loads(stored[0].read_text(encoding="utf-8"))
    assert len(doc["measures"]) == 3
    entry = store.load_registry(out)[doc["revision_id"]]
    assert (entry["filename"], entry["source_sha256"]) == (doc["source"]["filename"], doc["source"]["sha256"])
    extract_flow([str(src / "cr.txt"), str(src / "lf.txt")], str(out), isolate=False)
    assert [json.loads(p.read_text(encoding="utf-8"))["source"] for p in (out / "revisions").glob("*/*.json")] \
        == [doc["source"]]


def test_store_argument_order_does_not_change_outputs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for i in range(3):
        (a / f"p{i}.txt").write_text(policy(10 + i), encoding="utf-8")
        (b / f"q{i}.txt").write_text(policy(10 + i).replace("\n", "\r\n"), encoding="utf-8")  # cross-folder twins
    extract_flow([str(a), str(b)], str(tmp_path / "ab"), batch_size=2, isolate=False)
    extract_flow([str(b), str(a)], str(tmp_path / "ba"), batch_size=4, isolate=False)
    skip = lambda rel: rel in STAMPED or rel == ".lock" or rel.startswith(".cache")  # noqa: E731
    assert digest_tree(tmp_path / "ab", skip) == digest_tree(tmp_path / "ba", skip)


# --- safe outputs ---------------------------------------------------------------------------------

def test_output_inside_or_equal_to_input_is_refused_or_skipped(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "p.txt").write_text(policy(20), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        check_overlap([src], src)
    assert info.value.code == "E019"
    with pytest.raises(ConfigError):
        check_overlap([src / "out" / "revisions"], src / "out")
    first = extract_flow([str(src)], str(src / "out"), isolate=False)
    again = extract_flow([str(src)], str(src / "out"), isolate=False)
    assert first["documents"] == again["documents"] == 1 and not again["errors"]


def test_summary_markdown_escapes_names_and_messages():
    summary = {"documents": 1, "extracted": 0, "duplicates": 0, "warnings": 0, "records": {},
               "errors": [{"filename": "<script>alert(1)</script>|[x](javascript:y).txt", "stage": "ingest",
                           "code": "E007", "message": "a\nb | <img src=x onerror=alert(1)>"}]}
    md = summary_markdown(summary)
    row = md.splitlines()[-1]
    assert "<script" not in md and "<img" not in md and "](javascript" not in md
    assert row.count(" | ") == 3 and row.startswith("| ") and row.endswith(" |")


# --- recovery by reconciliation -------------------------------------------------------------------

@pytest.fixture
def two_revisions(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a_draft.txt").write_text(policy(30).replace("若干措施", "若干措施（征求意见稿）"), encoding="utf-8")
    (src / "b_final.txt").write_text(policy(30).replace("给予40万元", "给予50万元"), encoding="utf-8")
    out = tmp_path / "out"
    extract_flow([str(src)], str(out), isolate=False)
    return src, out


def test_reconcile_missing_review_files_are_written_again(two_revisions):
    src, out = two_revisions
    reviews = sorted(p for p in (out / "diffs").rglob("*") if p.is_file() and p.name != "index.html")
    assert len(reviews) == 4  # json, md, html and the stamp (beside diffs/index.html)
    before = {p: p.read_bytes() for p in reviews}
    for p in reviews[:2]:
        p.unlink()
    extract_flow([str(src)], str(out), isolate=False)
    assert {p: p.read_bytes() for p in reviews if p.exists()} == before


def test_reconcile_stale_tables_and_foreign_wal_are_rebuilt(two_revisions):
    src, out = two_revisions
    (out / "tables" / "amounts.parquet").unlink()
    (out / "catalog.duckdb.wal").write_bytes(b"a WAL of a client that died")
    extract_flow([str(src)], str(out), isolate=False)
    con = duckdb.connect(str(out / "catalog.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM amounts").fetchone()[0] > 0
    con.close()


# --- the watchdog ---------------------------------------------------------------------------------

def test_watchdog_stops_a_call_past_its_time_limit():
    dog = watchdog.Watchdog()
    try:
        with pytest.raises(watchdog.Stopped) as info:
            dog.call("time", "sleep", 60, time_limit=0.2)
        assert info.value.reason == "time"
        assert dog.call("operator", "add", 2, 3, time_limit=30) == 5  # a fresh child takes the next call
    finally:
        dog.stop()


def test_watchdog_stops_a_call_over_its_memory_limit():
    dog = watchdog.Watchdog()
    try:
        with pytest.raises(watchdog.Stopped) as info:
            dog.call("operator", "mul", b"x", 1_500_000_000, memory_limit=400, time_limit=60)
        assert info.value.reason == "memory" and info.value.peak_mb > 400
    finally:
        dog.stop()


def test_watchdog_document_past_its_limit_is_an_error_record(tmp_path):
    (tmp_path / "p.txt").write_text(policy(40), encoding="utf-8")
    summary = extract_flow([str(tmp_path / "p.txt")], str(tmp_path / "out"), time_limit=1e-9, allow_errors=True)
    assert [e["code"] for e in summary["errors"]] == ["E015"]


# --- clear errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES], ids=["disk_full", "read_only", "denied"])
def test_cli_unwritable_output_is_one_line_E020_and_keeps_previous_output(tmp_path, monkeypatch, code):
    from typer.testing import CliRunner

    from policyflow.flows.cli import EXIT_OUTPUT, app

    src = tmp_path / "src"
    src.mkdir()
    (src / "p.txt").write_text(policy(50), encoding="utf-8")
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["extract", str(src), "--out", str(out), "--no-isolate"]).exit_code == 0
    before = digest_tree(out / "revisions")
    (src / "q.txt").write_text(policy(51), encoding="utf-8")

    def unwritable(*a, **k):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(store, "atomic_write", unwritable)
    result = CliRunner().invoke(app, ["extract", str(src), "--out", str(out), "--no-isolate"])
    assert result.exit_code == EXIT_OUTPUT
    assert "[E020]" in result.output and os.strerror(code) in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert digest_tree(out / "revisions") == before


def test_cli_rich_markup_and_escapes_in_names_are_printed_literally(tmp_path):
    from typer.testing import CliRunner

    from policyflow.flows.cli import app

    src = tmp_path / "src"
    src.mkdir()
    (src / "[bold]x[italic] \x1b[31m.txt").write_bytes(b"")
    result = CliRunner().invoke(app, ["extract", str(src), "--out", str(tmp_path / "out"), "--no-isolate"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    flat = " ".join(result.output.split())
    assert "[bold]x[italic]" in flat and "\x1b" not in result.output and "\\x1b" in flat


# --- failures the orchestrator sees ---------------------------------------------------------------

def test_flow_with_a_failed_document_ends_failed_with_its_summary(tmp_path):
    from prefect.artifacts import Artifact

    from policyflow.schemas.errors import RunFailed

    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text(policy(60), encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    state = extract_flow([str(src)], str(tmp_path / "out"), isolate=False, return_state=True)
    assert state.is_failed()
    with pytest.raises(RunFailed) as info:
        state.result()
    assert info.value.code == "E022" and info.value.summary["extracted"] == 1
    assert len(info.value.summary["errors"]) == 1 and len(list((tmp_path / "out" / "revisions").glob("*/*.json"))) == 1
    assert Artifact.get("policyflow-extract-summary") is not None


def test_flow_with_a_missing_input_ends_failed(tmp_path):
    state = extract_flow([str(tmp_path / "nowhere")], str(tmp_path / "out"), return_state=True)
    assert state.is_failed()
    with pytest.raises(ConfigError) as info:
        state.result()
    assert info.value.code == "E023" and "nowhere" in info.value.message


@pytest.mark.parametrize("include, exclude, kept", [
    (None, None, ["a.txt", "drafts/b.txt", "Thumbs.db"]),
    (None, ["Thumbs.db"], ["a.txt", "drafts/b.txt"]),
    (["*.txt"], ["drafts/*"], ["a.txt"]),
], ids=["all", "exclude_name", "include_and_exclude_path"])
def test_inputs_include_and_exclude_globs(tmp_path, include, exclude, kept):
    from policyflow.flows.extract_flow import resolve_inputs

    (tmp_path / "drafts").mkdir()
    for name in ("a.txt", "drafts/b.txt", "Thumbs.db"):
        (tmp_path / name).write_text(policy(70), encoding="utf-8")
    found = resolve_inputs([tmp_path], include=include, exclude=exclude)
    assert sorted(f.relative_to(tmp_path).as_posix() for f, _ in found) == sorted(kept)
