"""`policyflow` command line: extract, diff, history, evaluate, coverage, anchor, schema."""
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
console = Console(stderr=True, emoji=False)  # `:abcd:` in a revision id or file name stays text


def prefect_home() -> Path:
    """Where Prefect keeps local state when PREFECT_HOME is unset: the user's data folder
    ($XDG_DATA_HOME/policyflow/prefect), never the folder the command is run from."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "policyflow" / "prefect"


def _use_prefect_home() -> Path:
    """PREFECT_HOME, set to `prefect_home()` when unset, created: where every command keeps Prefect's state."""
    os.environ.setdefault("PREFECT_HOME", str(prefect_home()))
    home = Path(os.environ["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    return home


def _prefect_env(verbose: bool) -> None:
    """Quiet logs, state under PREFECT_HOME (or `prefect_home()`), and without PREFECT_API_URL the
    reusable local server (`flows/local_server.py`) instead of a temporary server per command."""
    home = _use_prefect_home()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false" if not verbose else "true")
    if os.environ.get("PREFECT_API_URL"):
        return
    from policyflow.flows import local_server
    from policyflow.schemas.errors import ConfigError

    try:
        if local_server.mode() == "reuse":
            os.environ["PREFECT_API_URL"] = local_server.ensure(home)
            os.environ[local_server.LOCAL_API] = os.environ["PREFECT_API_URL"]
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)


EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_OUTPUT = 1, 2, 3, 4  # documented in the README
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
OPTIONS = {"quiet": False}


def _show_version(value: bool) -> None:
    if value:
        from policyflow import __version__
        from policyflow.extractors import fingerprint
        from policyflow.schemas.models import SCHEMA_VERSION

        typer.echo(f"policyflow {__version__} (extractors {fingerprint()}, contract {SCHEMA_VERSION})")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                          help="print the version (package, extractor fingerprint, contract) and exit"),
             quiet: bool = typer.Option(False, "--quiet", "-q", help="print errors and warnings only"),
             log_level: Optional[str] = typer.Option(None, "--log-level", metavar="LEVEL",
                                                     help="log level of Prefect's and policyflow's loggers: "
                                                          "DEBUG, INFO, WARNING (default), ERROR")) -> None:
    """Turn Chinese policy texts into validated, source-grounded data."""
    OPTIONS["quiet"] = quiet
    if log_level is not None:
        level = log_level.strip().upper()
        if level not in LOG_LEVELS:
            fail(f"--log-level {log_level!r} is not one of {', '.join(LOG_LEVELS)}.", EXIT_USAGE)
        os.environ["PREFECT_LOGGING_LEVEL"] = level
        import logging

        logging.getLogger("policyflow").setLevel(level)


def plain(text) -> str:
    """Text for a terminal: control characters (ANSI escapes among them) shown as `\\xNN`, breaks and tabs kept."""
    return "".join(c if c in "\n\t" or (ord(c) >= 32 and not 0x7f <= ord(c) < 0xa0) else f"\\x{ord(c):02x}"
                   for c in str(text))


def echo(text, *, err: bool = False) -> None:
    typer.echo(plain(text), err=err)


def safe(text) -> str:
    """Text for rich: `plain`, with rich markup escaped (a `[bold]` in a file name is printed as is)."""
    from rich.markup import escape

    return escape(plain(text))


def fail(message: str, code: int) -> None:
    """One line on stderr (never a traceback), then exit with `code`."""
    console.print(safe(message), style="red", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _output_failure(exc: OSError, out: Path) -> None:
    """E020 for a full disk, a read-only or unwritable output folder: one line, exit 4."""
    import errno

    from policyflow.schemas.errors import Errors

    hint = {errno.ENOSPC: "free some space and re-run.", errno.EDQUOT: "free some space and re-run.",
            errno.EROFS: "the file system is read-only; choose another --out.",
            errno.EACCES: "check the folder's permissions or choose another --out.",
            errno.EPERM: "check the folder's permissions or choose another --out."}.get(exc.errno, "re-run once fixed.")
    fail("[E020] " + Errors.E020.format(path=out, cause=exc.strerror or exc, hint=hint), EXIT_OUTPUT)


def _quiet_run_failed() -> None:
    """Prefect logs a flow's exception with its traceback; RunFailed (documents failed) is reported by
    the CLI in one line, so its traceback is left to -v."""
    import logging

    from policyflow.schemas.errors import RunFailed

    def keep(record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], RunFailed))

    logging.getLogger("prefect.flow_runs").addFilter(keep)


def _check_dask(address: str) -> None:
    """A Dask scheduler address that parses and answers within 5 s, else one line and exit 2."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if parts.scheme not in ("tcp", "tls") or not host or not port:
        fail(f"--dask-address {address!r} is not a scheduler address like tcp://HOST:8786.", EXIT_USAGE)
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        fail(f"--dask-address {address}: no Dask scheduler answers ({exc.strerror or exc}).", EXIT_USAGE)


@app.command()
def extract(paths: List[Path] = typer.Argument(..., help="files or folders to ingest"),
            out: Path = typer.Option(Path("output"), "--out", "-o", help="output folder"),
            batch_size: Optional[int] = typer.Option(None, help="documents per Prefect task (default: ~8 tasks)"),
            workers: Optional[int] = typer.Option(None, help="start a local Dask cluster with N workers"),
            dask_address: Optional[str] = typer.Option(None, help="run on an existing Dask cluster (tcp://HOST:PORT)"),
            force: bool = typer.Option(False, "--force", help="re-extract documents even if unchanged"),
            wait: float = typer.Option(0.0, "--wait", help="seconds to wait for another run on OUT to finish"),
            max_bytes: int = typer.Option(20_000_000, help="larger files are recorded as errors (E011)"),
            time_limit: float = typer.Option(120.0, help="seconds per document (ingest, extraction, its reviews) "
                                                         "before it is stopped and recorded as an error (E015)"),
            memory_limit: int = typer.Option(1024, help="MB per document before it is stopped and recorded (E017)"),
            isolate: bool = typer.Option(True, "--isolate/--no-isolate",
                                         help="run documents under the watchdog (a child process that enforces "
                                              "the limits); --no-isolate only checks time between stages"),
            hints: Optional[Path] = typer.Option(None, "--hints", help="source hints (a crawl's manifest: file, title, "
                                                                       "date columns) for what texts do not print"),
            include: Optional[List[str]] = typer.Option(None, "--include", help="only files matching this glob "
                                                        "(name or path in its folder; repeatable), e.g. '*.txt'"),
            exclude: Optional[List[str]] = typer.Option(None, "--exclude", help="skip files matching this glob "
                                                        "(repeatable), e.g. 'Thumbs.db' or 'drafts/*'"),
            text_column: Optional[str] = typer.Option(None, "--text-column", help="crawl dumps (.csv/.tsv/.jsonl/"
                                                      ".parquet, a document per row): the column holding the text "
                                                      "(default: text, content, 正文, 内容, 全文 or body)"),
            title_column: Optional[str] = typer.Option(None, "--title-column", help="a dump's title column, a hint "
                                                       "(default: title, 标题 or 名称)"),
            date_column: Optional[str] = typer.Option(None, "--date-column", help="a dump's date column, a hint "
                                                      "(default: date, publish_date, 发布日期, 发布时间 or 成文日期)"),
            url_column: Optional[str] = typer.Option(None, "--url-column", help="a dump's address column, kept as "
                                                     "source.url (default: url, 访问地址, 链接 or 原文链接)"),
            allow_errors: bool = typer.Option(False, "--allow-errors",
                                              help="exit 0 (and end the flow run Completed) when documents failed"),
            json_summary: bool = typer.Option(False, "--json", help="print the run summary as JSON on stdout "
                                                                    "(counts, records, errors; tables go to stderr)"),
            verbose: bool = typer.Option(False, "--verbose", "-v", help="show Prefect's logs")) -> None:
    """Extract every policy file under PATHS into OUT (revisions/, tables/, catalog.duckdb, diffs/)."""
    if isolate and not (workers or dask_address) and all(p.exists() for p in paths):
        from policyflow.flows import watchdog

        watchdog.shared().start()  # the child loads the extractors while this process loads Prefect
    _prefect_env(verbose)
    from policyflow.flows.extract_flow import check_overlap, claim_processes, extract_flow, local_settings
    from policyflow.flows.hints import load_hints
    from policyflow.flows.store import output_lock
    from policyflow.schemas.errors import ConfigError, HintsError, LockedError, RunFailed

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"No such file or folder: {', '.join(missing)}", EXIT_USAGE)
    try:
        check_overlap(paths, out)
        if hints:
            load_hints(hints)
    except (ConfigError, HintsError) as exc:
        fail(str(exc), EXIT_USAGE)
    if dask_address:
        _check_dask(dask_address)
    if workers and workers >= (os.cpu_count() or 1):
        console.print(safe(f"Warning: --workers {workers} on {os.cpu_count()} cores: workers compete for the cores "
                           "(and each loads the extractors); fewer workers are usually faster."),
                      style="yellow", highlight=False, soft_wrap=True)
    flow_fn = extract_flow
    if workers or dask_address:
        from prefect_dask import DaskTaskRunner

        runner = (DaskTaskRunner(address=dask_address) if dask_address else
                  DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                                 "dashboard_address": None}))
        flow_fn = extract_flow.with_options(task_runner=runner)
    claim_processes()  # before Prefect starts its temporary server, so that the server carries the mark
    if not verbose:
        _quiet_run_failed()
    try:
        with output_lock(out, wait=wait):
            pass  # queue (or fail clearly) before Prefect starts; the flow then takes the lock itself
        with local_settings():
            summary = flow_fn([str(p) for p in paths], str(out), batch_size=batch_size, use_cache=not force,
                              progress=console.is_terminal and not verbose, wait=wait,
                              max_bytes=max_bytes, time_limit=time_limit, hints=str(hints) if hints else None,
                              memory_limit=memory_limit, isolate=isolate, allow_errors=allow_errors,
                              include=include or None, exclude=exclude or None, text_column=text_column,
                              title_column=title_column, date_column=date_column, url_column=url_column)
    except RunFailed as exc:
        _print_summary(exc.summary, out, as_json=json_summary)
        fail(str(exc), EXIT_FAILED)
    except LockedError as exc:
        fail(str(exc), EXIT_LOCKED)
    except OSError as exc:
        if verbose:
            raise
        _output_failure(exc, out)
    _print_summary(summary, out, as_json=json_summary)
    if summary["errors"]:
        console.print(safe(f"{len(summary['errors'])} document(s) failed (allowed); error records in "
                           f"{out / 'errors'}"), style="yellow", highlight=False, soft_wrap=True)


server_app = typer.Typer(no_args_is_help=True, help="The reusable local Prefect server that local runs use "
                                                       "(one per PREFECT_HOME; stops itself when idle).")
app.add_typer(server_app, name="server")


@server_app.command("start")
def server_start(idle: float = typer.Option(None, help="seconds without a request before it stops itself "
                                                       "(default 900, or POLICYFLOW_SERVER_IDLE)")) -> None:
    """Start the local server now (the first local run would start it anyway) and print its API URL."""
    from policyflow.flows import local_server
    from policyflow.schemas.errors import ConfigError

    try:
        echo(local_server.ensure(_use_prefect_home(), idle=idle))
    except ConfigError as exc:
        fail(str(exc), EXIT_FAILED)


@server_app.command("status")
def server_status() -> None:
    """Print the local server's API URL, pid and idle limit; exit 1 when none is running."""
    from policyflow.flows import local_server

    home = _use_prefect_home()
    info = local_server.status(home)
    if not info:
        echo(f"No local Prefect server for {home}.")
        raise typer.Exit(EXIT_FAILED)
    echo(f"{info['url']} pid {info['pid']} (stops after {info.get('idle_seconds', '?')} s idle)")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local server (the next local run starts a new one)."""
    from policyflow.flows import local_server

    home = _use_prefect_home()
    echo("stopped" if local_server.stop(home) else f"No local Prefect server for {home}.")


@app.command()
def serve(raw: Path = typer.Option(Path("raw"), help="folder of policy files to extract on each run"),
          out: Path = typer.Option(Path("output"), "--out", "-o", help="output folder"),
          cron: str = typer.Option("0 2 * * *", help="schedule (cron, server time zone unless --timezone)"),
          timezone_: str = typer.Option("Asia/Shanghai", "--timezone", help="time zone of the cron schedule"),
          name: str = typer.Option("policyflow-scheduled", help="deployment name"),
          hints: Optional[Path] = typer.Option(None, "--hints", help="source hints file read on each run")) -> None:
    """Serve the extract flow as a scheduled deployment on the Prefect API in PREFECT_API_URL."""
    _use_prefect_home()
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    from policyflow.flows.extract_flow import extract_flow

    try:
        schedule = CronSchedule(cron=cron, timezone=timezone_)
    except ValidationError as exc:
        reason = exc.errors()[0].get("msg", "invalid")
        fail(f"--cron {cron!r} / --timezone {timezone_!r}: {reason}. A cron schedule has five fields, "
             "e.g. '0 2 * * *' (02:00 every day).", EXIT_USAGE)
    if not raw.is_dir():
        fail(f"No such folder: {raw}", EXIT_USAGE)
    extract_flow.serve(name=name, schedules=[schedule],
                       parameters={"paths": [str(raw.resolve())], "out": str(out.resolve()),
                                   **({"hints": str(hints.resolve())} if hints else {})},
                       description="Extract policy texts into validated JSON, Parquet and DuckDB.")


def _print_summary(summary: dict | None, out: Path, *, as_json: bool = False) -> None:
    """The run's tables on stderr (errors only with --quiet); with `as_json` the summary on stdout."""
    summary = summary or {"documents": 0, "extracted": 0, "unchanged": 0, "duplicates": 0, "warnings": 0,
                          "errors": [], "records": {}}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, sort_keys=True, default=str))
    if OPTIONS["quiet"]:
        for e in summary["errors"]:
            console.print(f"[yellow]{safe(e['filename'])}[/] {safe('[' + e['code'] + ']')} {safe(e['message'])}",
                          highlight=False)
        return
    t = Table(title=safe(f"policyflow extract → {out}"))
    for col in ("documents", "extracted", "unchanged", "duplicates", "warnings", "errors", "seconds"):
        t.add_column(col, justify="right")
    t.add_row(*(str(summary[c]) for c in ("documents", "extracted", "unchanged", "duplicates", "warnings")),
              str(len(summary["errors"])), str(summary.get("seconds", "")))
    console.print(t)
    r = Table(show_header=True)
    r.add_column("records")
    r.add_column("count", justify="right")
    for k, v in summary["records"].items():
        r.add_row(k, str(v))
    console.print(r)
    for e in summary["errors"]:
        console.print(f"[yellow]{safe(e['filename'])}[/] {safe('[' + e['code'] + ']')} {safe(e['message'])}",
                      highlight=False)


@app.command()
def evaluate(gold: Path = typer.Option(..., help="folder of gold JSON files (GOLD.md format)"),
             pred: Path = typer.Option(..., help="extraction output folder (or one revision JSON)"),
             json_out: Optional[Path] = typer.Option(None, "--json", help="also write the figures here"),
             fail_under: Optional[str] = typer.Option(None, help="bars, e.g. measures=0.95,amounts=0.9")) -> None:
    """Score extraction output against gold annotations."""
    from policyflow.flows.evaluate import below_bars, evaluate as run, render
    from policyflow.schemas.errors import GoldError

    if not gold.is_dir() or not any(gold.glob("*.json")):
        fail(f"No gold files: {gold} is not a folder of gold JSON files.", EXIT_USAGE)
    if not pred.exists():
        fail(f"No such file or folder: {pred}", EXIT_USAGE)
    try:
        result = run(gold, pred)
    except GoldError as exc:
        fail(str(exc), EXIT_USAGE)
    bars = {}
    known = set(result["f1"]) | set(result["accuracy"])
    for item in filter(None, (fail_under or "").split(",")):
        name, _, value = item.partition("=")
        try:
            bars[name.strip()] = float(value)
        except ValueError:
            fail(f"--fail-under: {item!r} is not NAME=NUMBER (e.g. measures=0.95).", EXIT_USAGE)
        if name.strip() not in known:
            fail(f"--fail-under: unknown figure {name.strip()!r}; known: {', '.join(sorted(known))}.", EXIT_USAGE)
    echo(render(result))
    if json_out:
        json_out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    failures = below_bars(result, bars)
    for f in failures:
        echo(f"below bar: {f}")
    if failures or (bars and result["missing_outputs"]):
        raise typer.Exit(1)


@app.command()
def coverage(paths: List[Path] = typer.Argument(..., help="files or folders (a corpus, e.g. ../shared/corpus/real)"),
             json_out: Optional[Path] = typer.Option(None, "--json", help="also write the figures here"),
             fail_under: Optional[str] = typer.Option(None, help="floors on shares, e.g. title=0.95,laws/measures=0.5"),
             time_limit: float = typer.Option(120.0, help="seconds per document before it counts as an error"),
             hints: Optional[Path] = typer.Option(None, "--hints", help="source hints (a crawl's manifest: file, title, "
                                                                        "date columns) for what texts do not print")) -> None:
    """Share of documents with a title, issuer, measures, amounts... overall and per subfolder (no gold needed)."""
    from policyflow.flows.coverage import below_floors, coverage as run, parse_floors, render
    from policyflow.flows.extract_flow import Limits
    from policyflow.flows.hints import load_hints
    from policyflow.schemas.errors import HintsError

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        echo(f"No such file or folder: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    try:
        floors = parse_floors(fail_under)
    except ValueError as exc:
        echo(f"--fail-under: {exc}", err=True)
        raise typer.Exit(2)
    try:
        source_hints = load_hints(hints) if hints else None
    except HintsError as exc:
        echo(str(exc), err=True)
        raise typer.Exit(2)
    result = run(paths, progress=console.is_terminal, limits=Limits(time_limit=time_limit), hints=source_hints)
    echo(render(result))
    if json_out:
        json_out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    failures = below_floors(result, floors)
    for f in failures:
        echo(f"below floor: {f}")
    if failures:
        raise typer.Exit(1)


_HEX = frozenset("0123456789abcdef")


def _stored_revision(ref: str, out: Path) -> dict | None:
    """The stored revision whose id starts with `ref` (as `history` prints it: `sha256:1a2b3c…`, with or
    without `sha256:` and the ellipsis); None when `ref` is not such a prefix. Fails on an ambiguous one."""
    h = ref.strip().rstrip("…").rstrip(".").lower()
    h = h[len("sha256:"):] if h.startswith("sha256:") else h
    if len(h) < 4 or not set(h) <= _HEX:
        return None
    from policyflow.flows.store import revision_files, revision_id_of

    found = sorted(revision_files(out, f"sha256:{h}"), key=lambda p: p.name)
    ids = sorted({revision_id_of(p) for p in found})
    if len(ids) > 1:
        shown = ", ".join(i[:19] + "…" for i in ids[:5]) + (", …" if len(ids) > 5 else "")
        fail(f"Ambiguous revision {ref}: {len(ids)} stored revisions start with it ({shown}); give more characters.",
             EXIT_USAGE)
    return json.loads(found[0].read_text(encoding="utf-8")) if found else None


def _revision(ref: str, out: Path) -> dict:
    """A revision from a source file (extracted now) or from the store by its revision id or a prefix of it."""
    from policyflow.flows.extract_flow import build_document
    from policyflow.flows.ingest import read_document
    from policyflow.schemas.errors import PolicyflowError

    path = Path(ref)
    if path.is_file():
        try:
            return build_document(read_document(path))
        except PolicyflowError as exc:
            fail(f"{ref}: {exc}", EXIT_FAILED)
    if path.exists():
        fail(f"Not a file: {ref}", EXIT_USAGE)
    doc = _stored_revision(ref, out)
    if doc is None:
        looks_like_id = ref.startswith("sha256:") or set(ref.strip().rstrip("…").lower()) <= _HEX
        fail(f"No such file or stored revision: {ref} (revisions looked up in {out / 'revisions'})" if looks_like_id
             else f"No such file: {ref}", EXIT_USAGE)
    return doc


def _json_text(d: dict) -> str:
    """The diff as JSON, with DEL and C1 control characters escaped too (so that `plain` leaves it valid)."""
    text = json.dumps(d, ensure_ascii=False, indent=1)
    return "".join(f"\\u{ord(c):04x}" if 0x7f <= ord(c) < 0xa0 else c for c in text)


@app.command()
def diff(refs: List[str] = typer.Argument(..., help="OLD NEW (files, revision ids or the short ids `history` "
                                                    "prints), or one policy id (its two latest revisions)"),
         out: Path = typer.Option(Path("output"), "--out", "-o", help="output folder (the revision store)"),
         as_json: bool = typer.Option(False, "--json", help="print the diff JSON instead of the summary"),
         json_out: Optional[Path] = typer.Option(None, "--json-out", help="also write the diff JSON here")) -> None:
    """Diff two revisions: print what changed (exit 0 when the same, 1 when they differ, 2 for usage errors);
    the JSON, Markdown and HTML are written under OUT/diffs/<policy_id>/."""
    from policyflow.flows.review import history, load_revision, write_review
    from policyflow.flows.store import atomic_write, refresh_catalog_if_idle
    from policyflow.flows.summary import plain_lines, summarize

    try:
        if len(refs) == 1:
            if Path(refs[0]).exists():
                fail("Give OLD NEW to diff files; one argument is a policy id.", EXIT_USAGE)
            rows = history(out, refs[0]).get(refs[0], [])
            if len(rows) < 2:
                fail(f"Policy {refs[0]} has {len(rows)} stored revision(s) in {out}; a diff needs two.", EXIT_USAGE)
            old, new = (load_revision(out, r["revision_id"]) for r in rows[-2:])
        elif len(refs) == 2:
            old, new = (_revision(r, out) for r in refs)
        else:
            fail("Give OLD NEW, or one policy id.", EXIT_USAGE)
    except FileNotFoundError as exc:
        fail(str(exc), EXIT_USAGE)
    if old["policy_id"] != new["policy_id"]:
        console.print(safe(f"Warning: different policies ({old['policy_id']} vs {new['policy_id']}); diffing anyway."),
                      style="yellow", highlight=False)
    try:
        paths = write_review(out, old, new)
        refresh_catalog_if_idle(out)  # the diffs table and the catalog include it
        d = json.loads(paths["json"].read_text(encoding="utf-8"))
        if json_out:
            atomic_write(json_out, paths["json"].read_bytes())
    except OSError as exc:
        _output_failure(exc, out)
    if as_json:
        echo(_json_text(d))
    else:
        title = new["metadata"].get("title") or d["policy_id"]
        echo(f"{title}: {d['from_filename']} ({old['metadata'].get('status')}) → {d['to_filename']} "
             f"({new['metadata'].get('status')})")
        for line in plain_lines(summarize(d)):
            echo(line)
    for kind, path in paths.items():
        console.print(safe(f"{kind}: {path}"), style="dim", highlight=False, soft_wrap=True)
    raise typer.Exit(1 if d["changes"] else 0)


@app.command()
def history(policy: Optional[str] = typer.Argument(None, help="a policy id (default: every policy)"),
            out: Path = typer.Option(Path("output"), "--out", "-o", help="output folder (the revision store)")) -> None:
    """List policies and their revisions in order (issue date, draft before final, first seen)."""
    from policyflow.flows.review import history as load

    policies = load(out, policy)
    if not policies:
        console.print(safe(f"No stored revisions{' for ' + policy if policy else ''} in {out}."), style="yellow")
        raise typer.Exit(1 if policy else 0)
    for pid, rows in policies.items():
        t = Table(title=safe(f"{pid}  {rows[-1]['title'] or ''}"))
        for col in ("#", "revision", "status", "issue_date", "first_seen", "file", "measures", "amounts"):
            t.add_column(col)
        for i, r in enumerate(rows, 1):
            t.add_row(str(i), r["revision_id"][:19] + "…", r["status"], safe(r["issue_date"] or "—"),
                      r["first_seen"] or "—", safe(r["filename"]), str(r["n_measures"]), str(r["n_amounts"]))
        Console(width=max(140, console.width)).print(t)


@app.command()
def anchor(gold: Path = typer.Option(..., help="folder of gold JSON files"),
           sources: Path = typer.Option(..., help="folder holding the gold documents' source files")) -> None:
    """Value-only amount score of JioNLP's money extractor beside policyflow's (dev dependency jionlp)."""
    from policyflow.flows.anchor import compare, render

    try:
        echo(render(compare(gold, sources)))
    except ModuleNotFoundError as exc:
        console.print(safe(f"{exc.name} is not installed: pip install -e '.[dev]'"), style="red", highlight=False)
        raise typer.Exit(2)


@app.command()
def schema(check: bool = typer.Option(False, "--check", help="fail if schemas/json is stale instead of writing")) -> None:
    """Write the JSON Schema files exported from the pydantic models into schemas/json/."""
    from policyflow.schemas import export

    if check:
        stale = [n for n, text in export.render().items()
                 if not (export.JSON_DIR / n).exists() or (export.JSON_DIR / n).read_text(encoding="utf-8") != text]
        if stale:
            fail(f"Stale JSON Schema files: {', '.join(stale)}; run `policyflow schema`.", 1)
        return
    for p in export.write():
        echo(str(p))


def main(prog_name: str | None = None) -> None:
    """The console script: run the command, then exit without waiting for the interpreter's teardown.

    A command that ran a flow otherwise spends 0.3–0.5 s after its last line tearing down Prefect's
    modules and threads. Prefect's event and log queues are drained and the atexit hooks (the
    watchdog's child, Prefect's own) run first, so nothing is lost; only the slow teardown is skipped.
    """
    try:
        app(prog_name=prog_name)
        code = 0
    except SystemExit as exc:
        code = exc.code
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    _exit_now(code)


def _exit_now(code: int) -> None:
    import atexit

    if "prefect" in sys.modules:
        for name, attr in (("prefect.events.worker", "EventsWorker"), ("prefect.logging.handlers", "APILogWorker")):
            module = sys.modules.get(name)
            if module is not None:
                try:
                    getattr(module, attr).drain_all(timeout=5)
                except Exception:  # noqa: BLE001 - exiting: a queue that cannot drain must not change the exit code
                    pass
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
