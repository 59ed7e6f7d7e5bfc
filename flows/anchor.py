"""Anchor comparison: JioNLP's generic money extractor vs policyflow, value-only, on gold documents.

JioNLP (`jionlp.ner.extract_money`) is a dev/bench dependency (`pip install -e '.[dev]'`). Its hits
become amount records carrying only a value; both outputs go through the same scorer, so the
`amounts (value only)` row compares like with like.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from policyflow.flows.evaluate import Scorer, load_gold
from policyflow.flows.extract_flow import build_document
from policyflow.flows.ingest import read_document


def jionlp_money(text: str) -> list[dict]:
    """JioNLP money hits as value-only amount records (spans into `text`)."""
    with contextlib.redirect_stdout(io.StringIO()):  # jionlp prints a banner on import
        import jionlp
    out = []
    for i, hit in enumerate(jionlp.ner.extract_money(text, with_parsing=True)):
        try:
            value = round(float(hit["detail"]["num"]))
        except (KeyError, TypeError, ValueError):
            continue
        out.append({"id": f"j{i + 1}", "span": list(hit["offset"]), "role": "subsidy", "bound": "exact",
                    "value_yuan": value, "ratio": None, "per": [], "condition_id": None, "measure_id": None})
    return out


def compare(gold_dir: Path, sources: Path) -> dict[str, dict]:
    """Scores of policyflow and of JioNLP on the gold documents whose sources are in `sources`."""
    ours, theirs = Scorer(), Scorer()
    golds = load_gold(gold_dir)
    for gold in golds:
        doc = build_document(read_document(Path(sources) / gold["filename"]))
        ours.add(gold, doc)
        theirs.add(gold, dict(doc, amounts=jionlp_money(doc["text"]), conditions=[]))
    return {"policyflow": ours.result(len(golds), []), "jionlp": theirs.result(len(golds), [])}


def render(results: dict[str, dict]) -> str:
    lines = [f"{'':12} {'value-only P':>13} {'R':>6} {'F1':>6} {'amounts F1':>11}"]
    for name, r in results.items():
        k = "amounts (value only)"
        lines.append(f"{name:12} {r['precision'][k]:13.3f} {r['recall'][k]:6.3f} {r['f1'][k]:6.3f} "
                     f"{r['f1']['amounts']:11.3f}")
    return "\n".join(lines)
