"""`policyflow` command line: extract, evaluate, schema."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Turn Chinese policy texts into validated, source-grounded data.")
console = Console(stderr=True)


def _prefect_env(verbose: bool) -> None:
    """Local mode, quiet logs, state kept in ./.prefect unless PREFECT_HOME says otherwise."""
    os.environ.setdefault("PREFECT_HOME", str(Path.cwd() / ".prefect"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false" if not verbose else "true")


@app.command()
def extract(paths: List[Path] = typer.Argument(..., help="files or folders to ingest"),
            out: Path = typer.Option(Path("output"), "--out", "-o", help="output folder"),
            verbose: bool = typer.Option(False, "--verbose", "-v", help="show Prefect's logs")) -> None:
    """Extract every policy file under PATHS into OUT (revisions/, tables/, catalog.duckdb)."""
    _prefect_env(verbose)
    from flows.extract_flow import extract_flow

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]No such file or folder: {', '.join(missing)}")
        raise typer.Exit(2)
    summary = extract_flow([str(p) for p in paths], str(out))
    _print_summary(summary, out)
    if summary["errors"]:
        console.print(f"[red]{len(summary['errors'])} document(s) failed; error records in {out / 'errors'}")
        raise typer.Exit(1)


def _print_summary(summary: dict, out: Path) -> None:
    t = Table(title=f"policyflow extract → {out}")
    for col in ("documents", "extracted", "duplicates", "warnings", "errors"):
        t.add_column(col, justify="right")
    t.add_row(*(str(summary[c]) for c in ("documents", "extracted", "duplicates", "warnings")),
              str(len(summary["errors"])))
    console.print(t)
    r = Table(show_header=True)
    r.add_column("records")
    r.add_column("count", justify="right")
    for k, v in summary["records"].items():
        r.add_row(k, str(v))
    console.print(r)
    for e in summary["errors"]:
        console.print(f"[yellow]{e['filename']}[/] [{e['code']}] {e['message']}")


@app.command()
def evaluate(gold: Path = typer.Option(..., help="folder of gold JSON files (GOLD.md format)"),
             pred: Path = typer.Option(..., help="extraction output folder (or one revision JSON)"),
             json_out: Optional[Path] = typer.Option(None, "--json", help="also write the figures here"),
             fail_under: Optional[str] = typer.Option(None, help="bars, e.g. measures=0.95,amounts=0.9")) -> None:
    """Score extraction output against gold annotations."""
    from flows.evaluate import below_bars, evaluate as run, render
    from schemas.errors import GoldError

    try:
        result = run(gold, pred)
    except GoldError as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2)
    typer.echo(render(result))
    if json_out:
        json_out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    bars = dict((k, float(v)) for k, v in (b.split("=") for b in (fail_under or "").split(",") if b))
    failures = below_bars(result, bars)
    for f in failures:
        typer.echo(f"below bar: {f}")
    if failures or (bars and result["missing_outputs"]):
        raise typer.Exit(1)


@app.command()
def anchor(gold: Path = typer.Option(..., help="folder of gold JSON files"),
           sources: Path = typer.Option(..., help="folder holding the gold documents' source files")) -> None:
    """Value-only amount score of JioNLP's money extractor beside policyflow's (dev dependency jionlp)."""
    from flows.anchor import compare, render

    try:
        typer.echo(render(compare(gold, sources)))
    except ModuleNotFoundError as exc:
        console.print(f"[red]{exc.name} is not installed: pip install -e '.[dev]'")
        raise typer.Exit(2)


@app.command()
def schema(check: bool = typer.Option(False, "--check", help="fail if schemas/json is stale instead of writing")) -> None:
    """Write the JSON Schema files exported from the pydantic models into schemas/json/."""
    from schemas import export

    if check:
        stale = [n for n, text in export.render().items()
                 if not (export.JSON_DIR / n).exists() or (export.JSON_DIR / n).read_text(encoding="utf-8") != text]
        if stale:
            console.print(f"[red]Stale JSON Schema files: {', '.join(stale)}; run `policyflow schema`.")
            raise typer.Exit(1)
        return
    for p in export.write():
        typer.echo(str(p))


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
