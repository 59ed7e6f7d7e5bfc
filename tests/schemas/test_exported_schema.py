"""The exported JSON Schema files (schemas/json/) as a consumer uses them: every field described, a versioned
`$id`, codes as enums of the catalogue, and every JSON file a run writes valid against them (checked with
`jsonschema`, not pydantic, so that the files themselves are proven right)."""
import json
import re
import shutil
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")

from policyflow.schemas import export  # noqa: E402
from policyflow.schemas.errors import Errors, Warnings  # noqa: E402
from policyflow.schemas.models import SCHEMA_VERSION  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KINDS = {"revision": "revisions", "diff": "diffs", "error": "errors"}  # exported schema -> output folder

# Invented texts. A notice whose names use characters above U+FFFF (𠮷 U+20BB7, 𡈼 U+2123C).
ASTRAL = """𡈼川市科学技术局关于印发《𡈼川市科技服务券管理办法》的通知

𡈼川市科技服务券管理办法

一、工作目标
到2027年，全市技术转移机构达到30家以上。

二、支持内容
1. 支持检验检测服务。对使用服务券的𠮷祥科技等小微企业，按服务费用的40%给予补助，每家最高8万元。
责任单位：市科技局
2. 支持技术转移。对促成技术交易的服务机构，给予一定支持。
配合单位：市财政局

𡈼川市科学技术局
2024年9月2日
"""
# A draft and its final: a measure and a section dropped, measures renumbered, an amount raised,
# a condition reworded, a measure added, figures after an astral character (so UTF-16 spans differ).
DRAFT = """𠮷溪县支持科技企业发展若干措施（征求意见稿）

一、培育创新主体
1. 支持企业认定。对首次通过高新技术企业认定的企业，给予最高30万元奖励。
责任单位：县科技局
2. 支持平台建设。对新建的县级工程技术研究中心，一次性给予10万元补助。
责任单位：县科技局
3. 支持人才引进。对引进的博士人才，每人给予5万元生活补贴。
牵头单位：县人社局

二、优化创新环境
4. 加强金融服务。对获得科技贷款的企业，按贷款利息的50%给予贴息，每家最高20万元。
责任单位：县金融办

三、附则
5. 本措施由县科技局负责解释。

𠮷溪县科学技术局
"""
FINAL = """𠮷溪县支持科技企业发展若干措施

一、培育创新主体
1. 支持企业认定。对首次通过高新技术企业认定的企业，给予最高50万元奖励。
责任单位：县科技局
2. 支持人才引进。对引进的博士人才，每人给予5万元生活补贴。
牵头单位：县人社局

二、优化创新环境
3. 加强金融服务。对获得科技贷款的中小企业，按贷款利息的50%给予贴息，每家最高20万元。
责任单位：县金融办
4. 鼓励成果转化。对登记技术合同的企业，一次性给予2万元奖励。
责任单位：县科技局

𠮷溪县科学技术局
2024年5月6日
"""


def _schemas() -> dict[str, dict]:
    """The exported files as they are on disk (what a consumer downloads), by kind."""
    return {kind: json.loads((export.JSON_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
            for kind in KINDS}


def _validator(schema: dict):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _undescribed(schema: dict) -> list[str]:
    """Every property (of the root and of every definition) and every definition without a description."""
    missing = []
    nodes = {"": schema, **{f"$defs/{k}": v for k, v in schema.get("$defs", {}).items()}}
    for where, node in nodes.items():
        if where and not (node.get("description") or "").strip():
            missing.append(where)
        for name, prop in node.get("properties", {}).items():
            if not (prop.get("description") or "").strip():
                missing.append(f"{where or '#'}/properties/{name}")
    return missing


def test_exported_schema_every_field_has_a_description():
    schemas = _schemas()
    for kind, schema in schemas.items():
        assert _undescribed(schema) == [], f"{kind}.schema.json: fields without a description"
    fields = sum(len(n.get("properties", {})) for s in schemas.values() for n in [s, *s.get("$defs", {}).values()])
    assert fields > 100  # the walk found the fields (root and nested models)


def test_exported_schema_description_check_finds_a_missing_one():
    schema = {"description": "x", "properties": {"a": {"type": "string", "description": "an a"}},
              "$defs": {"B": {"description": "b", "properties": {"c": {"type": "integer"}}}, "E": {"enum": [1]}}}
    assert _undescribed(schema) == ["$defs/B/properties/c", "$defs/E"]


def test_exported_schema_ids_name_project_contract_version_and_kind():
    schemas = _schemas()
    for kind, schema in schemas.items():
        assert schema["$id"] == f"urn:policyflow:schema:{SCHEMA_VERSION}:{kind}"
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert len({s["$id"] for s in schemas.values()}) == len(schemas)


def test_exported_schema_codes_are_enums_of_the_catalogue():
    revision, error = _schemas()["revision"], _schemas()["error"]
    warning_code = revision["$defs"]["Warning"]["properties"]["code"]["$ref"].split("/")[-1]
    error_code = error["properties"]["code"]["$ref"].split("/")[-1]
    catalogue = lambda cls, p: sorted(k for k in vars(cls) if re.fullmatch(p + r"\d{3}", k))  # noqa: E731
    assert revision["$defs"][warning_code]["enum"] == catalogue(Warnings, "W")
    assert error["$defs"][error_code]["enum"] == catalogue(Errors, "E")


def test_exported_schema_diff_change_declares_every_key():
    change = _schemas()["diff"]["$defs"]["Change"]
    assert change["additionalProperties"] is False
    assert {"from", "to", "from_span_utf16", "to_span_utf16", "label", "group", "amounts"} <= set(change["properties"])


def test_exported_schema_rejects_what_the_contract_does_not_allow():
    schemas = _schemas()
    revision = _validator(schemas["revision"])
    doc = {"policy_id": "pol-x", "revision_id": "sha256:" + "0" * 64, "text": "给予10万元补助",
           "source": {"filename": "a.txt", "sha256": "0" * 64, "encoding": "utf-8", "format": "text",
                      "size_bytes": 21},
           "metadata": {"title": "某办法"},
           "warnings": [{"code": "W002", "message": "m", "span": [0, 2], "span_utf16": [0, 2], "evidence": "给予"}]}
    assert not list(revision.iter_errors(doc))
    assert list(revision.iter_errors({**doc, "warnings": [{"code": "W999", "message": "m"}]}))
    diff = _validator(schemas["diff"])
    base = {"policy_id": "p", "from_revision": "a", "to_revision": "b"}
    assert not list(diff.iter_errors({**base, "changes": [{"entity": "unit", "change": "added", "name": "县科技局"}]}))
    assert list(diff.iter_errors({**base, "changes": [{"entity": "unit", "change": "added", "colour": "red"}]}))
    error = _validator(schemas["error"])
    assert list(error.iter_errors({"filename": "a", "path": "/a", "stage": "ingest", "code": "E999", "message": "m"}))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One run's output: the seeds, a draft/final pair (invented, and the project's 000 pair), a text with
    astral characters, and an empty file (an error record)."""
    from policyflow.flows.extract_flow import extract_flow

    src = tmp_path_factory.mktemp("src")
    for path in sorted((ROOT / "raw").glob("*.txt")):
        shutil.copy(path, src / path.name)
    shutil.copy(ROOT / "tests" / "data" / "revisions" / "000_final.txt", src / "000_final.txt")
    (src / "astral.txt").write_text(ASTRAL, encoding="utf-8")
    (src / "county_draft.txt").write_text(DRAFT, encoding="utf-8")
    (src / "county_final.txt").write_text(FINAL, encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    out = tmp_path_factory.mktemp("out")
    summary = extract_flow([str(src)], str(out), isolate=False, allow_errors=True)
    return out, summary


def _written(out: Path, folder: str) -> list[Path]:
    return sorted(p for p in (out / folder).rglob("*.json") if not p.name.startswith("."))


def test_exported_schema_validates_every_json_a_run_writes(run):
    out, _ = run
    validators = {kind: _validator(schema) for kind, schema in _schemas().items()}
    counts, problems = {}, []
    for kind, folder in KINDS.items():
        for path in _written(out, folder):
            counts[kind] = counts.get(kind, 0) + 1
            for err in validators[kind].iter_errors(json.loads(path.read_text(encoding="utf-8"))):
                problems.append(f"{path.relative_to(out)} {'/'.join(map(str, err.absolute_path))}: {err.message}")
    assert problems == []
    assert counts.get("revision", 0) >= 8 and counts.get("diff", 0) >= 2 and counts.get("error", 0) >= 1, counts


def test_exported_schema_run_exercises_the_new_fields(run):
    """The run above is not vacuous: it writes evidence, UTF-16 spans that differ from code-point ones (in
    revisions and diffs), section `label` changes, and a catalogued error code."""
    out, _ = run
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in _written(out, "revisions")]
    records = [r for d in docs for k in ("sections", "measures", "targets", "amounts", "units", "conditions")
               for r in d[k]]
    assert records and all(r["evidence"] == d["text"][r["span"][0]:r["span"][1]]
                           for d in docs for k in ("amounts", "units") for r in d[k])
    assert any(r["span_utf16"] != r["span"] for r in records)
    changes = [c for p in _written(out, "diffs") for c in json.loads(p.read_text(encoding="utf-8"))["changes"]]
    assert any(c.get("to_span_utf16") not in (None, c.get("to_span")) for c in changes)
    assert any(c["entity"] == "section" and c.get("label") for c in changes)
    assert [json.loads(p.read_text(encoding="utf-8"))["code"] for p in _written(out, "errors")] == ["E007"]


# The fields CONTRACT.md names (per definition of the exported schemas); everything else is an addition.
_RECORD = {"id", "span"}
CONTRACT_FIELDS = {
    "RevisionDocument": {"schema_version", "policy_id", "revision_id", "source", "text", "metadata", "sections",
                         "measures", "targets", "amounts", "units", "conditions", "warnings"},
    "Source": {"filename", "sha256", "encoding", "format", "size_bytes"},
    "Metadata": {"title", "notice_title", "issuer", "doc_number", "status", "region", "period", "issue_date",
                 "cited"},
    "Period": {"start", "end"},
    "Cited": {"title", "doc_number"},
    "Section": _RECORD | {"label", "title", "level"},
    "Measure": _RECORD | {"label", "title", "level", "section_id"},
    "Target": _RECORD | {"measure_id", "year", "indicator", "scope", "value", "value_max", "unit", "comparator",
                         "aspirational"},
    "Amount": _RECORD | {"measure_id", "role", "bound", "value_yuan", "ratio", "basis", "per", "condition_id"},
    "Unit": _RECORD | {"measure_id", "role", "name", "canonical"},
    "Condition": _RECORD | {"measure_id", "text", "amount_ids"},
    "Warning": {"code", "message", "span"},
    "Diff": {"schema_version", "policy_id", "from_revision", "to_revision", "from_filename", "to_filename",
             "changes"},
    "Change": {"entity", "change", "field", "from", "to", "measure_from", "measure_to", "from_span", "to_span",
               "name", "role", "bound", "value_yuan", "ratio", "indicator", "year", "value", "unit"},
}


def test_exported_schema_added_fields_are_listed_in_contract_additions():
    listed = (ROOT / "docs" / "contract-additions.md").read_text(encoding="utf-8")
    unlisted = []
    for schema in _schemas().values():
        nodes = {schema["title"]: schema, **schema.get("$defs", {})}
        for name, node in nodes.items():
            for field in node.get("properties", {}):
                if field not in CONTRACT_FIELDS.get(name, ()) and f"`{name}.{field}`" not in listed:
                    unlisted.append(f"{name}.{field}")
    assert unlisted == [], "add these fields to docs/contract-additions.md"
