"""Crawl dumps (CSV / TSV / JSON Lines / Parquet, one page per row) as a source format: rows become revisions
with their row numbers, the row's title/date/url are hints, a bad row is one error record and the rest goes on,
the cache works per row, and the output does not depend on batches."""
import csv
import io
import json
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from policyflow.flows import dumps, store, watchdog
from policyflow.flows import extract_flow as flow_module
from policyflow.flows.cli import app
from policyflow.flows.documents import Limits
from policyflow.flows.extract_flow import extract_flow, run_document
from helpers import digest_tree

# Invented texts. NOTICE prints no title, issuer or date: only the dump's columns know them.
NOTICE = ("为加快建设创新型城市，推动科技成果转化，结合本市实际，制定如下措施。\n"
          "一、支持企业建设研发机构。对新认定的市级工程技术研究中心给予20万元奖励。\n"
          "二、鼓励成果转化。对技术合同成交额超过500万元的项目，按成交额的2%给予补助，最高不超过30万元。\n"
          "三、本措施自2024年3月1日起施行。\n")
TITLED = ("青山市促进科技企业孵化器发展办法\n"
          "第一条 为促进科技企业孵化器高质量发展，制定本办法。\n"
          "第二条 对新认定的国家级孵化器给予100万元一次性奖励。\n"
          "第三条 本办法自2024年5月1日起施行。\n")
THIRD = NOTICE.replace("工程技术研究中心", "重点实验室").replace("20万元", "50万元")
FOURTH = TITLED.replace("孵化器", "众创空间").replace("100万元", "40万元")
ROWS = [
    {"标题": "青山市科学技术局关于加快科技成果转化的若干措施", "发布日期": "2024-02-20 10:30:00",
     "链接": "http://example.invalid/a", "正文": NOTICE},
    {"标题": "某某错误标题", "发布日期": "2024年4月2日", "链接": "http://example.invalid/b", "正文": TITLED},
    {"标题": "青山市支持重点实验室建设的若干措施", "发布日期": "", "链接": "", "正文": THIRD},
]


def write_csv(path: Path, rows: list[dict], *, encoding: str = "utf-8-sig", delimiter: str = ",") -> Path:
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=delimiter)
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_jsonl(path: Path, rows: list, *, raw_lines: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    for i, line in (raw_lines or {}).items():
        lines.insert(i, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def revisions(out: Path) -> dict[int, dict]:
    """Stored revisions by their source row."""
    return {d["source"]["row"]: d for d in store.iter_revisions(out)}


def errors(out: Path) -> list[dict]:
    return sorted((json.loads(p.read_text(encoding="utf-8")) for p in (out / "errors").glob("*.json")),
                  key=lambda e: (e["path"], e.get("row") or 0))


def w011(doc: dict) -> list[str]:
    return [f.strip() for w in doc["warnings"] if w["code"] == "W011"
            for f in w["message"].split(" taken from")[0].split(",")]


def run(paths, out, **kw) -> dict:
    kw.setdefault("isolate", False)
    kw.setdefault("allow_errors", True)
    return extract_flow([str(p) for p in paths], str(out), **kw)


# --- plan and read_row ---------------------------------------------------------------------------


def test_plan_numbers_data_rows_and_skips_blank_lines(tmp_path):
    path = tmp_path / "crawl.csv"
    path.write_bytes(("\ufefftitle,text\r\n"
                      "甲,\"第一行\r\n第二行，含有\"\"引号\"\"和,逗号\"\r\n"
                      "\r\n"
                      "乙,第二条正文\r\n").encode("utf-8"))
    refs, err = dumps.plan(path)
    assert err is None and [r[0] for r in refs] == [1, 2]
    first, second = (dumps.read_row(path, r) for r in refs)
    assert first.text == "第一行\r\n第二行，含有\"引号\"和,逗号" and first.hint == {"title": "甲"}
    assert (second.row, second.text, second.encoding) == (2, "第二条正文", "utf-8")


def test_plan_jsonl_counts_bad_lines_as_rows(tmp_path):
    path = write_jsonl(tmp_path / "crawl.jsonl", [{"content": NOTICE}, {"content": TITLED}],
                       raw_lines={1: "{not json", 2: ""})
    refs, err = dumps.plan(path)
    assert err is None and [r[0] for r in refs] == [1, 2, 3]
    assert dumps.read_row(path, refs[2]).text == TITLED
    with pytest.raises(Exception) as bad:
        dumps.read_row(path, refs[1])
    assert bad.value.code == "E025" and "row 2" in bad.value.message and "not JSON" in bad.value.message


def test_plan_unreadable_dumps_give_one_clear_error(tmp_path):
    no_text = write_csv(tmp_path / "manifest.csv", [{"file": "a.txt", "title": "甲"}])
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("text\r\n正文\r\n".encode("utf-16"))
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    named = write_csv(tmp_path / "named.csv", [{"text": NOTICE}])
    for path, columns, words in ((no_text, None, "no text column"), (utf16, None, "UTF-16"),
                                 (broken, None, "Parquet crawl dump"), (named, {"text": "body_html"}, "'body_html'")):
        refs, err = dumps.plan(path, columns)
        assert refs == [] and err.code == "E024", path
        assert words in err.message and str(path) in err.message


def test_plan_csv_broken_midway_keeps_the_rows_before(tmp_path, monkeypatch):
    monkeypatch.setattr(dumps, "MIN_LINE_BOUND", 2000)
    path = write_csv(tmp_path / "crawl.csv", [{"text": NOTICE}, {"text": TITLED}, {"text": "长" * 5000},
                                              {"text": THIRD}])
    refs, err = dumps.plan(path, max_bytes=400)
    assert [r[0] for r in refs] == [1, 2]
    assert err.code == "E024" and "row 3" in err.message and "2 rows before it were read" in err.message


def test_plan_streams_a_large_dump(tmp_path):
    path = tmp_path / "big.csv"
    row = NOTICE.replace("\n", "\r\n") * 20
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        for i in range(3000):
            w.writerow([i, row])
    assert path.stat().st_size > 20_000_000
    tracemalloc.start()
    refs, err = dumps.plan(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert err is None and len(refs) == 3000
    assert peak < 10_000_000  # the encoding sample, the row index and one record at a time: never the file


def test_read_row_decodes_a_gbk_csv(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", ROWS, encoding="gb18030")
    refs, _ = dumps.plan(path)
    cell = dumps.read_row(path, refs[1])
    assert (cell.text, cell.encoding) == (TITLED, "gb18030")
    assert cell.hint == {"title": "某某错误标题", "date": "2024年4月2日", "url": "http://example.invalid/b"}
    assert cell.raw == TITLED.encode("gb18030")


def test_read_row_decodes_a_stray_gbk_cell_in_a_utf8_dump(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("text,title\n".encode() + NOTICE.replace("\n", "").encode("gb18030") + b",x\n"
                     + "正文二,y\n".encode())
    refs, _ = dumps.plan(path)
    first = dumps.read_row(path, refs[0])
    assert (first.text, first.encoding) == (NOTICE.replace("\n", ""), "gb18030")
    assert dumps.read_row(path, refs[1]).encoding == "utf-8"


def test_read_row_refuses_a_dump_changed_since_the_plan(tmp_path):
    path = write_csv(tmp_path / "crawl.csv", ROWS)
    refs, _ = dumps.plan(path)
    write_csv(path, ROWS[::-1] + ROWS)
    with pytest.raises(Exception) as changed:
        dumps.read_row(path, refs[0])
    assert changed.value.code == "E025" and "changed" in changed.value.message


# --- the flow ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("csv")
    src = tmp / "src"
    src.mkdir()
    write_csv(src / "crawl.csv", ROWS)
    out = tmp / "out"
    return src, out, run([src], out)


def test_extract_flow_dump_rows_become_revisions_with_row_numbers(csv_run):
    src, out, summary = csv_run
    assert (summary["documents"], summary["extracted"], summary["errors"]) == (3, 3, [])
    docs = revisions(out)
    assert sorted(docs) == [1, 2, 3]
    first = docs[1]["source"]
    assert first["filename"] == "crawl.csv" and first["url"] == "http://example.invalid/a"
    assert first["sha256"] == __import__("hashlib").sha256(NOTICE.encode()).hexdigest()
    assert (first["format"], first["encoding"], first["size_bytes"]) == ("text", "utf-8", len(NOTICE.encode()))
    assert docs[1]["text"] == NOTICE
    documents = pq.read_table(out / "tables" / "documents.parquet").to_pylist()
    assert sorted((d["row"], d["url"]) for d in documents) == [(1, "http://example.invalid/a"),
                                                                (2, "http://example.invalid/b"), (3, None)]


def test_extract_flow_dump_hints_fill_only_what_the_text_does_not_print(csv_run):
    _, out, _ = csv_run
    docs = revisions(out)
    hinted = docs[1]["metadata"]
    assert (hinted["title"], hinted["issuer"], hinted["publish_date"]) == ("关于加快科技成果转化的若干措施",
                                                                          "青山市科学技术局", "2024-02-20")
    assert w011(docs[1]) == ["title", "issuer", "publish_date"]
    printed = docs[2]["metadata"]
    assert printed["title"] == "青山市促进科技企业孵化器发展办法"  # the text's own title wins over the column
    assert "title" not in w011(docs[2]) and printed["publish_date"] == "2024-04-02"
    assert docs[3]["metadata"]["publish_date"] is None and w011(docs[3]) == ["title"]


def test_extract_flow_dump_rerun_is_byte_identical(csv_run, tmp_path):
    src, out, _ = csv_run
    before = digest_tree(out)
    again = run([src], out)
    assert (again["extracted"], again["unchanged"]) == (0, 3)
    assert digest_tree(out) == before


def test_extract_flow_bad_rows_are_isolated(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    big = NOTICE * 40
    write_csv(src / "crawl.csv", [{"text": NOTICE, "title": "甲"}, {"text": "", "title": "空"},
                                  {"text": big, "title": "长"}, {"text": "   \r\n ", "title": "白"},
                                  {"text": TITLED, "title": "乙"}])
    write_jsonl(src / "more.jsonl", [{"text": THIRD}, [1, 2], {"title": "无正文"}, {"text": 42}, {"text": FOURTH}],
                raw_lines={1: "{\"text\": \"unterminated"})
    summary = run([src], out, max_bytes=len(big.encode()) - 1)
    assert summary["documents"] == 11 and summary["extracted"] == 4
    found = [(Path(e["path"]).name, e["row"], e["code"]) for e in errors(out)]
    assert found == [("crawl.csv", 2, "E007"), ("crawl.csv", 3, "E011"), ("crawl.csv", 4, "E007"),
                     ("more.jsonl", 2, "E025"), ("more.jsonl", 3, "E025"), ("more.jsonl", 4, "E025"),
                     ("more.jsonl", 5, "E025")]
    assert len(list((out / "errors").glob("*.json"))) == 7  # one file per row: none overwrites another
    messages = {(Path(e["path"]).name, e["row"]): e["message"] for e in errors(out)}
    assert "crawl.csv row 3 is" in messages[("crawl.csv", 3)] and "--max-bytes" in messages[("crawl.csv", 3)]
    assert "no 'text' field" in messages[("more.jsonl", 4)]
    assert sorted((d["source"]["filename"], d["source"]["row"]) for d in store.iter_revisions(out)) == [
        ("crawl.csv", 1), ("crawl.csv", 5), ("more.jsonl", 1), ("more.jsonl", 6)]
    table = pq.read_table(out / "tables" / "errors.parquet").to_pylist()
    assert sorted(e["row"] for e in table) == [2, 2, 3, 3, 4, 4, 5]


def test_extract_flow_unreadable_dump_is_one_error_and_the_run_goes_on(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    write_csv(src / "no_text.csv", [{"file": "a.txt", "title": "甲"}])
    (src / "policy.txt").write_text(TITLED, encoding="utf-8")
    summary = run([src], out)
    assert (summary["documents"], summary["extracted"]) == (2, 1)
    [err] = errors(out)
    assert (Path(err["path"]).name, err["row"], err["code"]) == ("no_text.csv", None, "E024")
    assert "--text-column" in err["message"] and "'file', 'title'" in err["message"]
    write_csv(src / "no_text.csv", [{"file": "a.txt", "title": "甲", "content": NOTICE}])
    fixed = run([src], out)
    assert fixed["errors"] == [] and errors(out) == []


def test_extract_flow_dump_cache_works_per_row(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    rows = [dict(r) for r in ROWS]
    write_csv(src / "crawl.csv", rows)
    run([src], out)
    rows[1]["正文"] = TITLED.replace("100万元", "120万元")
    write_csv(src / "crawl.csv", rows)
    changed = run([src], out)
    assert (changed["extracted"], changed["unchanged"], changed["new_revisions"]) == (1, 2, 1)
    rows[2]["链接"] = "http://example.invalid/c"  # a hint changed: that row only
    write_csv(src / "crawl.csv", rows)
    hinted = run([src], out)
    assert (hinted["extracted"], hinted["unchanged"]) == (1, 2)
    assert revisions(out)[3]["source"]["url"] == "http://example.invalid/c"


def test_extract_flow_rows_inserted_above_renumber_without_reextracting(tmp_path):
    src, out, fresh = tmp_path / "src", tmp_path / "out", tmp_path / "fresh"
    src.mkdir()
    write_csv(src / "crawl.csv", ROWS)
    run([src], out)
    newest = {"标题": "青山市众创空间管理办法", "发布日期": "2024-06-01", "链接": "http://example.invalid/d", "正文": FOURTH}
    write_csv(src / "crawl.csv", [newest] + ROWS)  # a crawl that lists the newest page first
    shifted = run([src], out)
    assert (shifted["extracted"], shifted["unchanged"]) == (1, 3)
    docs = revisions(out)
    assert sorted(docs) == [1, 2, 3, 4] and docs[2]["text"] == NOTICE
    run([src], fresh)  # the renumbered copies are what a fresh run writes
    assert digest_tree(out / "revisions") == digest_tree(fresh / "revisions")


def test_extract_flow_dump_output_does_not_depend_on_batches(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_csv(src / "a.csv", ROWS + [{"标题": "", "发布日期": "", "链接": "", "正文": ""}])
    write_jsonl(src / "b.jsonl", [{"content": FOURTH, "title": "众创空间"}, {"content": NOTICE}])  # NOTICE again
    (src / "c.txt").write_text(THIRD, encoding="utf-8")
    trees = []
    for n, size in enumerate((1, 2, 7, None)):
        out = tmp_path / f"out{n}"
        summary = run([src], out, batch_size=size)
        assert (summary["documents"], summary["duplicates"], len(summary["errors"])) == (7, 2, 1)
        trees.append((digest_tree(out / "revisions"), digest_tree(out / "errors"),
                      pq.read_table(out / "tables" / "documents.parquet").to_pylist()))
    assert all(t == trees[0] for t in trees[1:])
    stored = {(d["source"]["filename"], d["source"]["row"]) for d in store.iter_revisions(tmp_path / "out0")}
    assert ("a.csv", 1) in stored and ("b.jsonl", 2) not in stored  # the first copy by bytes, name, row


def test_extract_flow_reads_parquet_by_row_groups(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    table = pa.table({"content": [NOTICE, None, TITLED, THIRD, FOURTH],
                      "title": ["青山市关于加快科技成果转化的若干措施", None, None, "青山市支持重点实验室建设的若干措施", None],
                      "publish_date": pa.array([None, None, None, None, None], pa.date32()).fill_null(
                          pa.scalar(__import__("datetime").date(2024, 7, 8), pa.date32())),
                      "url": ["http://example.invalid/p1", None, None, None, None]})
    pq.write_table(table, src / "crawl.parquet", row_group_size=2)
    assert pq.ParquetFile(src / "crawl.parquet").metadata.num_row_groups == 3
    summary = run([src], out, batch_size=2)
    assert (summary["documents"], summary["extracted"]) == (5, 4)
    [err] = errors(out)
    assert (err["row"], err["code"]) == (2, "E007")
    docs = revisions(out)
    assert sorted(docs) == [1, 3, 4, 5]
    assert docs[1]["source"]["url"] == "http://example.invalid/p1" and docs[1]["source"]["encoding"] == "utf-8"
    assert docs[4]["metadata"]["title"] == "青山市支持重点实验室建设的若干措施"
    assert docs[5]["metadata"]["publish_date"] == "2024-07-08" and docs[5]["text"] == FOURTH
    assert run([src], out)["unchanged"] == 4


def test_extract_flow_text_column_option_and_tsv(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    write_csv(src / "crawl.tsv", [{"正文内容": NOTICE, "content": "不是正文", "页面标题": "青山市科技成果转化若干措施"}],
              delimiter="\t")
    summary = run([src], out, text_column="正文内容", title_column="页面标题")
    assert summary["errors"] == []
    [doc] = store.iter_revisions(out)
    assert doc["text"] == NOTICE and doc["metadata"]["title"] == "青山市科技成果转化若干措施"


def test_extract_flow_dump_rows_run_under_the_watchdog(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    write_csv(src / "crawl.csv", ROWS)
    summary = run([src], out, isolate=True)
    assert (summary["extracted"], summary["errors"]) == (3, [])
    assert run([src], out, isolate=True)["unchanged"] == 3


def test_run_document_time_limit_names_the_row(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "crawl.csv", ROWS)
    refs, _ = dumps.plan(path)

    class Stuck:
        def call(self, *args, **kwargs):
            assert kwargs["row"] == refs[1] and kwargs["time_limit"] == 5
            raise watchdog.Stopped("time", "extract", 300)

    monkeypatch.setattr(watchdog, "shared", lambda: Stuck())
    outcome = run_document(path, tmp_path / "out", root=None, use_cache=True, limits=Limits(time_limit=5),
                           hint=None, row=refs[1])
    assert (outcome.status, outcome.row, outcome.error["code"], outcome.error["row"]) == ("error", 2, "E015", 2)
    assert "crawl.csv row 2 passed its time limit of 5 s" in outcome.error["message"]


def test_cli_extract_passes_column_options(tmp_path, monkeypatch):
    seen = {}

    def fake_flow(paths, out, **kw):
        seen.update(kw)
        return {"documents": 0, "extracted": 0, "unchanged": 0, "duplicates": 0, "warnings": 0, "errors": [],
                "records": {}}

    monkeypatch.setattr(flow_module, "extract_flow", fake_flow)
    monkeypatch.setattr(flow_module, "claim_processes", lambda: 0)
    (tmp_path / "in").mkdir()
    result = CliRunner().invoke(app, ["extract", str(tmp_path / "in"), "--out", str(tmp_path / "out"),
                                      "--text-column", "正文", "--title-column", "标题", "--date-column", "日期",
                                      "--url-column", "地址"])
    assert result.exit_code == 0, result.output
    assert (seen["text_column"], seen["title_column"], seen["date_column"], seen["url_column"]) == (
        "正文", "标题", "日期", "地址")


def test_hints_file_url_becomes_source_url(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "a.txt").write_text(NOTICE, encoding="utf-8")
    hints = write_csv(tmp_path / "manifest.csv", [{"file": "a.txt", "title": "青山市成果转化措施",
                                                   "url": "http://example.invalid/a"}])
    run([src], out, hints=str(hints))
    [doc] = store.iter_revisions(out)
    assert (doc["source"]["url"], doc["source"]["row"]) == ("http://example.invalid/a", None)
