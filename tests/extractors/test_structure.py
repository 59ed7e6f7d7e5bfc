"""Sections and measures across numbering styles: (text, expected sections, expected measures) rows."""
import pytest

from policyflow.extractors.normalize import normalize
from policyflow.extractors.structure import closing_start, extract_structure

ARTICLES = """第一章 总则
第一条 为促进科技成果转化，根据有关法律法规，制定本办法。
第二条 本办法适用于本市行政区域内的科技型企业。
第二章 支持措施
第三条 对新认定的高新技术企业，给予一次性奖励。具体包括：
（一）首次认定的，给予十万元奖励；
（二）复审通过的，给予五万元奖励。
第四条 支持标准按照本办法第三条执行。
第三章 附则
第五条 本办法自2024年5月1日起施行。
"""

OUTLINE = """一、总体要求
以习近平新时代中国特色社会主义思想为指导，推动高质量发展。
二、重点任务
（一）实施创新平台建设行动
1.强化实验室体系建设。以企业为依托，建设一批实验室。
（1）支持企业建设研发中心；
（2）支持高校建设重点实验室。
2.支持新型研发机构。对备案的给予奖励。
①首次备案的；②绩效优秀的。
三、保障措施
（一）强化统筹协调。坚持市区联动。
（二）强化资金保障。加大资金投入。

济南市科学技术局
2023年6月30日
"""

MISNUMBERED = """2、 重点任务
（一）实施成长计划
1.深入推进评价工作。运用大数据技术。
"""

HEADING_THEN_BODY = """一、重点任务
1. 强化实验室体系建设
以研发投入力度大的科技型企业为依托，培育建设一批市级实验室。
2. 强化新型研发机构建设
发挥骨干企业作用。
"""


PARTS = """第一部分　发展目标
到2026年，数字经济核心产业增加值达到1500亿元。
第二部分　重点任务
一、强化企业主体。支持企业加大研发投入。
二、建设创新平台。支持建设重点实验室。
"""

RPAREN = """一、支持共建研发平台
1）支持企业共建联合实验室。对共建的联合实验室给予补助，一是优先推荐，二是单列支持。
2）推动高校设立研究院。经评估后给予建设经费支持。
"""

BRACKETED = """一、强化企业主体
（一）【责任单位：市科技局】壮大科技型中小企业群体。建立培育库，给予补助。
二、支持政策
1.【支持研发投入】对研发投入增长的企业给予奖励。
"""

EM_SPACE = "第一章\u3000总\u3000\u3000则\n第一条\u2003为规范管理，制定本细则。\n第二条\u2003本细则适用于本市。\n"


def _shape(text):
    secs, ms = extract_structure(normalize(text))
    by_id = {s["id"]: s for s in secs}
    return ([(s["label"], s["title"], s["level"]) for s in secs],
            [(m["label"], m["title"], m["level"], by_id[m["section_id"]]["label"] if m["section_id"] else None)
             for m in ms])


@pytest.mark.parametrize("text, sections, measures", [
    (ARTICLES,
     [("第一章", "总则", 1), ("第二章", "支持措施", 1), ("第三章", "附则", 1)],
     [("第一条", None, 3, "第一章"), ("第二条", None, 3, "第一章"),
      ("第三条", None, 3, "第二章"), ("第四条", None, 3, "第二章"), ("第五条", None, 3, "第三章")]),
    (OUTLINE,
     [("一", "总体要求", 1), ("二", "重点任务", 1), ("一", "实施创新平台建设行动", 2), ("三", "保障措施", 1)],
     [("1", "强化实验室体系建设", 3, "一"), ("2", "支持新型研发机构", 3, "一"),
      ("一", "强化统筹协调", 2, "三"), ("二", "强化资金保障", 2, "三")]),
    (MISNUMBERED,
     [("2", "重点任务", 3), ("一", "实施成长计划", 2)],
     [("1", "深入推进评价工作", 3, "一")]),
    (HEADING_THEN_BODY,
     [("一", "重点任务", 1)],
     [("1", "强化实验室体系建设", 3, "一"), ("2", "强化新型研发机构建设", 3, "一")]),
    (PARTS,
     [("第一部分", "发展目标", 1), ("第二部分", "重点任务", 1)],
     [("一", "强化企业主体", 1, "第二部分"), ("二", "建设创新平台", 1, "第二部分")]),
    (RPAREN,
     [("一", "支持共建研发平台", 1)],
     [("1", "支持企业共建联合实验室", 4, "一"), ("2", "推动高校设立研究院", 4, "一")]),
    (BRACKETED,
     [("一", "强化企业主体", 1), ("二", "支持政策", 1)],
     [("一", "壮大科技型中小企业群体", 2, "一"), ("1", "支持研发投入", 3, "二")]),
    (EM_SPACE,
     [("第一章", "总则", 1)],
     [("第一条", None, 3, "第一章"), ("第二条", None, 3, "第一章")]),
])
def test_structure_numbering_styles(text, sections, measures):
    got_sections, got_measures = _shape(text)
    assert got_sections == sections
    assert got_measures == measures


def test_structure_article_keeps_inner_list():
    n = normalize(ARTICLES)
    _, ms = extract_structure(n)
    third = next(m for m in ms if m["label"] == "第三条")
    assert ARTICLES[slice(*third["span"])].endswith("（二）复审通过的，给予五万元奖励。")


def test_structure_closing_signature_not_in_last_measure():
    n = normalize(OUTLINE)
    _, ms = extract_structure(n)
    last = ms[-1]
    assert OUTLINE[slice(*last["span"])] == "（二）强化资金保障。加大资金投入。"
    assert OUTLINE[n.pos(closing_start(n)):].startswith("济南市科学技术局")


def test_structure_measure_span_covers_unit_line_and_page_break():
    text = ("（一）提升服务能力\n\n1.支持高校服务地方经济发展。推动市校重点合作事项实施，推动校地深度\n\n"
            "融合发展。\n\n(责任单位：市科技局、市教育局)\n\n2.支持高校建设一流学科。建设一批新工科。")
    _, ms = extract_structure(normalize(text))
    first = text[slice(*ms[0]["span"])]
    assert first.startswith("1.支持高校") and first.endswith("(责任单位：市科技局、市教育局)")
    assert len(ms) == 2


def test_structure_reference_in_running_text_starts_nothing():
    text = "第四条 支持标准按照\n本办法第十六条执行。\n第五条 本办法自印发之日起施行。"
    _, ms = extract_structure(normalize(text))
    assert [m["label"] for m in ms] == ["第四条", "第五条"]
