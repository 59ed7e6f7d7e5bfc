"""The reviewer's summary of a diff and the `policyflow diff` command (issue 11)."""
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policyflow.extractors.pipeline import extract
from policyflow.flows import store
from policyflow.flows.cli import app
from policyflow.flows.diff import diff
from policyflow.flows.extract_flow import build_document
from policyflow.flows.ingest import read_document
from policyflow.flows.report import markdown
from policyflow.flows.summary import KINDS, markdown_lines, plain_lines, summarize

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "raw" / "004_c7350d76604f76d1.txt"
NEW_MEASURE = ("　　2.支持概念验证中心建设。鼓励高校院所与企业共建概念验证中心，对绩效评价优秀的概念验证中心给予最高30万元奖补。"
               "（牵头单位：市科技局；配合单位：市财政局）")
EDITS = (("认定的企业，给予10万元补助", "认定的企业，给予15万元补助"),  # three amounts ...
         ("给予最高100万元奖补。引导", "给予最高150万元奖补。引导"),
         ("每个项目最高给予100万元", "每个项目最高给予80万元"),
         ("高新技术企业达到1000家以上", "高新技术企业达到1200家以上"))  # ... and one target


def final_of_004(text: str) -> str:
    """Seed 004 with a measure inserted after measure 1 (the rest renumbered), three amounts and a target changed."""
    lines = text.split("\n")
    at = next(k for k, ln in enumerate(lines) if ln.lstrip(" 　").startswith("1.加快培育"))
    shift = lambda ln: re.sub(r"^([ 　]*)(\d+)\.", lambda m: f"{m[1]}{int(m[2]) + 1}.", ln)  # noqa: E731
    out = "\n".join(lines[:at + 1] + [NEW_MEASURE] + [shift(ln) for ln in lines[at + 1:]])
    for a, b in EDITS:
        assert out.count(a) == 1, a
        out = out.replace(a, b)
    return out


@pytest.fixture(scope="module")
def case_004(tmp_path_factory):
    src = tmp_path_factory.mktemp("004")
    final = src / "004_final.txt"
    final.write_text(final_of_004(SEED.read_text(encoding="utf-8")), encoding="utf-8")
    old, new = build_document(read_document(SEED)), build_document(read_document(final))
    return old, new, diff(old, new), final


def test_summary_seed_004_case_fits_twelve_lines(case_004):
    old, new, d, _ = case_004
    lines = plain_lines(summarize(d))
    assert len(d["changes"]) > 30 and len(lines) <= 12, lines
    assert "措施 2–24 → 3–25 重新编号（23 条）" in lines
    assert sum(1 for ln in lines if "重新编号" in ln) == 2  # the run and the counts line
    assert any(ln.startswith("新增 措施 2「支持概念验证中心建设」") and "最高30万元" in ln for ln in lines)


def test_summary_names_condition_of_every_amount_and_indicator_of_every_target(case_004):
    _, _, d, _ = case_004
    items = summarize(d)
    amounts = [it for it in items if it["kind"] == "amount"]
    targets = [it for it in items if it["kind"] == "target"]
    assert len(amounts) == 3 and len(targets) == 1
    assert "「首次通过高新技术企业认定的企业」补助 10万元 → 15万元" in amounts[0]["text"]
    assert "最高100万元 → 最高150万元" in amounts[1]["text"] and "省级新型研发机构" in amounts[1]["text"]
    assert "「产学研协同创新项目」补助 最高100万元 → 最高80万元" in amounts[2]["text"]
    assert targets[0]["text"].startswith("目标 「高新技术企业」（全市）2025年：1000家 → 1200家")
    for c in d["changes"]:
        if c["entity"] == "amount":
            assert c["condition"] and c["role"], c
        if c["entity"] == "target":
            assert c["indicator"] and c["year"] == 2025, c


def test_summary_items_cover_every_change_once_with_english_titles(case_004):
    _, _, d, _ = case_004
    items = summarize(d)
    assert [it["kind"] for it in items] == sorted((it["kind"] for it in items), key=KINDS.index)
    covered = sorted(i for it in items for i in it["change_indexes"])
    assert covered == list(range(len(d["changes"])))
    for it in items[1:]:
        assert it["anchor"] == f"change-{it['change_indexes'][0]}"
    amount = next(it for it in items if it["kind"] == "amount")
    assert all(k in amount["title"] for k in ("field=value_yuan", "condition=", "role=subsidy"))
    assert "group=renumber-" in next(it for it in items if it["kind"] == "renumber")["title"]


def test_summary_no_changes_is_one_line():
    doc = extract("一、任务\n1.强化建设。对认定的企业给予10万元补助。\n")
    doc["source"] = {"filename": "a.txt"}
    assert plain_lines(summarize(diff(doc, doc))) == ["无变更：两个版本相同"]


def _doc(body: str, name: str) -> dict:
    doc = extract("某市若干措施\n一、重点任务\n" + body)
    doc["source"] = {"filename": name}
    return doc


def test_summary_reworded_condition_and_units_lines():
    old = _doc("1.支持研发。对首次认定的高新技术企业，给予10万元补助。（责任单位：市科技局）\n"
               "2.加强保障。强化资金保障。\n", "a.txt")
    new = _doc("1.支持研发。对首次通过认定的国家高新技术企业，给予10万元补助。（责任单位：市科技局、市财政局）\n"
               "2.加强保障。强化资金保障。\n", "b.txt")
    lines = plain_lines(summarize(diff(old, new)))
    assert any(ln.startswith("条件 改写 措施 1「支持研发」：「首次认定的高新技术企业」 → 「首次通过认定的国家高新技术企业」")
               and "10万元" in ln for ln in lines), lines
    assert any(ln.startswith("责任单位 措施 1「支持研发」：新增 市财政局") for ln in lines), lines
    assert not any(ln.startswith("正文修改") for ln in lines)  # the record lines say what changed


def test_summary_amount_period_change_is_a_change():
    """`每月` → `每季度` keeps the figure and `per`, but the money differs threefold: the diff and the summary say so."""
    old = _doc("1.引进人才。对新引进的博士，给予每人2000元/月的生活补贴。\n", "a.txt")
    new = _doc("1.引进人才。对新引进的博士，给予每人2000元/季度的生活补贴。\n", "b.txt")
    assert [a["per_period"] for a in old["amounts"]] == ["month"] and [a["per_period"] for a in new["amounts"]] == ["quarter"]
    d = diff(old, new)
    changes = [c for c in d["changes"] if c["entity"] == "amount"]
    assert [(c["change"], c["field"], c["from"], c["to"]) for c in changes] == [("modified", "per_period", "month", "quarter")]
    assert any("周期 每月 → 每季度" in ln for ln in plain_lines(summarize(d)))


def test_summary_markdown_escapes_policy_text():
    old = _doc("1.支持研发。对<script>x</script>的企业，给予10万元补助。\n", "a.txt")
    new = _doc("1.支持研发。对<script>x</script>的企业，给予20万元补助。\n", "b.txt")
    d = diff(old, new)
    lines = markdown_lines(summarize(d))
    assert all(ln.startswith("- ") for ln in lines)
    assert "<script" not in "".join(lines) and "&lt;script&gt;" in "".join(lines)
    md = markdown(d, old, new)
    assert "### 摘要 Summary" in md and md.index("摘要") < md.index("全部变更")


# --- the command ---------------------------------------------------------------------------------

def _store(out: Path, *docs: dict) -> list[str]:
    for doc in docs:
        path = store.revision_path(out, doc["policy_id"], doc["revision_id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return [doc["revision_id"] for doc in docs]


def test_cli_diff_prints_summary_and_exits_1_when_different(case_004, tmp_path):
    _, _, _, final = case_004
    result = CliRunner().invoke(app, ["diff", str(SEED), str(final), "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert "措施 2–24 → 3–25 重新编号（23 条）" in lines and len(lines) <= 13  # a heading and the summary
    assert not any(ln.startswith(("-", "#", "|")) for ln in lines)  # plain lines, no Markdown
    assert len(list((tmp_path / "diffs").rglob("*.json"))) == 1


def test_cli_diff_same_revision_exits_0(tmp_path):
    result = CliRunner().invoke(app, ["diff", str(SEED), str(SEED), "--out", str(tmp_path)])
    assert result.exit_code == 0 and "无变更" in result.stdout


def test_cli_diff_json_flag_prints_the_diff(case_004, tmp_path):
    _, _, d, final = case_004
    result = CliRunner().invoke(app, ["diff", str(SEED), str(final), "--out", str(tmp_path), "--json",
                                      "--json-out", str(tmp_path / "copy.json")])
    assert result.exit_code == 1
    printed = json.loads(result.stdout)
    assert printed["changes"] == d["changes"]
    assert json.loads((tmp_path / "copy.json").read_text(encoding="utf-8")) == printed


def test_cli_diff_accepts_short_revision_ids(case_004, tmp_path):
    old, new, _, _ = case_004
    a, b = _store(tmp_path, old, new)
    short = [a[:19] + "…", b[len("sha256:"):len("sha256:") + 8]]  # as `history` prints it; bare hex
    result = CliRunner().invoke(app, ["diff", *short, "--out", str(tmp_path), "--json"])
    assert result.exit_code == 1, result.output
    assert (json.loads(result.stdout)["from_revision"], json.loads(result.stdout)["to_revision"]) == (a, b)


def test_cli_diff_ambiguous_prefix_is_a_usage_error(case_004, tmp_path):
    old, new, _, _ = case_004
    twins = [dict(old, revision_id="sha256:abcd" + "1" * 60), dict(new, revision_id="sha256:abcd" + "2" * 60)]
    _store(tmp_path, *twins)
    result = CliRunner().invoke(app, ["diff", "sha256:abcd", "abcd2", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "Ambiguous revision sha256:abcd" in result.output and "Traceback" not in result.output


def test_cli_diff_missing_file_says_no_such_file(tmp_path):
    result = CliRunner().invoke(app, ["diff", str(tmp_path / "gone.txt"), str(SEED), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "No such file: " in result.output
    result = CliRunner().invoke(app, ["diff", "sha256:0123456789ab…", str(SEED), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "No such file or stored revision" in result.output


def test_cli_diff_escapes_control_characters(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("某市若干措施\n一、重点任务\n1.支持研发。对\x1b[31m红\x1b[0m企业，给予10万元补助。\n", encoding="utf-8")
    b.write_text("某市若干措施\n一、重点任务\n1.支持研发。对\x1b[31m红\x1b[0m企业，给予20万元补助。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["diff", str(a), str(b), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\\x1b[31m" in result.stdout
