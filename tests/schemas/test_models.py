"""The contract models: exported JSON Schema in sync, spans validated, enums enforced."""
import pytest
from pydantic import ValidationError

from schemas import export
from schemas.models import Amount, RevisionDocument


def test_models_json_schema_files_are_current():
    rendered = export.render()
    for name, text in rendered.items():
        path = export.JSON_DIR / name
        assert path.exists(), f"{name} missing: run `policyflow schema`"
        assert path.read_text(encoding="utf-8") == text, f"{name} is stale: run `policyflow schema`"


def _doc(**over):
    base = {"policy_id": "pol-x", "revision_id": "sha256:" + "0" * 64,
            "source": {"filename": "a.txt", "sha256": "0" * 64, "encoding": "utf-8", "format": "text",
                       "size_bytes": 3},
            "text": "给予10万元补助", "metadata": {"title": "t"}}
    base.update(over)
    return base


def test_models_span_inside_text_accepted():
    amount = {"id": "a1", "span": [2, 6], "role": "subsidy", "bound": "exact", "value_yuan": 100000}
    doc = RevisionDocument.model_validate(_doc(amounts=[amount]))
    assert doc.amounts[0].span == (2, 6)


@pytest.mark.parametrize("span", [[2, 99], [5, 2], [-1, 3]])
def test_models_span_outside_text_rejected(span):
    amount = {"id": "a1", "span": span, "role": "subsidy", "bound": "exact", "value_yuan": 100000}
    with pytest.raises(ValidationError):
        RevisionDocument.model_validate(_doc(amounts=[amount]))


@pytest.mark.parametrize("over", [
    {"role": "grant"}, {"bound": "upper"}, {"value_yuan": None, "ratio": None}, {"ratio": 0.1},
    {"per": ["month"]}, {"value_yuan": -5},
])
def test_models_amount_rejects_invalid_fields(over):
    amount = {"id": "a1", "span": [0, 1], "role": "subsidy", "bound": "exact", "value_yuan": 1, **over}
    with pytest.raises(ValidationError):
        Amount.model_validate(amount)


def test_models_duplicate_ids_rejected():
    unit = {"id": "x1", "span": [0, 1], "role": "lead", "name": "市科技局"}
    with pytest.raises(ValidationError):
        RevisionDocument.model_validate(_doc(units=[unit, dict(unit)]))
