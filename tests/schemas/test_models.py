"""The contract models: exported JSON Schema in sync, spans validated, enums enforced."""
import pytest
from pydantic import ValidationError

from policyflow.schemas import export
from policyflow.schemas.models import (
    ACCEPTED_SCHEMA_VERSIONS, SCHEMA_VERSION, Amount, Change, Diff, Entity, ErrorRecord, Metadata, RevisionDocument,
)


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


def test_models_write_contract_version_1_1():
    assert SCHEMA_VERSION == "1.1"
    assert ACCEPTED_SCHEMA_VERSIONS == {"1.0", "1.1"}
    assert RevisionDocument.model_validate(_doc()).schema_version == "1.1"
    assert Diff(policy_id="p", from_revision="a", to_revision="b").schema_version == "1.1"


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_models_read_1_0_and_1_1_documents(version):
    doc = RevisionDocument.model_validate(_doc(schema_version=version))
    assert doc.schema_version == version
    assert doc.metadata.notice_title is None  # a 1.0 document has no notice_title: the default applies
    diff = Diff.model_validate({"schema_version": version, "policy_id": "p", "from_revision": "a",
                                "to_revision": "b", "changes": []})
    assert diff.schema_version == version


@pytest.mark.parametrize("version", ["2.0", "1.2", "1", "", "v1.1"])
def test_models_reject_unknown_schema_version(version):
    for model, data in ((RevisionDocument, _doc(schema_version=version)),
                        (Diff, {"schema_version": version, "policy_id": "p", "from_revision": "a", "to_revision": "b"})):
        with pytest.raises(ValidationError) as exc:
            model.model_validate(data)
        message = str(exc.value)
        assert f"unsupported schema_version {version!r}" in message
        assert "accepts 1.0, 1.1" in message


def test_models_notice_title_round_trips():
    md = {"title": "河北省科技投资引导基金管理办法",
          "notice_title": "关于印发《河北省科技投资引导基金管理办法》的通知"}
    doc = RevisionDocument.model_validate(_doc(metadata=md))
    dumped = doc.model_dump(mode="json", by_alias=True)
    assert dumped["schema_version"] == "1.1"
    assert dumped["metadata"]["notice_title"] == md["notice_title"]
    assert dumped["metadata"]["title"] == md["title"]
    assert list(dumped["metadata"])[:2] == ["title", "notice_title"]
    again = RevisionDocument.model_validate_json(doc.model_dump_json(by_alias=True))
    assert again == doc
    assert Metadata.model_validate({"title": "t"}).model_dump()["notice_title"] is None


def test_models_notice_title_in_json_schema():
    props = RevisionDocument.model_json_schema()["$defs"]["Metadata"]["properties"]
    assert "notice_title" in props and props["notice_title"]["default"] is None


def test_models_diff_accepts_condition_changes():
    assert Entity.condition.value == "condition"
    change = Change.model_validate({"entity": "condition", "change": "modified", "field": "text",
                                    "from": "首次认定的企业", "to": "首次通过认定的企业", "amount_ids": ["a1"]})
    assert change.entity == "condition"
    with pytest.raises(ValidationError):
        Change.model_validate({"entity": "clause", "change": "added"})


def _grounded_doc(**amount_over):
    text = "𠮷州：给予10万元补助"
    amount = {"id": "a1", "span": [5, 9], "span_utf16": [6, 10], "evidence": "10万元", "role": "subsidy",
              "bound": "exact", "value_yuan": 100000, **amount_over}
    return _doc(text=text, amounts=[amount])


def test_models_evidence_and_utf16_span_round_trip():
    doc = RevisionDocument.model_validate(_grounded_doc())
    dumped = doc.model_dump(mode="json", by_alias=True)["amounts"][0]
    assert dumped["evidence"] == "10万元" and dumped["span_utf16"] == [6, 10]
    assert list(dumped)[:4] == ["id", "span", "span_utf16", "evidence"]  # beside the span they describe


@pytest.mark.parametrize("over", [{"evidence": "10万"}, {"evidence": "给予10万元"}, {"span_utf16": [5, 9]},
                                  {"span_utf16": [6, 11]}])
def test_models_evidence_or_utf16_span_not_matching_span_rejected(over):
    with pytest.raises(ValidationError):
        RevisionDocument.model_validate(_grounded_doc(**over))


def test_models_documents_without_evidence_still_read():
    doc = RevisionDocument.model_validate(_grounded_doc(evidence=None, span_utf16=None))
    assert doc.amounts[0].evidence is None and doc.amounts[0].span_utf16 is None
    legacy = _grounded_doc()
    for key in ("evidence", "span_utf16"):
        legacy["amounts"][0].pop(key)
    assert RevisionDocument.model_validate(legacy).amounts[0].evidence is None


def test_models_warning_evidence_needs_a_span():
    warning = {"code": "W003", "message": "No title found in the first lines of the document.", "evidence": "x"}
    with pytest.raises(ValidationError):
        RevisionDocument.model_validate(_doc(warnings=[warning]))


def test_models_codes_are_the_catalogue():
    from policyflow.schemas.errors import Errors, Warnings
    from policyflow.schemas.models import ErrorCode, WarningCode

    assert [c.value for c in WarningCode] == sorted(k for k in vars(Warnings) if k[0] == "W" and k[1:].isdigit())
    assert [c.value for c in ErrorCode] == sorted(k for k in vars(Errors) if k[0] == "E" and k[1:].isdigit())
    warning = {"code": "W999", "message": "made up"}
    with pytest.raises(ValidationError):
        RevisionDocument.model_validate(_doc(warnings=[warning]))
    with pytest.raises(ValidationError):
        ErrorRecord.model_validate({"filename": "a.txt", "path": "/a.txt", "stage": "ingest", "code": "E999",
                                    "message": "made up"})


def test_models_codes_used_in_the_code_are_catalogued():
    import re
    from pathlib import Path

    from policyflow.schemas.models import ErrorCode, WarningCode

    root = Path(__file__).resolve().parents[2]
    used = set()
    for folder in ("flows", "extractors", "schemas", "src"):
        for path in (root / folder).rglob("*.py"):
            used |= set(re.findall(r"""["']([EW]0\d\d)["']""", path.read_text(encoding="utf-8")))
    known = {c.value for c in (*ErrorCode, *WarningCode)} | {"E000"}  # E000: the base class's placeholder
    assert used and used <= known, sorted(used - known)


def test_models_change_refuses_undeclared_keys():
    Change.model_validate({"entity": "section", "change": "added", "label": "三", "title": "保障措施",
                           "to_span": [1, 5], "to_span_utf16": [1, 6]})
    with pytest.raises(ValidationError):
        Change.model_validate({"entity": "amount", "change": "added", "colour": "red"})
