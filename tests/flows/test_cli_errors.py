"""Clear errors: every mistake on the command line is one line and exit 2, never a traceback."""
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policyflow.flows.cli import EXIT_USAGE, app, prefect_home

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("args", [
    ["extract", str(ROOT / "raw"), "--out", "{tmp}/out", "--dask-address", "not an address"],
    ["extract", str(ROOT / "raw"), "--out", "{tmp}/out", "--dask-address", "tcp://127.0.0.1:1"],
    ["evaluate", "--gold", "/nonexistent", "--pred", "{tmp}"],
    ["evaluate", "--gold", str(ROOT / "tests" / "data" / "gold"), "--pred", "{tmp}/nowhere"],
    ["evaluate", "--gold", str(ROOT / "tests" / "data" / "gold"), "--pred", "{tmp}", "--fail-under", "foo=0.5"],
    ["evaluate", "--gold", str(ROOT / "tests" / "data" / "gold"), "--pred", "{tmp}", "--fail-under", "measures=high"],
    ["serve", "--raw", str(ROOT / "raw"), "--cron", "every night"],
], ids=["dask_address_malformed", "dask_address_silent", "gold_missing", "pred_missing", "bar_unknown",
        "bar_not_a_number", "cron_not_cron"])
def test_cli_usage_error_is_one_line_exit_2(tmp_path, args):
    result = CliRunner().invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == EXIT_USAGE, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_prefect_home_is_never_the_current_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert prefect_home() == tmp_path / "policyflow" / "prefect"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert prefect_home() == Path.home() / ".local" / "share" / "policyflow" / "prefect"
