"""Data a consumer can use (issue 12): the document text beside its records, typed columns, readable
file modes, a warning before --workers oversubscribes the cores, and dependency ranges a library can live with."""
import os
import stat
import tomllib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from policyflow.flows.cli import app
from policyflow.flows.extract_flow import extract_flow

ROOT = Path(__file__).resolve().parents[2]
TEXT = """溪山市关于支持科技型企业发展的若干措施
溪科发〔2025〕4号
一、对新认定的高新技术企业，给予𠮷祥奖励20万元。
二、对年度研发费用增长超过20%的企业，给予最高50万元奖励。
溪山市科学技术局
2025年4月8日
"""


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("consumer")
    (root / "src").mkdir()
    (root / "src" / "a.txt").write_text(TEXT, encoding="utf-8")
    old = os.umask(0o022)
    try:
        extract_flow([str(root / "src")], str(root / "out"), isolate=False)
    finally:
        os.umask(old)
    return root / "out"


def test_tables_texts_holds_the_text_every_span_indexes(out):
    texts = pq.read_table(out / "tables" / "texts.parquet")
    assert texts.schema.field("text").type == pa.large_string()
    text = texts.column("text")[0].as_py()
    amounts = pq.read_table(out / "tables" / "amounts.parquet").to_pylist()
    assert amounts and all(text[a["span_start"]:a["span_end"]] == a["evidence"] for a in amounts)


def test_tables_dates_and_times_are_typed(out):
    documents = pq.read_table(out / "tables" / "documents.parquet")
    assert documents.schema.field("issue_date").type == pa.date32()
    assert str(documents.column("issue_date")[0].as_py()) == "2025-04-08"
    first_seen = pq.read_table(out / "tables" / "revisions.parquet").schema.field("first_seen").type
    assert pa.types.is_timestamp(first_seen) and first_seen.tz == "UTC"


def test_tables_growth_threshold_is_not_a_budget(out):
    amounts = pq.read_table(out / "tables" / "amounts.parquet").to_pylist()
    assert "budget" not in {a["role"] for a in amounts}
    assert any(a["role"] == "threshold" and a["ratio"] == pytest.approx(0.2) for a in amounts)


def test_store_output_files_follow_the_umask(out):
    files = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert files
    modes = {oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert modes == {"0o644"}, modes


def test_cli_workers_at_core_count_warns(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    (tmp_path / "src").mkdir()
    res = CliRunner().invoke(app, ["extract", str(tmp_path / "src"), "--out", str(tmp_path / "o"),
                                   "--workers", "2", "--include", "*.none"])
    assert "Warning: --workers 2 on 2 cores" in res.output


def test_package_dependencies_are_ranges_and_the_lock_pins_them():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = meta["dependencies"] + meta["optional-dependencies"]["dev"]
    assert deps and not [d for d in deps if "==" in d], "exact pins belong in requirements.lock"
    lock = {line.split("==")[0].lower() for line in (ROOT / "requirements.lock").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    names = {d.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower() for d in deps}
    assert names <= lock, names - lock
