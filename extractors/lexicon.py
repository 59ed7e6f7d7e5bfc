"""Loads the extractors' data files once and compiles their patterns with `regex`."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import regex

DATA = Path(__file__).parent / "data"


def data_text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def data_lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a word-list file."""
    return [ln.strip() for ln in data_text(name).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


@lru_cache(maxsize=None)
def patterns() -> dict:
    return tomllib.loads(data_text("patterns.toml"))


def compile_(pattern: str, flags: int = 0) -> regex.Pattern:
    return regex.compile(pattern, flags | regex.V0)


_P = patterns()
LINE_CLOSERS = frozenset(_P["chars"]["line_closers"])
BODY_PUNCT = frozenset(_P["chars"]["body_punct"])
STYLES = [dict(s, regex=compile_(s["pattern"], regex.M)) for s in _P["structure"]["styles"]]
MARKER_START = compile_("|".join(f"(?:{s['pattern'].split('(?P<rest>')[0]})" for s in _P["structure"]["styles"]))
# the same markers where a match starts (pattern.match(text, pos)), for numbering glued into running text
MARKER_AT = compile_("|".join(f"(?:{s['pattern'].split('(?P<rest>')[0].removeprefix('^')})"
                              for s in _P["structure"]["styles"]))
SIGNATURE_LINE = compile_(_P["metadata"]["date_line"])
DOC_NUMBER_LINE = compile_(r"^\s*%s\s*$" % _P["metadata"]["doc_number"])
TITLE_END = compile_(_P["metadata"]["title_end"])
DOC_NUMBER = compile_(_P["metadata"]["doc_number"])
STATUS_MARK = compile_(_P["metadata"]["status_mark"])
DATE_LINE = compile_(_P["metadata"]["date_line"])
