"""Diffs of long documents: alignment stays near-linear and numbering runs past measure 999."""
import random
import time
from collections import Counter

import pytest

from policyflow.extractors.pipeline import extract
from policyflow.flows import diff as diff_module
from policyflow.flows.diff import align, diff, similarity
from policyflow.flows.review import write_review

VERBS = ["支持", "鼓励", "引导", "推动", "扶持"]
OBJECTS = ["企业建设研发中心", "高校开展成果转化", "园区完善公共服务平台", "机构引进高层次人才",
           "中小企业数字化改造", "企业开展技术攻关", "社会资本设立创投基金", "企业参与标准制定"]


def _body(k: int, amount: int | None = None) -> str:
    amount = (k * 37) % 500 + 1 if amount is None else amount
    return f"{VERBS[k % 5]}{OBJECTS[k % 8]}，对第{k}批认定的项目给予{amount}万元补助。"


def _doc(bodies: list[str], name: str, draft: bool) -> dict:
    head = "某市促进科技创新若干措施\n" + ("（征求意见稿）\n" if draft else "") + "一、总体要求\n为加快创新，制定本措施。\n二、重点任务\n"
    doc = extract(head + "\n".join(f"{i}. {b}" for i, b in enumerate(bodies, 1)) + "\n")
    doc["source"] = {"filename": name}
    return doc


def _revisions(n: int, removed: tuple[int, ...], inserted_after: int, edited: tuple[int, ...]):
    """Draft and final of n measures: `removed` dropped, one measure inserted, amounts of `edited` raised."""
    old = [_body(k) for k in range(n)]
    new = []
    for k in range(n):
        if k not in removed:
            new.append(_body(k, (k * 37) % 500 + 1000) if k in edited else old[k])
        if k == inserted_after:
            new.append("新增措施：加强知识产权保护，对获得发明专利授权的企业给予3万元奖励。")
    return _doc(old, "draft.txt", True), _doc(new, "final.txt", False)


def _greedy(old: list[str], new: list[str], threshold: float = 0.5) -> list[tuple[int, int]]:
    """The exhaustive reference: every pair scored, assigned from the most similar down."""
    scored = []
    for i, a in enumerate(old):
        for j, b in enumerate(new):
            s = similarity(a, b)
            if s >= threshold:
                scored.append((s - 0.01 * abs(i / len(old) - j / len(new)), i, j))
    used_i, used_j, pairs = set(), set(), []
    for _, i, j in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((i, j))
    return sorted(pairs, key=lambda p: p[1])


def test_diff_300_measures_reports_only_the_edits():
    old, new = _revisions(300, removed=(50, 150), inserted_after=100, edited=(10, 200, 299))
    changes = [c for c in diff(old, new)["changes"] if c["entity"] != "metadata"]
    kinds = Counter((c["entity"], c["change"], c.get("field")) for c in changes)
    assert kinds == {("measure", "modified", "label"): 199, ("measure", "modified", "text"): 3,
                     ("amount", "modified", "value_yuan"): 3, ("measure", "removed", None): 2,
                     ("measure", "added", None): 1, ("amount", "removed", None): 2, ("amount", "added", None): 1,
                     ("condition", "removed", None): 2, ("condition", "added", None): 1}
    measures = [c for c in changes if c["entity"] == "measure"]
    assert sorted(int(c["measure_from"]) for c in measures if c["change"] == "removed") == [51, 151]
    assert [c["measure_to"] for c in measures if c["change"] == "added"] == ["101"]
    assert sorted((c["measure_from"], c["measure_to"]) for c in measures if c.get("field") == "text") == [
        ("11", "11"), ("201", "200"), ("300", "299")]
    assert all(int(c["from"]) - int(c["to"]) == (1 if 51 <= int(c["from"]) <= 101 or int(c["from"]) > 151 else 0)
               for c in measures if c.get("field") == "label")


def test_diff_align_bounded_candidates_match_exhaustive_greedy(monkeypatch):
    rng = random.Random(5)
    old = [_body(k) for k in range(150)]
    new = [b.replace("补助", "资助") if k % 3 else b for k, b in enumerate(old)]
    rng.shuffle(new)
    new[7:7] = ["新增措施：加强知识产权保护，对获得发明专利授权的企业给予3万元奖励。"]
    monkeypatch.setattr(diff_module, "FULL_PAIRS", 0)  # force the bounded path on a size the reference can check
    assert align(old, new) == _greedy(old, new)


def test_structure_numbering_continues_past_999():
    doc = _doc([_body(k) for k in range(1003)], "long.txt", False)
    labels = [m["label"] for m in doc["measures"]]
    assert labels == [str(i) for i in range(1, 1004)]
    last = doc["measures"][-1]
    assert doc["text"][last["span"][0]:last["span"][1]] == "1003. " + _body(1002)
    paren = extract("某市若干措施\n一、重点任务\n" + "\n".join(f"（{i}）{_body(i)}" for i in range(1, 1002)) + "\n")
    assert [m["label"] for m in paren["measures"]][-3:] == ["999", "1000", "1001"]


def test_structure_year_is_never_a_measure_number():
    doc = extract("某市若干措施\n一、重点任务\n1. 支持企业研发，给予10万元补助。\n2. 到2025年，建成创新平台20家。\n"
                  "2025、2026年分别安排资金100万元。\n（2026）继续安排资金。\n2027. 完成验收。\n3. 加强保障。\n")
    assert [m["label"] for m in doc["measures"]] == ["1", "2", "3"]
    second = doc["measures"][1]
    assert doc["text"][second["span"][0]:second["span"][1]].endswith("2027. 完成验收。")


@pytest.mark.slow
def test_diff_review_of_2000_measures_within_10_seconds(tmp_path):
    old, new = _revisions(2000, removed=(10, 999, 1500), inserted_after=1200, edited=(5, 1000, 1999))
    assert len(old["measures"]) == 2000 and len(new["measures"]) == 1998
    start = time.perf_counter()
    paths = write_review(tmp_path, old, new)
    assert time.perf_counter() - start <= 10
    changes = [c for c in diff(old, new)["changes"] if c["entity"] == "measure" and c.get("field") != "label"]
    assert Counter((c["change"], c.get("field")) for c in changes) == {
        ("modified", "text"): 3, ("removed", None): 3, ("added", None): 1}
    assert paths["html"].read_text(encoding="utf-8").count('<tr class="measure-change"') == 7
