"""Data a consumer can use (issue 12): a catalog every DuckDB client from 1.1 to 2.x opens, wherever the
output folder lies; a `diffs` table; file names without `:`; output folders of older versions migrated."""
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from policyflow.flows import store
from policyflow.flows.cli import app
from policyflow.flows.extract_flow import extract_flow
from policyflow.flows.review import history, load_revision

DRAFT = """青禾市关于促进数字农业发展的若干措施（征求意见稿）
青禾农发〔2024〕3号
一、支持智慧农场建设
1.对新建智慧农场的企业，给予最高30万元补助。（牵头单位：市农业农村局）
2.支持农业数据平台建设，对通过验收的平台给予20万元奖励。（牵头单位：市大数据局）
二、加强人才支撑
3.对引进的农业科技领军人才，每人给予5万元安家补贴。（牵头单位：市人社局）
青禾市农业农村局
2024年3月1日
"""
FINAL = """青禾市关于促进数字农业发展的若干措施
青禾农发〔2024〕9号
一、支持智慧农场建设
1.对新建智慧农场的企业，给予最高50万元补助。（牵头单位：市农业农村局）
2.支持农机装备智能化改造，对改造投入超过100万元的企业给予10万元补助。（牵头单位：市工信局）
3.支持农业数据平台建设，对通过验收的平台给予20万元奖励。（牵头单位：市大数据局）
二、加强人才支撑
4.对引进的农业科技领军人才，每人给予8万元安家补贴。（牵头单位：市人社局）
青禾市农业农村局
2024年6月18日
"""
AMENDED = FINAL.replace("青禾农发〔2024〕9号", "青禾农发〔2024〕21号").replace("8万元安家补贴", "10万元安家补贴") \
    .replace("2024年6月18日", "2024年11月5日")
VOUCHER = """岚湖县科技创新券管理办法
岚科字〔2023〕15号
第一条 为降低中小企业研发成本，设立科技创新券。
第二条 对购买检验检测服务的科技型中小企业，按实际支出的50%给予创新券补助，每家企业每年最高10万元。
第三条 本办法自2023年10月1日起施行。
岚湖县科学技术局
2023年9月20日
"""
VIEWS = set(store.CATALOG_VIEWS)


def _corpus(folder: Path, **texts: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def _run(src: Path, out: Path) -> dict:
    return extract_flow([str(src)], str(out), isolate=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """One output folder: a policy with a draft and a final (one diff) and a policy with one revision."""
    root = tmp_path_factory.mktemp("catalog")
    src = _corpus(root / "src", qh_draft=DRAFT, qh_final=FINAL, lh_voucher=VOUCHER)
    _run(src, root / "out")
    return root / "out"


def _names(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _storage_number(path: Path) -> int:
    head = path.read_bytes()[:20]
    assert head[8:12] == b"DUCK"
    return struct.unpack("<Q", head[12:20])[0]


# --- the catalog ---------------------------------------------------------------------------

def test_catalog_is_written_in_the_storage_format_duckdb_1x_reads(built):
    assert _storage_number(built / "catalog.duckdb") == store.CATALOG_STORAGE_NUMBER == 64
    with duckdb.connect(str(built / "catalog.duckdb"), read_only=True) as con:
        assert {*store.CATALOG_TABLES, *VIEWS} <= _names(con)
        for name in sorted({*store.CATALOG_TABLES, *VIEWS}):
            con.execute(f"SELECT count(*) FROM {name}").fetchone()


def test_catalog_opens_after_the_folder_moves_and_from_another_cwd(built, tmp_path, monkeypatch):
    moved = tmp_path / "elsewhere" / "policies"
    shutil.copytree(built, moved)
    monkeypatch.chdir(tmp_path)
    with duckdb.connect(str(moved / "catalog.duckdb"), read_only=True) as con:
        counts = {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in (*store.CATALOG_TABLES, *VIEWS)}
        assert counts["latest_revisions"] == 2 and counts["documents"] == 3 and counts["diffs"] > 0
        dated = con.execute("SELECT count(*) FROM documents WHERE issue_date >= DATE '2024-01-01'").fetchone()[0]
        assert dated == 2
    monkeypatch.chdir(moved)  # the README's Parquet snippet, from inside the output folder
    with duckdb.connect() as con:
        total = con.execute("SELECT count(*) FROM read_parquet('tables/*.parquet', union_by_name = true)").fetchone()[0]
    assert total == sum(pq.ParquetFile(moved / "tables" / f"{n}.parquet").metadata.num_rows
                        for n in store.CATALOG_TABLES)


def test_catalog_latest_revisions_is_the_last_of_each_history(built):
    with duckdb.connect(str(built / "catalog.duckdb"), read_only=True) as con:
        rows = dict(con.execute("SELECT title, status FROM latest_revisions").fetchall())
    assert rows == {"青禾市关于促进数字农业发展的若干措施": "final", "岚湖县科技创新券管理办法": "final"}


def test_catalog_in_duckdb_2_format_is_rebuilt_in_the_readable_one(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    catalog = out / "catalog.duckdb"
    newer = out / "newer.duckdb"
    try:
        with duckdb.connect() as con:  # the catalog as DuckDB 2.0 wrote it before it named its storage version
            con.execute(f"ATTACH '{catalog}' AS old (READ_ONLY)")
            con.execute(f"ATTACH '{newer}' AS new (STORAGE_VERSION 'v2.0.0')")
            con.execute("COPY FROM DATABASE old TO new")
    except duckdb.Error as exc:
        pytest.skip(f"this DuckDB cannot write the 2.0 storage format: {exc}")
    os.replace(newer, catalog)
    assert _storage_number(catalog) != 64
    store.refresh_catalog(out)
    assert _storage_number(catalog) == 64
    with duckdb.connect(str(catalog), read_only=True) as con:
        assert {*store.CATALOG_TABLES, *VIEWS} <= _names(con)


# --- the diffs table -----------------------------------------------------------------------

def test_diffs_table_rows_match_the_diff_json(built):
    files = store.stored_diffs(built)
    assert len(files) == 1
    d = json.loads(files[0].read_text(encoding="utf-8"))
    rows = pq.read_table(built / "tables" / "diffs.parquet").to_pylist()
    assert len(rows) == len(d["changes"]) > 5
    for i, (row, c) in enumerate(zip(rows, d["changes"])):
        assert row["change_index"] == i and row["consecutive"] is True
        assert (row["policy_id"], row["from_revision"], row["to_revision"]) == \
            (d["policy_id"], d["from_revision"], d["to_revision"])
        assert row["report"] == files[0].with_suffix(".html").relative_to(built).as_posix()
        assert (row["entity"], row["change"], row["field"]) == (c["entity"], c["change"], c.get("field"))
        for side in ("from", "to"):
            v = c.get(side)
            assert row[f"{side}_value"] == (v if v is None or isinstance(v, str) else json.dumps(v))
            span = c.get(f"{side}_span")
            assert [row[f"{side}_span_start"], row[f"{side}_span_end"]] == (span or [None, None])
        assert row["group_id"] == c.get("group")
        for key in ("measure_from", "measure_to", "role", "bound", "value_yuan", "condition", "text", "amount_ids",
                    "name", "title", "excerpt"):
            assert row[key] == c.get(key), key
        if c.get("amounts"):
            assert [a["value_yuan"] for a in row["amounts"]] == [a["value_yuan"] for a in c["amounts"]]
        assert row["extra"] is None  # every key of a change is declared on models.Change
    kinds = {(r["entity"], r["change"]) for r in rows}
    assert {("metadata", "modified"), ("measure", "added"), ("amount", "modified"), ("condition", "added")} <= kinds
    with duckdb.connect(str(built / "catalog.duckdb"), read_only=True) as con:
        money = con.execute("SELECT from_value, to_value FROM diffs WHERE entity = 'amount' AND field = 'value_yuan' "
                            "ORDER BY change_index").fetchall()
    assert money == [("300000", "500000"), ("50000", "80000")]


def test_diffs_table_follows_the_stored_diffs(built, tmp_path):
    """A diff that goes (as a kill between reviews and tables would leave it) is dropped from the table; the
    next run reviews the pair again and the table has it back; a diff `policyflow diff` writes is added."""
    out = tmp_path / "out"
    shutil.copytree(built, out)
    before = pq.read_table(out / "tables" / "diffs.parquet").to_pylist()
    (json_file,) = store.stored_diffs(out)
    json_file.unlink()
    assert store.refresh_catalog(out)
    assert pq.read_table(out / "tables" / "diffs.parquet").num_rows == 0
    with duckdb.connect(str(out / "catalog.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM diffs").fetchone()[0] == 0
    src = _corpus(tmp_path / "src", qh_draft=DRAFT, qh_final=FINAL, lh_voucher=VOUCHER)
    _run(src, out)
    assert pq.read_table(out / "tables" / "diffs.parquet").to_pylist() == before

    _corpus(src, qh_amended=AMENDED)  # a third revision: draft -> final -> amended
    _run(src, out)
    rows = pq.read_table(out / "tables" / "diffs.parquet").to_pylist()
    (pid,) = {r["policy_id"] for r in rows}
    draft, final, amended = (r["revision_id"] for r in history(out, pid)[pid])
    assert {(r["from_revision"], r["to_revision"]) for r in rows} == {(draft, final), (final, amended)}
    result = CliRunner().invoke(app, ["diff", draft, amended, "--out", str(out)])
    assert result.exit_code == 1, result.output
    with duckdb.connect(str(out / "catalog.duckdb"), read_only=True) as con:
        pairs = dict(con.execute("SELECT from_revision || '..' || to_revision, bool_and(consecutive) FROM diffs "
                                 "GROUP BY 1").fetchall())
    assert pairs == {f"{draft}..{final}": True, f"{final}..{amended}": True, f"{draft}..{amended}": False}


# --- file names ----------------------------------------------------------------------------

def test_store_generated_file_names_have_no_colon(built):
    names = [p.relative_to(built).as_posix() for p in built.rglob("*")]
    assert names and [n for n in names if ":" in n] == []
    revisions = sorted((built / "revisions").glob("*/*.json"))
    assert len(revisions) == 3
    for p in revisions:
        doc = json.loads(p.read_text(encoding="utf-8"))
        assert doc["revision_id"].startswith("sha256:") and p.name == doc["revision_id"].replace(":", "-") + ".json"
        assert store.revision_id_of(p) == doc["revision_id"]


def _legacy(out: Path) -> dict[str, bytes]:
    """Give every stored revision its pre-1.1 name `sha256:<hex>.json`, as an older version left them."""
    found = {}
    for p in sorted((out / "revisions").glob("*/*.json")):
        rid = store.revision_id_of(p)
        found[rid] = p.read_bytes()
        os.rename(p, p.with_name(f"{rid}.json"))
    return found


def test_store_readers_find_legacy_revision_names_before_migration(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    contents = _legacy(out)
    histories = history(out)
    assert sum(len(rows) for rows in histories.values()) == 3
    for rid, data in contents.items():
        assert load_revision(out, rid) == json.loads(data)
        assert store.revision_files(out, rid[:14]) and store.find_revision(out, load_revision(out, rid)["policy_id"],
                                                                           rid).name == f"{rid}.json"
    pid = next(pid for pid, rows in histories.items() if len(rows) == 2)
    short = [r["revision_id"][:19] + "…" for r in histories[pid]]  # as `history` prints them
    result = CliRunner().invoke(app, ["diff", *short, "--out", str(out)])
    assert result.exit_code == 1 and "No such" not in result.output, result.output


def test_store_migration_renames_legacy_names_without_loss(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    contents = _legacy(out)
    first = sorted((out / "revisions").glob("*/*.json"))[0]  # a migration killed half-way: one file renamed ...
    os.rename(first, first.with_name(store.revision_file_name(store.revision_id_of(first))))
    twin = sorted((out / "revisions").glob("*/*:*.json"))[0]  # ... and one under both names
    shutil.copy2(twin, twin.with_name(store.revision_file_name(store.revision_id_of(twin))))
    src = _corpus(tmp_path / "src", qh_draft=DRAFT, qh_final=FINAL, lh_voucher=VOUCHER)
    summary = _run(src, out)
    assert summary["extracted"] == 0 and summary["unchanged"] == 3  # renamed, not extracted again
    after = {store.revision_id_of(p): p for p in (out / "revisions").glob("*/*.json")}
    assert {rid: p.read_bytes() for rid, p in after.items()} == contents
    assert all(p.name == store.revision_file_name(rid) for rid, p in after.items())
    assert [p for p in out.rglob("*") if ":" in p.name] == []
    with duckdb.connect(str(out / "catalog.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM revisions").fetchone()[0] == 3


def test_store_migrate_file_names_is_idempotent(tmp_path):
    folder = tmp_path / "revisions" / "pol-1"
    folder.mkdir(parents=True)
    rid = "sha256:" + "ab" * 32
    (folder / f"{rid}.json").write_text('{"revision_id": "%s"}' % rid, encoding="utf-8")
    assert store.migrate_file_names(tmp_path) == 1
    assert store.migrate_file_names(tmp_path) == 0
    assert [p.name for p in folder.iterdir()] == ["sha256-" + "ab" * 32 + ".json"]
    assert store.find_revision(tmp_path, "pol-1", rid) == folder / ("sha256-" + "ab" * 32 + ".json")


# --- other DuckDB clients (slow: builds venvs from the package registry) -------------------

PROBE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
names = sorted(r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall())
counts = {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}
dated = con.execute("SELECT count(*) FROM documents WHERE issue_date >= DATE '2024-01-01'").fetchone()[0]
joined = con.execute("SELECT count(*) FROM amounts a JOIN documents d USING (policy_id, revision_id) "
                     "JOIN diffs x ON x.to_revision = d.revision_id").fetchone()[0]
first = con.execute("SELECT CAST(min(first_seen) AS VARCHAR) FROM revisions").fetchone()[0]
print(duckdb.__version__, counts, dated, joined, first is not None)
"""


def _client_venv(root: Path, *packages: str) -> Path | None:
    """A venv with `packages` installed by pip from the configured registry; None when pip cannot."""
    env = root / "-".join(p.replace("==", "") for p in packages)
    if not (env / "bin" / "python").exists():
        made = subprocess.run([sys.executable, "-m", "venv", str(env)], capture_output=True)
        pip = subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "-q", *packages],
                             capture_output=True, text=True, timeout=600) if made.returncode == 0 else None
        if pip is None or pip.returncode != 0:
            shutil.rmtree(env, ignore_errors=True)
            return None
    return env


@pytest.mark.slow
@pytest.mark.parametrize("version", ["1.1.3", "1.5.6", "2.0.1"])
def test_catalog_opens_in_the_python_client(built, tmp_path_factory, version):
    env = _client_venv(tmp_path_factory.getbasetemp() / "clients", f"duckdb=={version}")
    if env is None:
        pytest.skip(f"pip cannot install duckdb=={version} here")
    proc = subprocess.run([str(env / "bin" / "python"), "-c", PROBE, str(built / "catalog.duckdb")],
                          capture_output=True, text=True, cwd=str(tmp_path_factory.mktemp("cwd")))
    print(f"duckdb {version}: {proc.stdout.strip() or proc.stderr.strip().splitlines()[-1]}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(version) and "'diffs'" in proc.stdout and "'latest_revisions': 2" in proc.stdout


@pytest.mark.slow
def test_catalog_opens_in_the_duckdb_cli(built, tmp_path_factory):
    env = _client_venv(tmp_path_factory.getbasetemp() / "clients", "duckdb-cli==1.5.6")
    if env is None or not (env / "bin" / "duckdb").exists():
        pytest.skip("pip cannot install the DuckDB CLI (duckdb-cli) here")
    sql = ("SELECT library_version FROM pragma_version();"
           "SELECT count(*) FROM latest_revisions;"
           "SELECT count(*) FROM diffs WHERE consecutive;"
           "SELECT count(*) FROM documents WHERE issue_date >= DATE '2024-01-01';")
    proc = subprocess.run([str(env / "bin" / "duckdb"), "-readonly", "-csv", "-noheader",
                           str(built / "catalog.duckdb"), "-c", sql], capture_output=True, text=True)
    print(f"duckdb CLI: {proc.stdout.split()} {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    diffs = pq.read_table(built / "tables" / "diffs.parquet").num_rows
    assert proc.stdout.split() == ["v1.5.6", "2", str(diffs), "2"]
