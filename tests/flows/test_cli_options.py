"""Global options of the command line: --version, --quiet, --log-level, and `extract --json`."""
import json

from typer.testing import CliRunner

from policyflow import __version__
from policyflow.flows.cli import EXIT_USAGE, OPTIONS, app

TEXT = "关于支持创新的若干措施\n一、对新认定的企业给予50万元奖励。\n"


def _src(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(TEXT, encoding="utf-8")
    return src


def test_cli_version_prints_package_fingerprint_and_contract():
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.stdout.startswith(f"policyflow {__version__} (extractors {__version__}+") and "contract 1." in res.stdout


def test_cli_log_level_unknown_is_a_usage_error():
    res = CliRunner().invoke(app, ["--log-level", "loud", "history", "--out", "x"])
    assert res.exit_code == EXIT_USAGE
    assert "--log-level 'loud' is not one of DEBUG" in res.output


def test_cli_extract_json_prints_the_summary_on_stdout(tmp_path, monkeypatch):
    monkeypatch.setitem(OPTIONS, "quiet", False)
    res = CliRunner().invoke(app, ["extract", str(_src(tmp_path)), "--out", str(tmp_path / "out"), "--no-isolate",
                                   "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[0])
    assert summary["documents"] == 1 and summary["extracted"] == 1 and summary["errors"] == []
    assert summary["records"]["amounts"] == 1


def test_cli_quiet_prints_nothing_on_success(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "WARNING")  # restored after --log-level sets it
    res = CliRunner().invoke(app, ["--quiet", "--log-level", "error", "extract", str(_src(tmp_path)), "--out",
                                   str(tmp_path / "out"), "--no-isolate"])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == ""
    assert list((tmp_path / "out" / "revisions").rglob("*.json"))
