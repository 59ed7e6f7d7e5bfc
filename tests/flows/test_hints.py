"""Source hints (--hints): reading a crawl's manifest, matching its rows to files, filling only what a text
does not print (with a W011 warning), the incremental cache keyed by the hint, and coverage with hints."""
import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policyflow.extractors.pipeline import extract
from policyflow.flows import coverage as cov
from policyflow.flows.cli import app
from policyflow.flows.extract_flow import extract_flow
from policyflow.flows.hints import Hints, digest, load_hints
from policyflow.schemas.errors import HintsError

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"

# Invented texts. BODY prints no title, no issuer and no date: only the crawl's manifest knows them.
BODY = """为规范科研项目经费管理，提高资金使用效益，制定本办法。
第一条 本办法适用于省级财政安排的科研项目经费。
第二条 对符合条件的项目给予最高50万元资助。
第三条 本办法自2024年5月1日起施行。
"""
OTHER_BODY = BODY.replace("科研项目经费管理", "实验室建设管理").replace("50万元", "30万元")
TITLED = "科技成果转化奖励办法\n" + BODY.replace("科研项目经费", "科技成果转化奖励")
SIGNED = BODY + "河北省科学技术厅\n2024年3月1日\n"
NOTICE_HINT = "河北省某某厅关于印发《某某管理办法》的通知"


def _csv(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes((("\ufeff" if bom else "") + text).encode("utf-8"))
    return path


def _w011(doc: dict) -> list[str]:
    """The fields the W011 warnings of a document name."""
    return [f.strip() for w in doc["warnings"] if w["code"] == "W011"
            for f in w["message"].split(" taken from")[0].split(",")]


# --- load_hints -----------------------------------------------------------------------------


def test_load_hints_reads_a_csv_with_a_bom(tmp_path):
    path = _csv(tmp_path / "manifest.csv", "file,title,date,url\n"
                "a.txt,某某管理办法,2024-04-02,http://example.invalid/a\n"
                "sub/b.txt,另一办法,2024年5月6日,\n", bom=True)
    hints = load_hints(path)
    assert hints.by_path == {
        "a.txt": {"title": "某某管理办法", "date": "2024-04-02", "url": "http://example.invalid/a"},
        "sub/b.txt": {"title": "另一办法", "date": "2024年5月6日"},
    }
    assert len(hints) == 2 and hints.source == str(path)


def test_load_hints_reads_chinese_column_names(tmp_path):
    path = _csv(tmp_path / "manifest.csv", "文件,标题,发布日期,访问地址\na.txt,某某管理办法,2024-04-02,http://example.invalid/a\n")
    assert load_hints(path).by_path == {
        "a.txt": {"title": "某某管理办法", "date": "2024-04-02", "url": "http://example.invalid/a"}}


def test_load_hints_reads_json_lines(tmp_path):
    path = tmp_path / "manifest.jsonl"
    path.write_text('{"title": "无文件的行"}\n'
                    '{"file": "a.txt", "title": "某某管理办法", "date": "2024-04-02"}\n\n'
                    '{"file": "sub/b.txt", "url": "http://example.invalid/b"}\n'
                    '{"file": "c.txt", "title": "丙办法", "date": 20240402}\n', encoding="utf-8")
    hints = load_hints(path)
    # rows need not share their keys (the first has no file and is skipped); a value that is not a string is not used
    assert hints.by_path == {"a.txt": {"title": "某某管理办法", "date": "2024-04-02"},
                             "sub/b.txt": {"url": "http://example.invalid/b"}, "c.txt": {"title": "丙办法"}}


@pytest.mark.parametrize("key", ["file", "filename", "path", "name"])
def test_load_hints_accepts_each_key_column(tmp_path, key):
    path = _csv(tmp_path / "manifest.csv", f"{key},title\nsub/a.txt,某某管理办法\n")
    hints = load_hints(path)
    assert hints.by_path == {"sub/a.txt": {"title": "某某管理办法"}}
    assert hints.by_name == {"a.txt": {"title": "某某管理办法"}}


def test_load_hints_normalises_keys(tmp_path):
    path = _csv(tmp_path / "manifest.csv", "file,title\n./sub/a.txt,甲办法\nwin\\dir\\b.txt,乙办法\n")
    assert sorted(load_hints(path).by_path) == ["sub/a.txt", "win/dir/b.txt"]


def test_load_hints_ignores_rows_without_values(tmp_path):
    path = _csv(tmp_path / "manifest.csv", "file,title,date,url\n"
                "a.txt,某某管理办法,,\n"
                "empty.txt,,,\n"     # a file but no value
                ",孤立标题,2024-01-01,\n"  # values but no file
                "blank.txt,  ,\t,\n"  # only whitespace
                "\n")
    hints = load_hints(path)
    assert hints.by_path == {"a.txt": {"title": "某某管理办法"}}
    assert list(hints.by_name) == ["a.txt"]


def test_load_hints_header_only_is_empty(tmp_path):
    assert len(load_hints(_csv(tmp_path / "manifest.csv", "file,title,date\n"))) == 0


@pytest.mark.parametrize("name, content", [
    ("missing.csv", None),
    ("no_key.csv", "title,date\n某某管理办法,2024-04-02\n"),
    ("empty.csv", ""),
    ("broken.jsonl", '{"file": "a.txt", "title": "甲办法"}\n{"file": "b.txt", "title": \n'),
    ("not_object.jsonl", '{"file": "a.txt", "title": "甲办法"}\n["b.txt", "乙办法"]\n'),
    ("gbk.csv", "file,title\na.txt,甲办法\n".encode("gbk")),
])
def test_load_hints_bad_file_raises_e016_naming_it(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(HintsError) as err:
        load_hints(path)
    assert err.value.code == "E016"
    assert str(path) in str(err.value) and str(err.value).startswith("[E016]")


def test_load_hints_names_the_bad_json_line(tmp_path):
    path = tmp_path / "manifest.jsonl"
    path.write_text('{"file": "a.txt", "title": "甲办法"}\n\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(HintsError, match="line 3"):
        load_hints(path)


# --- Hints.for_file ---------------------------------------------------------------------------


@pytest.fixture
def hints(tmp_path) -> Hints:
    return load_hints(_csv(tmp_path / "manifest.csv", "file,title\n"
                           "sub/a.txt,甲办法\n"
                           "b.txt,乙办法\n"
                           "x/dup.txt,重名甲\n"
                           "y/dup.txt,重名乙\n"))


@pytest.mark.parametrize("path, root, title", [
    ("/crawl/sub/a.txt", "/crawl", "甲办法"),          # relative path under the root
    ("/crawl/x/dup.txt", "/crawl", "重名甲"),          # a repeated base name, told apart by its relative path
    ("/crawl/y/dup.txt", "/crawl", "重名乙"),
    ("/elsewhere/deep/sub/a.txt", None, "甲办法"),     # path suffix
    ("/elsewhere/y/dup.txt", None, "重名乙"),
    ("/elsewhere/b.txt", None, "乙办法"),              # key is a base name
    ("/elsewhere/other/a.txt", None, "甲办法"),        # unique base name
    ("/elsewhere/other/a.txt", "/elsewhere", "甲办法"),
    ("/elsewhere/dup.txt", None, None),                # ambiguous base name
    ("/crawl/z/dup.txt", "/crawl", None),
    ("/crawl/unknown.txt", "/crawl", None),
])
def test_hints_for_file_matches(hints, path, root, title):
    hit = hints.for_file(Path(path), Path(root) if root else None)
    assert (hit or {}).get("title") == title


def test_hints_for_file_relative_input_paths(hints, tmp_path, monkeypatch):
    (tmp_path / "crawl" / "sub").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert hints.for_file(Path("crawl/sub/a.txt"), Path("crawl")) == {"title": "甲办法"}


def test_hints_digest_changes_with_the_hint():
    assert digest(None) == digest({}) == ""
    assert digest({"title": "甲", "date": "2024-01-01"}) == digest({"date": "2024-01-01", "title": "甲"})
    assert digest({"title": "甲"}) != digest({"title": "乙"})


# --- extract(text, hints=...) -----------------------------------------------------------------


def test_extract_hint_fills_a_missing_title():
    bare = extract(BODY)
    assert bare["metadata"]["title"] is None
    doc = extract(BODY, hints={"title": "科研项目经费管理办法"})
    assert doc["metadata"]["title"] == "科研项目经费管理办法"
    assert _w011(doc) == ["title"]
    assert "W003" not in [w["code"] for w in doc["warnings"]]
    assert doc["policy_id"] != bare["policy_id"] and doc["revision_id"] == bare["revision_id"]


def test_extract_hinted_notice_title_gives_title_notice_and_issuer():
    md = (doc := extract(BODY, hints={"title": NOTICE_HINT}))["metadata"]
    assert (md["title"], md["notice_title"], md["issuer"]) == (
        "某某管理办法", "关于印发《某某管理办法》的通知", "河北省某某厅")
    assert md["region"] == "河北省"
    assert _w011(doc) == ["title", "issuer"]


def test_extract_printed_title_wins_over_the_hint():
    printed = extract(TITLED)["metadata"]["title"]
    assert printed == "科技成果转化奖励办法"
    doc = extract(TITLED, hints={"title": NOTICE_HINT})
    assert doc["metadata"]["title"] == printed and doc["metadata"]["notice_title"] is None
    assert "title" not in _w011(doc) and _w011(doc) == []


@pytest.mark.parametrize("text, issue_date", [(BODY, None), (SIGNED, "2024-03-01")])
@pytest.mark.parametrize("hinted", ["2024-04-02", "2024年4月2日", "2024/4/2"])
def test_extract_hinted_date_fills_publish_date_only(text, issue_date, hinted):
    doc = extract(text, hints={"date": hinted})
    md = doc["metadata"]
    assert md["publish_date"] == "2024-04-02"
    assert md["issue_date"] == issue_date == extract(text)["metadata"]["issue_date"]
    assert _w011(doc) == ["publish_date"]


def test_extract_unparseable_hinted_date_is_ignored():
    doc = extract(BODY, hints={"date": "不详"})
    assert doc["metadata"]["publish_date"] is None and _w011(doc) == []


# --- the flow and the CLI ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def hinted_run(tmp_path_factory):
    """One CLI run with hints, then an unchanged re-run and a re-run with one hint changed (flow calls)."""
    base = tmp_path_factory.mktemp("hints")
    src = base / "crawl"
    (src / "sub").mkdir(parents=True)
    (src / "plain.txt").write_text(BODY, encoding="utf-8")
    (src / "sub" / "titled.txt").write_text(TITLED, encoding="utf-8")
    header = "file,title,date,url\n"
    titled_row = "sub/titled.txt,别的标题的办法,2024-05-06,http://example.invalid/t\n"
    first = _csv(base / "manifest.csv", header + f"plain.txt,{NOTICE_HINT},2024-04-02,http://example.invalid/p\n"
                 + titled_row, bom=True)
    changed = _csv(base / "manifest-v2.csv", header + "plain.txt,科研项目经费管理办法,2024-04-02,\n" + titled_row)
    out = base / "out"
    # in process (as test_extract_flow's CLI test does): the flow runs below then reuse its Prefect server
    cli = CliRunner().invoke(app, ["extract", str(src), "--hints", str(first), "--out", str(out)])
    docs = _revisions(out)
    unchanged = extract_flow([str(src)], str(out), hints=str(first))
    rerun = extract_flow([str(src)], str(out), hints=str(changed))
    return {"cli": cli, "docs": docs, "unchanged": unchanged, "rerun": rerun, "after": _revisions(out),
            "out": out}


def _revisions(out: Path) -> dict[str, list[dict]]:
    """source filename -> the stored revision documents of that file."""
    docs: dict[str, list[dict]] = {}
    for p in sorted((out / "revisions").glob("*/*.json")):
        d = json.loads(p.read_text(encoding="utf-8"))
        docs.setdefault(d["source"]["filename"], []).append(d)
    return docs


def test_extract_cli_hints_reach_the_revision_json(hinted_run):
    cli, docs = hinted_run["cli"], hinted_run["docs"]
    assert cli.exit_code == 0, cli.output
    assert cli.exception is None and "Traceback" not in cli.output
    [plain], [titled] = docs["plain.txt"], docs["titled.txt"]
    md = plain["metadata"]
    assert (md["title"], md["notice_title"], md["issuer"], md["publish_date"], md["issue_date"]) == (
        "某某管理办法", "关于印发《某某管理办法》的通知", "河北省某某厅", "2024-04-02", None)
    assert _w011(plain) == ["title", "issuer", "publish_date"]
    assert titled["metadata"]["title"] == "科技成果转化奖励办法"  # printed: the hint is not used
    assert titled["metadata"]["publish_date"] == "2024-05-06" and _w011(titled) == ["publish_date"]


def test_extract_flow_unchanged_hints_are_served_from_cache(hinted_run):
    s = hinted_run["unchanged"]
    assert (s["documents"], s["extracted"], s["unchanged"], s["errors"]) == (2, 0, 2, [])


def test_extract_flow_changed_hint_reextracts_that_document(hinted_run):
    s, after = hinted_run["rerun"], hinted_run["after"]
    assert (s["documents"], s["extracted"], s["unchanged"], s["errors"]) == (2, 1, 1, [])
    [plain] = after["plain.txt"]  # the copy under the old policy id is gone
    assert plain["metadata"]["title"] == "科研项目经费管理办法"
    assert plain["metadata"]["notice_title"] is None and plain["metadata"]["issuer"] is None
    assert plain["revision_id"] == hinted_run["docs"]["plain.txt"][0]["revision_id"]
    assert plain["policy_id"] != hinted_run["docs"]["plain.txt"][0]["policy_id"]
    assert after["titled.txt"] == hinted_run["docs"]["titled.txt"]


def test_extract_cli_missing_hints_file_exits_2(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "plain.txt").write_text(BODY, encoding="utf-8")
    proc = subprocess.run([str(BIN / "policyflow"), "extract", str(src), "--hints", "/nonexistent.csv",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("[E016] Cannot use hints file /nonexistent.csv")
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (tmp_path / "out").exists()


# --- coverage with hints ----------------------------------------------------------------------


@pytest.fixture
def untitled(tmp_path):
    """Two texts that print no title, and a manifest that has both titles (one a notice title)."""
    folder = tmp_path / "crawl"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(BODY, encoding="utf-8")
    (folder / "sub" / "b.txt").write_text(OTHER_BODY, encoding="utf-8")
    manifest = _csv(tmp_path / "manifest.csv", f"filename,title\na.txt,{NOTICE_HINT}\nsub/b.txt,实验室建设管理办法\n",
                    bom=True)
    return folder, manifest


def test_coverage_hints_fill_titles_but_not_title_in_text(untitled):
    folder, manifest = untitled
    without = cov.coverage([folder])
    assert without["shares"]["title"] == 0.0 and without["hints"] is None
    result = cov.coverage([folder], hints=load_hints(manifest))
    assert result["documents"] == 2 and result["errors"]["count"] == 0
    assert result["shares"]["title"] == 1.0 and result["shares"]["title_in_text"] == 0.0
    assert result["shares"]["issuer"] == 0.5
    assert result["hints"] == {"file": str(manifest), "rows": 2}
    assert result["warnings"]["W011"] == {"count": 2, "documents": 2}


def test_coverage_cli_takes_hints(untitled):
    folder, manifest = untitled
    run = CliRunner().invoke(app, ["coverage", str(folder), "--hints", str(manifest), "--fail-under", "title=1"])
    assert run.exit_code == 0, run.output
    assert f"source hints from {manifest} (2 rows)" in run.output
    missing = CliRunner().invoke(app, ["coverage", str(folder), "--hints", str(manifest.with_name("none.csv"))])
    assert missing.exit_code == 2 and "[E016]" in missing.output and "Traceback" not in missing.output
