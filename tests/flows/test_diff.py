"""Revision diff: the scorer's bar on draft/final pairs, identity, and moved/split/merged measures."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from policyflow.extractors.pipeline import extract
from policyflow.flows.diff import align, diff, label_number, similarity
from policyflow.flows.evaluate import evaluate, score_diff
from policyflow.flows.extract_flow import build_document
from policyflow.flows.ingest import read_document
from policyflow.schemas.models import SCHEMA_VERSION, Diff

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SHARED_SCORER = ROOT.parent / "shared" / "eval" / "score.py"
PAIRS = [
    (ROOT / "raw" / "000_3c554907215596ef.txt", DATA / "revisions" / "000_final.txt",
     DATA / "revisions" / "000_final.diff.json"),
    (DATA / "corpus" / "sources" / "104_draft_half_width.txt", DATA / "corpus" / "sources" / "107_final_of_104.txt",
     DATA / "corpus" / "revisions" / "104_to_107.diff.json"),
    (DATA / "blind" / "sources" / "207_nanchang_draft.txt", DATA / "blind" / "sources" / "208_nanchang_final.txt",
     DATA / "blind" / "revisions" / "207_to_208.diff.json"),
    (DATA / "holdout" / "sources" / "306_taiyuan_draft.txt", DATA / "holdout" / "sources" / "307_taiyuan_final.txt",
     DATA / "holdout" / "revisions" / "306_to_307.diff.json"),
]


def _doc(path: Path) -> dict:
    return build_document(read_document(path))


@pytest.mark.parametrize("old, new, gold", PAIRS, ids=["000-final", "104-107", "207-208", "306-307"])
def test_diff_meets_bar_on_draft_final_pairs(old, new, gold, tmp_path):
    d = diff(_doc(old), _doc(new))
    result = score_diff(json.loads(gold.read_text(encoding="utf-8")), d)
    assert result["f1"] >= 0.90, result
    if SHARED_SCORER.exists():
        pred = tmp_path / "diff.json"
        pred.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
        out = subprocess.run([sys.executable, str(SHARED_SCORER), "diff", "--gold", str(gold), "--pred", str(pred),
                              "--json", str(tmp_path / "f.json")], capture_output=True, text=True, check=True)
        assert json.loads((tmp_path / "f.json").read_text())["f1"] == pytest.approx(result["f1"]), out.stdout


def test_diff_final_revision_meets_extractor_bars(tmp_path):
    doc = _doc(DATA / "revisions" / "000_final.txt")
    (tmp_path / "final.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = evaluate(DATA / "revisions" / "gold", tmp_path)
    assert result["missing_outputs"] == []
    for kind, bar in {"measures": 0.95, "amounts": 0.95, "targets": 0.95, "units": 0.98}.items():
        assert result["f1"][kind] >= bar, kind
    for kind, bar in {"amount measure": 0.98, "amount condition": 0.85, "amount per": 0.90}.items():
        assert result["accuracy"][kind] >= bar, kind


def test_diff_identity_survives_reencoding_and_rewrapping(tmp_path):
    text = (ROOT / "raw" / "000_3c554907215596ef.txt").read_text(encoding="utf-8")
    (tmp_path / "gb.txt").write_bytes(text.encode("gb18030"))
    (tmp_path / "wrapped.txt").write_text("\n".join(text[i:i + 37] for i in range(0, len(text), 37)), encoding="utf-8")
    (tmp_path / "draft.txt").write_text(text.replace("(征求意见稿)", "（ 征求意见稿 ）"), encoding="utf-8")
    ids = {_doc(p)["revision_id"] for p in (ROOT / "raw" / "000_3c554907215596ef.txt", tmp_path / "gb.txt",
                                             tmp_path / "wrapped.txt")}
    assert len(ids) == 1
    policies = {_doc(p)["policy_id"] for p in (ROOT / "raw" / "000_3c554907215596ef.txt", tmp_path / "draft.txt",
                                                DATA / "revisions" / "000_final.txt")}
    assert len(policies) == 1


def test_diff_whitespace_and_page_breaks_are_not_changes():
    a = extract("一、任务\n1.强化建设。以企业为依托，培育建设一批\n\n市级实验室，提升能力。\n")
    b = extract("一、任务\n1.强化建设。以企业为依托，培育建设一批市级实验室，提升能力。\n")
    for doc, name in ((a, "a.txt"), (b, "b.txt")):
        doc["source"] = {"filename": name}
    assert [c for c in diff(a, b)["changes"] if c["entity"] != "metadata"] == []


BASE = ["强化实验室体系建设。以研发投入力度大的科技型企业为依托，培育建设一批市级实验室，对符合条件的给予最高50万元补助。",
        "强化重大创新平台建设。积极引导科技领军企业牵头建设技术创新中心等重大科技创新平台，加快实现创新创业相结合。",
        "强化新型研发机构建设。发挥骨干龙头企业牵头作用，推动完善绩效考核机制，对考核优秀的给予20万元奖励。",
        "强化科技特派员服务。大力实施企业科技特派员专项行动，着力在创新能力提升方面全心合作、悉心指导、贴心服务。"]


def _outline(items: list[str], sections=((0, "实施平台建设行动"),)) -> dict:
    lines, heads = [], dict(sections)
    for i, body in enumerate(items):
        if i in heads:
            lines.append(f"（{'一二三四'[list(heads).index(i)]}）{heads[i]}")
        lines.append(f"{i + 1}.{body}")
    doc = extract("二、重点任务\n" + "\n".join(lines) + "\n")
    doc["source"] = {"filename": "x.txt"}
    return doc


def _measure_changes(d):
    return sorted((c["change"], c.get("field"), c.get("measure_from"), c.get("measure_to"))
                  for c in d["changes"] if c["entity"] == "measure")


def test_diff_moved_measure_is_a_label_change():
    old = _outline(BASE)
    new = _outline([BASE[2], BASE[0], BASE[1], BASE[3]])
    assert _measure_changes(diff(old, new)) == [
        ("modified", "label", "1", "2"), ("modified", "label", "2", "3"), ("modified", "label", "3", "1")]


def test_diff_split_measure_is_modified_plus_added():
    first, second = BASE[0].split("，对符合条件的")
    old = _outline(BASE)
    new = _outline([first + "。", "强化实验室资金支持。对符合条件的" + second] + BASE[1:])
    changes = _measure_changes(diff(old, new))
    assert ("modified", "text", "1", "1") in changes
    assert ("added", None, None, "2") in changes
    assert not any(c[0] == "removed" for c in changes)


def test_diff_merged_measures_are_modified_plus_removed():
    old = _outline(BASE)
    new = _outline([BASE[0][:-1] + "；" + BASE[1]] + BASE[2:])
    changes = _measure_changes(diff(old, new))
    assert ("modified", "text", "1", "1") in changes
    assert ("removed", None, "2", None) in changes


def test_diff_alignment_prefers_content_over_position():
    assert align(["甲乙丙丁戊己", "庚辛壬癸子丑"], ["庚辛壬癸子丑", "甲乙丙丁戊己"]) == [(1, 0), (0, 1)]
    assert similarity("甲乙丙", "甲乙丙") == 1.0 and similarity("甲乙", "") == 0.0


def test_diff_writes_current_contract_version():
    d = diff(_outline(BASE), _outline(BASE[:3]))
    assert d["schema_version"] == SCHEMA_VERSION == "1.1"
    assert Diff.model_validate(d).schema_version == SCHEMA_VERSION


def test_diff_notice_title_is_a_metadata_field():
    old, new = _outline(BASE), _outline(BASE)
    old["metadata"].pop("notice_title", None)  # a 1.0 revision: no notice_title at all
    new["metadata"]["notice_title"] = None
    assert [c for c in diff(old, new)["changes"] if c.get("field") == "notice_title"] == []
    new["metadata"]["notice_title"] = "关于印发《X行动方案》的通知"
    assert [c for c in diff(old, new)["changes"] if c.get("field") == "notice_title"] == [
        {"entity": "metadata", "change": "modified", "field": "notice_title", "from": None,
         "to": "关于印发《X行动方案》的通知"}]


def test_diff_record_changes_name_their_record_and_measure_titles():
    old = _outline(BASE)
    new = _outline([BASE[0].replace("最高50万元", "最高80万元")] + BASE[1:])
    (c,) = [c for c in diff(old, new)["changes"] if c["entity"] == "amount"]
    assert (c["field"], c["from"], c["to"]) == ("value_yuan", 500000, 800000)
    assert (c["role"], c["bound"], c["condition"]) == ("subsidy", "max", "符合条件的")
    assert c["measure_title_from"] == c["measure_title_to"] == "强化实验室体系建设"
    doc_a = extract("一、目标\n到2025年，全市高新技术企业达到900家。\n二、任务\n1.强化建设。加强保障。（责任单位：市科技局）\n")
    doc_b = extract("一、目标\n到2025年，全市高新技术企业达到1000家。\n二、任务\n1.强化建设。加强保障。（责任单位：市财政局）\n")
    for doc in (doc_a, doc_b):
        doc["source"] = {"filename": "x.txt"}
    changes = diff(doc_a, doc_b)["changes"]
    (t,) = [c for c in changes if c["entity"] == "target"]
    assert (t["indicator"], t["year"], t["from"], t["to"]) == ("高新技术企业", 2025, 900, 1000)
    units = sorted((c["change"], c["name"], c["role"], c.get("measure_title_to") or c.get("measure_title_from"))
                   for c in changes if c["entity"] == "unit")
    assert units == [("added", "市财政局", "responsible", "强化建设"), ("removed", "市科技局", "responsible", "强化建设")]


def test_diff_reworded_condition_is_a_condition_change_with_its_amounts():
    old = _outline(BASE)
    new = _outline([BASE[0].replace("对符合条件的", "对通过市级认定的")] + BASE[1:])
    (c,) = [c for c in diff(old, new)["changes"] if c["entity"] == "condition"]
    assert (c["change"], c["field"], c["from"], c["to"]) == ("modified", "text", "符合条件的", "通过市级认定的")
    assert [(a["value_yuan"], a["text"]) for a in c["amounts"]] == [(500000, "最高50万元")]
    assert c["amount_ids"] == [a["id"] for a in new["amounts"] if a["value_yuan"] == 500000]
    (a,) = [a for a in diff(old, new)["changes"] if a["entity"] == "amount"] or [None]
    assert a is None  # the amount itself did not change


def test_diff_conditions_of_added_and_removed_grants():
    old = _outline(BASE)
    new = _outline(BASE[:2] + [BASE[2].replace("对考核优秀的给予20万元奖励", "加强考核")] + BASE[3:]
                   + ["强化科技金融。对首次获得贷款的企业给予5万元贴息。"])
    conds = sorted((c["change"], c["text"], [a["text"] for a in c["amounts"]])
                   for c in diff(old, new)["changes"] if c["entity"] == "condition")
    assert conds == [("added", "首次获得贷款的企业", ["5万元"]), ("removed", "考核优秀的", ["20万元"])]


def test_diff_renumbering_run_shares_one_group():
    extra = "强化知识产权保护。对获得发明专利授权的企业给予3万元奖励。"
    old = _outline(BASE)
    new = _outline([BASE[0], extra] + BASE[1:])
    labels = [c for c in diff(old, new)["changes"] if c.get("field") == "label"]
    assert [(c["from"], c["to"]) for c in labels] == [("2", "3"), ("3", "4"), ("4", "5")]
    assert len({c["group"] for c in labels}) == 1
    moved = [c for c in diff(old, _outline([BASE[2], BASE[0], BASE[1], BASE[3]]))["changes"]
             if c.get("field") == "label"]
    groups = {}
    for c in moved:
        groups.setdefault(c["group"], []).append((c["from"], c["to"]))
    assert sorted(groups.values()) == [[("1", "2"), ("2", "3")], [("3", "1")]]


def test_diff_removed_measure_listed_where_it_stood():
    old = _outline(BASE)
    new = _outline([BASE[0], BASE[2], BASE[3]])
    order = [(c["change"], c.get("field"), c.get("measure_from")) for c in diff(old, new)["changes"]
             if c["entity"] == "measure"]
    assert order == [("removed", None, "2"), ("modified", "label", "3"), ("modified", "label", "4")]


def test_diff_changes_validate_with_declared_reader_fields():
    old = _outline(BASE)
    new = _outline([BASE[0].replace("对符合条件的", "对通过认定的").replace("50万元", "60万元")] + BASE[1:3])
    d = Diff.model_validate(diff(old, new))
    by_entity = {c.entity: c for c in d.changes}
    assert by_entity["amount"].condition == "通过认定的" and by_entity["amount"].condition_from == "符合条件的"
    assert by_entity["condition"].amounts[0].value_yuan == 600000
    assert by_entity["measure"].title == "强化科技特派员服务"


def test_diff_label_number_reads_numbering_styles():
    assert [label_number(s) for s in ("12", "十二", "第五条", "①", "x", None)] == [
        ("arabic", 12), ("cn", 12), ("第条", 5), ("circled", 1), None, None]
