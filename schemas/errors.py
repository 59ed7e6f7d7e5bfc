"""Numbered, actionable messages and the exception hierarchy (one place, like spaCy's errors.py).

Codes are stable: downstream apps may filter `warnings[].code` and error records on them.
`E` codes stop one document (never the run); `W` codes are warnings attached to a document.
"""
from __future__ import annotations

from typing import Any


class Errors:
    E001 = "Cannot read {path}: {cause}. Check that the file exists and is readable."
    E002 = ("Cannot decode {path} as text (tried UTF-8, UTF-16, GB18030 and detection). "
            "Convert it to UTF-8 or GB18030 and re-run.")
    E003 = ("Unsupported file type {suffix!r} for {path}. Supported: .txt, .html, .htm, .docx, .pdf, and crawl "
            "dumps .csv, .tsv, .jsonl, .parquet (a document per row: `policyflow extract`, or "
            "`policyflow.extract_rows` in Python).")
    E004 = "{path} is not a valid .docx (zip) file: {cause}. Re-save it from a word processor."
    E005 = "Cannot read {path} as PDF: {cause}."
    E006 = "{path} has no extractable text{detail}. A scanned PDF needs OCR before ingest."
    E007 = "{path} is empty: nothing to extract."
    E008 = "{path} is a symlink leading outside the input folder ({target}); skipped for safety."
    E009 = "Extraction failed for {path} at stage {stage!r}: {cause}. This is a bug: please report it with the file."
    E010 = "Output validation failed for {path}: {cause}. This is a bug: please report it with the file."
    E011 = "{path} is {size} bytes, over the limit of {limit} bytes (set --max-bytes to raise it)."
    E012 = "Gold file {path} is not valid: {cause}."
    E013 = ("Another policyflow run is writing to {path}. Wait for it to finish, or pass --wait SECONDS "
            "to queue behind it.")
    E014 = "Cannot parse {path} as HTML: {cause}."
    E015 = ("Extraction of {path} passed its time limit{limit} at stage {stage!r}; raise --time-limit "
            "or split the file.")
    E016 = ("Cannot use hints file {path}: {cause}. A hints file is a CSV or JSON Lines file with a file column "
            "(file, filename, path or name) and title/date/url columns.")
    E017 = ("{path} used over {limit} MB of memory at stage {stage!r} and was stopped; raise --memory-limit "
            "if the file is genuine.")
    E018 = ("{path} has {what}, over the bound of {limit}; policyflow refuses it before the work "
            "(a damaged or hostile file, or a document that needs splitting).")
    E019 = ("The output folder {out} is {relation} the input {path}: its reports would be read back as policies. "
            "Choose an output folder outside the inputs.")
    E020 = ("Cannot write to the output folder {path}: {cause}. The previous output is intact; {hint}")
    E021 = ("Review of {path} ({stage}) passed its time limit{limit}; the diff files of this pair were not "
            "written. Raise --time-limit to review it.")
    E022 = ("{failed} of {documents} document(s) failed; error records in {path}. The others are stored; "
            "pass --allow-errors (flow parameter allow_errors) to end such runs Completed.")
    E023 = "No such file or folder: {path}. Check the run's paths (a deployment's `paths` parameter)."
    E024 = ("Cannot read {path} as a {kind} crawl dump: {cause}. A dump is a CSV (UTF-8 or GB18030), JSON Lines "
            "or Parquet file with one document per row; --text-column NAME names the column holding the text.")
    E025 = "{path} cannot be read as a document: {cause}. The other rows of the dump are read."
    E026 = ("POLICYFLOW_PREFECT_SERVER={value!r} is not one of {choices}: `reuse` keeps a local Prefect server "
            "running between runs, `temporary` lets Prefect start one per command.")
    E027 = ("The local Prefect server for {home} did not start; see {log}. Set POLICYFLOW_PREFECT_SERVER=temporary "
            "to use Prefect's temporary server, or PREFECT_API_URL to use a server of your own.")


class Warnings:
    W001 = "Decoded with {encoding} after UTF-8 failed; check the text for mojibake."
    W002 = "Grant without a figure ({phrase}): no amount recorded."
    W003 = "No title found in the first lines of the document."
    W004 = "No numbered measures found: the layout may be unsupported."
    W005 = "Undecodable bytes replaced while decoding with {encoding}."
    W006 = "Figure {figure!r} could not be parsed as a number."
    W007 = "HTML page has no <body>; used the whole document."
    W008 = "Amount {figure!r} has no grant, budget or threshold cue; recorded as a subsidy."
    W010 = "The file's {declared} is wrong: the bytes are {encoding}; decoded as {encoding}."
    W009 = "{found} figures in one document; only the first {limit} were read (the rest of the text is skipped)."
    W012 = ("The HTML page nests deeper than the parser's bound ({cause}); it was read flat, so its layout "
            "(content area, tables) may be lost.")
    W011 = ("{fields} taken from the source's metadata (a --hints file or a crawl dump's columns), not printed "
            "in the text; check that metadata if they look wrong.")


class PolicyflowError(Exception):
    """Base of every error policyflow raises on purpose; carries the context that produced it."""

    code = "E000"

    def __init__(self, code: str, *, path: str | None = None, stage: str | None = None, **context: Any):
        template = getattr(Errors, code, "{cause}")
        self.code = code
        self.path = path
        self.stage = stage
        self.context = context
        try:
            message = template.format(path=path, stage=stage, **context)
        except (KeyError, IndexError):
            message = f"{template} {context}"
        super().__init__(f"[{code}] {message}")
        self.message = message


class IngestError(PolicyflowError):
    """A source file could not be read or decoded."""


class ExtractionError(PolicyflowError):
    """A rule failed on a document."""


class OutputError(PolicyflowError):
    """Output could not be validated or written."""


class GoldError(PolicyflowError):
    """A gold annotation file is malformed or its quotes cannot be located."""


class LockedError(PolicyflowError):
    """Another run owns the output folder."""


class ConfigError(PolicyflowError):
    """The run cannot start as asked (its output folder overlaps its inputs)."""


class RunFailed(PolicyflowError):
    """Some documents of a run failed: the flow ends Failed so that an orchestrator sees it.

    `summary` is the run's summary (everything else was stored and reported)."""

    def __init__(self, code: str, *, summary: dict | None = None, **context):
        super().__init__(code, **context)
        self.summary = summary


class HintsError(PolicyflowError):
    """A source-hints file (--hints) cannot be read."""


def warning(code: str, span: tuple[int, int] | None = None, **context: Any) -> dict:
    """A `warnings` entry for the contract: `{code, message, span?}`."""
    template = getattr(Warnings, code)
    out = {"code": code, "message": template.format(**context)}
    if span is not None:
        out["span"] = span
    return out
