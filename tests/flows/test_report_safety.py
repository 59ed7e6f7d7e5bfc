"""Review report safety: the redline shows the measures the diff paired, and Markdown embeds nothing raw."""
import re

import pytest

from policyflow.extractors.pipeline import extract
from policyflow.flows.diff import diff
from policyflow.flows.html_report import html
from policyflow.flows.report import markdown, md_text

TASKS = ["支持企业建设研发中心，对认定的给予50万元补助。", "鼓励高校开展成果转化，按合同额给予10%奖励。",
         "推动园区完善公共服务平台，建设运营良好的给予20万元补助。"]
SUPPORT = ["加强组织领导，成立工作专班统筹推进各项任务。", "强化资金保障，市财政每年安排专项资金。",
           "营造良好氛围，及时总结推广典型经验做法。"]


def _two_sections(tasks: list[str], name: str) -> dict:
    """Sections 一 and 二, each numbering its measures from 1."""
    lines = ["某市促进科技创新若干措施", "一、重点任务"] + [f"{i}. {t}" for i, t in enumerate(tasks, 1)]
    lines += ["二、保障措施"] + [f"{i}. {t}" for i, t in enumerate(SUPPORT, 1)]
    doc = extract("\n".join(lines) + "\n")
    doc["source"] = {"filename": name}
    return doc


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr class="measure-change".*?</tr>', page, flags=re.S)


def test_report_redline_matches_measures_by_identity_when_numbering_restarts():
    old = _two_sections(TASKS, "draft.txt")
    new = _two_sections([TASKS[0].replace("50万元", "80万元")] + TASKS[1:], "final.txt")
    assert [m["label"] for m in old["measures"]] == ["1", "2", "3", "1", "2", "3"]
    rows = _rows(html(diff(old, new), old, new))
    assert len(rows) == 1
    assert "研发中心" in rows[0] and "组织领导" not in rows[0]
    assert '<mark class="fig"><del>50万元</del></mark>' in rows[0]
    assert '<mark class="fig"><ins>80万元</ins></mark>' in rows[0]


def test_report_redline_added_and_removed_measures_in_a_restarted_section():
    old = _two_sections(TASKS, "draft.txt")
    new = _two_sections(TASKS[:2], "final.txt")
    rows = _rows(html(diff(old, new), old, new))
    assert len(rows) == 1 and 'data-change="removed"' in rows[0]
    assert "公共服务平台" in rows[0] and "典型经验" not in rows[0]


def _hostile_pair(title: str, old_name: str, new_name: str):
    old = _two_sections(TASKS, old_name)
    new = _two_sections([TASKS[0].replace("50万元", "80万元")] + TASKS[1:], new_name)
    new["metadata"]["title"] = title
    return old, new


def test_report_markdown_escapes_titles_and_file_names():
    old, new = _hostile_pair("<script>alert(1)</script>", "a[x](javascript:alert(1))|b.txt", "c*d*_e_`f`\\|.txt")
    md = markdown(diff(old, new), old, new)
    assert "<script" not in md and "&lt;script&gt;" in md
    assert "](" not in md and "[x]" not in md and "`f`" not in md and "*d*" not in md
    rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert len(rows) >= 2
    assert all(len(re.findall(r"(?<!\\)\|", ln)) == 3 for ln in rows)  # escaped pipes split no cell


def test_report_markdown_text_is_one_literal_line():
    assert md_text("a\nb\r\nc\u2028d") == "a b c d"
    assert md_text("# 标题") == "\\# 标题"
    assert md_text("![x](y)") == "\\!\\[x\\]\\(y\\)"
    assert md_text("&amp; <b>") == "&amp;amp; &lt;b&gt;"
    assert md_text(None) == ""


def test_report_markdown_renders_without_html_or_links():
    markdown_it = pytest.importorskip("markdown_it")
    old, new = _hostile_pair("<script>alert(1)</script>\n# 标题", "[x](javascript:alert(1)).txt",
                             "<img src=x onerror=alert(2)>|.txt")
    d = diff(old, new)
    page = markdown_it.MarkdownIt("commonmark").enable("table").render(markdown(d, old, new))
    assert "<script" not in page and "<img" not in page and "<a " not in page
    assert page.count("<h2>") == 1 and page.count("<h1>") == 0
    assert page.count("<tr>") == len(d["changes"]) + 1
    assert all(row.count("<td>") == 2 for row in re.findall(r"<tr>\s*<td>.*?</tr>", page, flags=re.S))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_report_html_escapes_titles_and_file_names():
    old, new = _hostile_pair("<script>alert(1)</script>", 'a"><img src=x>.txt', "b<svg onload=x>.txt")
    page = html(diff(old, new), old, new)
    assert page.count("<script>") == 1 and "<img" not in page and "<svg" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
