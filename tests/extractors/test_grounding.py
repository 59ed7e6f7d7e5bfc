"""Every record of every test document is grounded: a non-empty span whose text holds its figure or name."""
from pathlib import Path

import pytest

from policyflow.extractors.normalize import compact, normalize
from policyflow.extractors.numbers import find_quantities
from policyflow.flows.ingest import iter_sources, read_document
from policyflow.extractors.pipeline import extract

ROOT = Path(__file__).resolve().parents[2]
DOCS = iter_sources([ROOT / "raw", ROOT / "tests" / "data" / "corpus" / "sources"])


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_grounding_every_record_span_holds_its_evidence(path):
    ing = read_document(path)
    doc = extract(ing.text, portal=ing.portal)
    text = doc["text"]
    for kind in ("sections", "measures", "targets", "amounts", "units", "conditions"):
        for rec in doc[kind]:
            a, b = rec["span"]
            assert 0 <= a < b <= len(text), (kind, rec)
    for u in doc["units"]:
        assert compact(text[slice(*u["span"])]) == u["name"]
    for m in doc["measures"]:
        assert compact(normalize(text[slice(*m["span"])]).text).find(m["label"]) >= 0
    for a in doc["amounts"]:
        evidence = normalize(text[slice(*a["span"])]).text
        values = {round(q.value) if q.kind == "money" else q.value / 100 if q.kind == "percent" else q.value
                  for q in find_quantities(evidence)}
        values |= {round(q.value_max) for q in find_quantities(evidence) if q.value_max is not None}
        assert a["value_yuan"] in values or a["ratio"] in values or a["ratio"] == 1.0, (evidence, a)
    for t in doc["targets"]:
        evidence = normalize(text[slice(*t["span"])]).text
        assert any(q.value == t["value"] for q in find_quantities(evidence)), (evidence, t)
