"""Incremental runs, bounded retries and failure reporting."""
import shutil
from pathlib import Path

import pytest

import policyflow.flows.documents as ef
import policyflow.flows.extract_flow as flow_module
from policyflow.flows.extract_flow import extract_flow, process_document

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def corpus(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("001_84c7786f5ce18276.txt", "004_c7350d76604f76d1.txt"):
        shutil.copy(ROOT / "raw" / name, src / name)
    return src, tmp_path / "out"


def test_incremental_unchanged_documents_are_not_reextracted(corpus):
    src, out = corpus
    first = extract_flow([str(src)], str(out))
    second = extract_flow([str(src)], str(out))
    assert (first["extracted"], first["unchanged"]) == (2, 0)
    assert (second["extracted"], second["unchanged"]) == (0, 2)
    assert second["records"] == first["records"]


def test_incremental_changed_bytes_or_rules_reextract(corpus, monkeypatch):
    src, out = corpus
    extract_flow([str(src)], str(out))
    path = src / "001_84c7786f5ce18276.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("突破600家", "突破700家"), encoding="utf-8")
    changed = extract_flow([str(src)], str(out))
    assert (changed["extracted"], changed["unchanged"], changed["new_revisions"]) == (1, 1, 1)
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")  # whitespace: same revision
    rewrapped = extract_flow([str(src)], str(out))
    assert (rewrapped["duplicates"], rewrapped["new_revisions"]) == (1, 0)
    monkeypatch.setattr(ef, "fingerprint", lambda: "0.0.0+rules-changed")  # in this process: no watchdog child
    rules = extract_flow([str(src)], str(out), isolate=False)
    assert rules["unchanged"] == 0 and rules["extracted"] + rules["duplicates"] == 2


def test_incremental_force_ignores_cache(corpus):
    src, out = corpus
    extract_flow([str(src)], str(out))
    assert extract_flow([str(src)], str(out), use_cache=False)["extracted"] == 2


def test_retries_transient_failure_then_succeeds(corpus, monkeypatch):
    src, out = corpus
    real, calls = ef.build_document, []

    def flaky(ing, **kw):
        calls.append(ing.filename)
        if len(calls) < 3:
            raise OSError("disk hiccup")
        return real(ing, **kw)

    monkeypatch.setattr(ef, "build_document", flaky)
    outcome = process_document(src / "001_84c7786f5ce18276.txt", out, use_cache=False)
    assert outcome.status == "ok" and len(calls) == 3


def test_retries_are_bounded_and_recorded(corpus, monkeypatch):
    src, out = corpus

    def broken(ing, **kw):
        raise RuntimeError("rule engine exploded")

    monkeypatch.setattr(ef, "build_document", broken)
    outcome = process_document(src / "001_84c7786f5ce18276.txt", out, use_cache=False)
    assert outcome.status == "error"
    assert outcome.error["code"] == "E009" and outcome.error["stage"] == "extract"
    assert "after 3 attempts" in outcome.error["message"] and "RuntimeError" in outcome.error["message"]
    assert len(list((out / "errors").glob("*.json"))) == 1


def test_progress_bar_counts_documents():
    with flow_module.Progress(True, 3) as bar:
        bar.advance(2)
        bar.advance(1)
        assert bar.bar.tasks[0].completed == 3
