"""The extract flow end to end (Prefect local mode): bars on gold, re-run identity, error isolation."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from policyflow.flows.cli import app
from policyflow.flows.evaluate import below_bars, evaluate
from policyflow.flows.extract_flow import extract_flow, summary_markdown
from policyflow.flows.store import TABLES
from helpers import digest_tree

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SHARED_SCORER = ROOT.parent / "shared" / "eval" / "score.py"

EXTRACTION_BARS = {
    "measures": 0.95, "sections": 0.90, "amounts": 0.95, "targets": 0.95, "units": 0.98,
    "amount measure": 0.98, "amount condition": 0.85, "amount per": 0.90, "target indicator": 0.90,
    **{f"metadata {f}": 0.9 for f in ("title", "issuer", "doc_number", "status", "region", "period", "cited")},
}


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed-out")
    summary = extract_flow([str(ROOT / "raw")], str(out))
    return out, summary


def test_extract_flow_writes_contract_layout(seed_run):
    out, summary = seed_run
    assert summary["documents"] == 4 and summary["extracted"] == 4 and summary["errors"] == []
    revisions = sorted((out / "revisions").glob("pol-*/sha256-*.json"))
    assert len(revisions) == 4
    for name in TABLES:
        table = pq.read_table(out / "tables" / f"{name}.parquet")
        if name not in ("errors", "warnings"):
            assert table.num_rows > 0, name
        if name != "errors":
            assert {"policy_id", "revision_id"} <= set(table.column_names)
    by_role: dict[str, int] = {}
    for path in revisions:
        for a in json.loads(path.read_text(encoding="utf-8"))["amounts"]:
            by_role[a["role"]] = by_role.get(a["role"], 0) + 1
    with duckdb.connect(str(out / "catalog.duckdb"), read_only=True) as con:
        rows = dict(con.execute("select role, count(*) from amounts group by role").fetchall())
    assert rows == by_role and sum(rows.values()) == summary["records"]["amounts"]
    assert "| documents |" in summary_markdown(summary)


def test_extract_flow_attaches_summary_artifact(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    state = extract_flow([str(ROOT / "raw" / "001_84c7786f5ce18276.txt")], str(tmp_path), return_state=True)
    assert state.is_completed()
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    assert [(a.key, a.type) for a in artifacts] == [("policyflow-extract-summary", "markdown")]
    assert "| documents |" in artifacts[0].data


def test_extract_flow_meets_seed_bars(seed_run):
    out, _ = seed_run
    result = evaluate(DATA / "gold", out)
    assert result["missing_outputs"] == []
    assert below_bars(result, EXTRACTION_BARS) == []


@pytest.mark.parametrize("corpus", ["corpus", "blind", "holdout"])
def test_extract_flow_meets_bars_on_other_layouts(corpus, tmp_path):
    extract_flow([str(DATA / corpus / "sources")], str(tmp_path))
    result = evaluate(DATA / corpus / "gold", tmp_path)
    assert result["missing_outputs"] == []
    assert below_bars(result, EXTRACTION_BARS) == []


def test_extract_flow_rerun_is_byte_identical(seed_run, tmp_path):
    out, _ = seed_run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = digest_tree(copy)
    extract_flow([str(ROOT / "raw")], str(copy))
    assert digest_tree(copy) == before


@pytest.mark.skipif(not SHARED_SCORER.exists(), reason="../shared/eval/score.py not present (fresh clone)")
def test_extract_flow_evaluate_agrees_with_reference_scorer(seed_run, tmp_path):
    out, _ = seed_run
    ref_json = tmp_path / "ref.json"
    subprocess.run([sys.executable, str(SHARED_SCORER), "--gold", str(DATA / "gold"), "--pred", str(out),
                    "--json", str(ref_json)], check=True, capture_output=True)
    ref = json.loads(ref_json.read_text(encoding="utf-8"))
    ours = evaluate(DATA / "gold", out)
    for group in ("f1", "precision", "recall", "accuracy"):
        assert ours[group] == ref[group], group


def test_extract_flow_isolates_bad_files(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(ROOT / "raw" / "004_c7350d76604f76d1.txt", src / "good.txt")
    (src / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (src / "notes.xyz").write_text("不支持的格式", encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    summary = extract_flow([str(src)], str(out), allow_errors=True)
    assert summary["extracted"] == 1
    assert sorted((e["filename"], e["code"]) for e in summary["errors"]) == [
        ("empty.txt", "E007"), ("image.txt", "E002"), ("notes.xyz", "E003")]
    assert len(list((out / "errors").glob("*.json"))) == 3
    assert pq.read_table(out / "tables" / "errors.parquet").num_rows == 3
    assert len(list((out / "revisions").glob("*/*.json"))) == 1


def test_extract_cli_exit_codes(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["extract", str(ROOT / "raw" / "001_84c7786f5ce18276.txt"), "--out", str(tmp_path / "a")])
    assert ok.exit_code == 0, ok.output
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    failed = runner.invoke(app, ["extract", str(bad), "--out", str(tmp_path / "b")])
    assert failed.exit_code == 1
    missing = runner.invoke(app, ["extract", str(tmp_path / "nope"), "--out", str(tmp_path / "c")])
    assert missing.exit_code == 2


def test_evaluate_cli_fails_under_bar(seed_run, tmp_path):
    out, _ = seed_run
    runner = CliRunner()
    good = runner.invoke(app, ["evaluate", "--gold", str(DATA / "gold"), "--pred", str(out),
                               "--fail-under", "measures=0.95,amounts=0.95"])
    assert good.exit_code == 0 and "measures" in good.output
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = runner.invoke(app, ["evaluate", "--gold", str(DATA / "gold"), "--pred", str(empty),
                              "--fail-under", "measures=0.95"])
    assert bad.exit_code == 1


def test_anchor_jionlp_value_only_beside_ours():
    from policyflow.flows.anchor import compare, render

    results = compare(DATA / "gold", ROOT / "raw")
    ours, theirs = results["policyflow"], results["jionlp"]
    assert ours["f1"]["amounts (value only)"] >= 0.95
    assert 0.0 < theirs["f1"]["amounts (value only)"] < ours["f1"]["amounts (value only)"]
    assert "jionlp" in render(results)
