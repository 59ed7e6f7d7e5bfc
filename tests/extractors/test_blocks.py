"""Block recovery: where a crawl lost its line breaks, normalization puts them back (spans still map)."""
import pytest

from policyflow.extractors.anatomy import lines
from policyflow.extractors.blocks import hard_wraps
from policyflow.extractors.normalize import normalize

G = "\u3000\u3000"  # the paragraph gap crawlers leave


def _lines(text: str) -> list[str]:
    return [l.text for l in lines(normalize(text))]


@pytest.mark.parametrize("text, expected", [
    # paragraphs separated only by ideographic-space gaps
    (f"为推动产业升级，制定本方案。{G}一、总体要求{G}坚持创新引领。{G}（一）强化平台。建设中试基地。",
     ["为推动产业升级,制定本方案。", "一、总体要求", "坚持创新引领。", "(一)强化平台。建设中试基地。"]),
    # numbering glued after a colon and after a full stop
    ("为支持企业发展，制定如下措施：一、支持研发。给予补助。二、支持上市。给予奖励。",
     ["为支持企业发展,制定如下措施:", "一、支持研发。给予补助。", "二、支持上市。给予奖励。"]),
    # a chapter heading glued to its first article, articles glued after a full stop
    (f"第一章总则{G}第一条为规范管理，制定本办法。第二条本办法适用于全省。第二章附则第三条本办法自印发之日起施行。",
     ["第一章总则", "第一条为规范管理,制定本办法。", "第二条本办法适用于全省。", "第二章附则", "第三条本办法自印发之日起施行。"]),
    # a heading with no full stop glued to the first item under it
    ("为优化布局，提出如下意见：一、完善网络布局（一）建设枢纽节点。加快建设。（二）优化配送网络。推进配送。",
     ["为优化布局,提出如下意见:", "一、完善网络布局", "(一)建设枢纽节点。加快建设。", "(二)优化配送网络。推进配送。"]),
    # a cover signed on the same line as its last sentence, then the policy title glued to its body
    ("《某市创新券管理办法》已经市政府同意，现印发给你们，请遵照执行。某市人民政府办公室2024年3月5日（此件公开发布）"
     "某市创新券管理办法为规范创新券使用，制定本办法。",
     ["《某市创新券管理办法》已经市政府同意,现印发给你们,请遵照执行。", "某市人民政府办公室", "2024年3月5日",
      "(此件公开发布)", "某市创新券管理办法", "为规范创新券使用,制定本办法。"]),
    # a document that opens with its doc number and its title glued to what follows
    ("某科发〔2024〕7号关于开展创新平台评估工作的通知各区县科技局：为做好评估，现通知如下。",
     ["某科发〔2024〕7号", "关于开展创新平台评估工作的通知", "各区县科技局:为做好评估,现通知如下。"]),
])
def test_blocks_recovers_lost_breaks(text, expected):
    assert _lines(text) == expected


@pytest.mark.parametrize("text", [
    "第一章　总　　则\n第一条　为规范管理，制定本办法。",     # letter-spaced heading
    "文　　号：某政发〔2024〕3号\n成文日期：2024-03-05",   # a label spaced out
    "类别　　支持标准　　最高额度\n研发服务　　按合同金额的50%　　30万元",  # a table row
    "关于印发《某省科技成果转化　　管理办法》的通知",         # a gap inside a 《》 title
])
def test_blocks_keeps_lines_that_are_lines(text):
    assert all("\n" not in line for line in text.split("\n"))
    assert len(_lines(text)) == len([l for l in text.split("\n") if l.strip()])


def test_blocks_spans_map_back_to_the_original():
    text = f"为支持企业，制定如下措施：一、支持研发。{G}二、支持上市。对上市企业给予100万元奖励。"
    n = normalize(text)
    for line in lines(n):
        a, b = n.span(line.start, line.end)
        assert "".join(text[a:b].split()).replace("，", ",").replace("：", ":") == "".join(line.text.split())


def test_blocks_revision_digest_ignores_restored_breaks():
    from policyflow.extractors.normalize import revision_digest

    one_line = f"为支持企业，制定如下措施。{G}一、支持研发。给予补助。"
    with_breaks = "为支持企业，制定如下措施。\n一、支持研发。给予补助。"
    assert revision_digest(normalize(one_line)) == revision_digest(normalize(with_breaks))


def _wrap(text: str, width: int) -> str:
    return "\n".join("\n".join(ln[i:i + width] for i in range(0, len(ln), width)) for ln in text.split("\n"))


HARD = ("某市支持科技企业发展若干措施\n"
        "为加快建设创新型城市，推动科技型企业高质量发展，结合本市实际，制定本措施。\n"
        "一、支持企业研发。对新认定的高新技术企业，给予一次性奖励。\n"
        "二、支持平台建设。对新建的省级研发平台，给予后补助支持。\n")


def test_blocks_hard_wraps_are_the_breaks_after_the_repeated_longest_line():
    wrapped = _wrap(HARD, 12)
    spans = hard_wraps(wrapped)
    assert spans and all(wrapped[a:b] == "\n" for a, b in spans)
    assert "".join(wrapped[p:q] for p, q in zip([0, *(b for _, b in spans)], [*(a for a, _ in spans), None])) == HARD
    assert _lines(wrapped) == _lines(HARD)


def test_blocks_hard_wraps_none_in_a_text_that_kept_its_lines():
    assert hard_wraps(HARD) == []
    assert hard_wraps("短行\n" * 5) == []  # repeated, but shorter than any wrap


def test_blocks_hard_wraps_keep_an_indented_paragraph_after_a_line_of_full_width():
    title = "某市科技型企业梯次培育三年行动计划"  # as wide as the wrap, then an indented paragraph
    text = (title + "\n    为加快推进创新型城市建设，构建科技型企业梯次培育体系，推动高新技术企业持续发展壮大，制定本计划。"
            "\n一、总体要求\n    坚持创新驱动，强化企业主体地位，完善梯次培育链条。\n二、主要任务\n    培育科技型中小企业。\n")
    wrapped = _wrap(text, len(title))
    assert _lines(wrapped)[0] == title
    assert _lines(wrapped)[1:] == _lines(text)[1:]


@pytest.mark.parametrize("after", ["二、支持平台建设。", "（二）支持平台建设。", "2.支持平台建设。", "2024年3月5日", "某科发〔2024〕3号"])
def test_blocks_hard_wraps_keep_a_numbered_or_dated_line_after_a_line_of_full_width(after):
    first = "一、支持企业研发，给予奖励。"  # as wide as the wrap
    text = (f"某市支持科技企业发展若干措施\n{first}\n{after}\n"
            "对新认定的省级研发平台，给予后补助支持，并在用地、人才等方面优先保障。\n三、附则\n本措施自印发之日起施行。\n")
    assert _lines(_wrap(text, len(first))) == _lines(text)


def test_blocks_hard_wraps_keep_the_next_item_of_a_list_after_a_line_of_full_width():
    text = ("某市支持科技企业发展若干措施\n为推动科技型企业高质量发展，结合本市实际，制定本措施。\n"
            "附件：1.某市科技型企业认定申报表\n2.某市研发平台备案汇总表\n3.某市企业研发投入统计表\n\n某市科学技术局\n")
    assert _lines(_wrap(text, len("2.某市研发平台备案汇总表"))) == _lines(text)


def test_blocks_hard_wraps_join_an_indented_gap_in_a_text_that_lost_its_lines():
    text = (f"为推动产业升级，制定本方案。{G}一、总体要求{G}坚持创新引领，强化企业主体地位，加快成果转化。"
            f"{G}（一）强化平台。建设中试基地，完善公共服务平台。{G}（二）培育主体。支持企业做大做强。")
    width = text.index(G, text.index(G) + 1)  # a cut right before a paragraph gap
    assert normalize(_wrap(text, width)).text == normalize(text).text
