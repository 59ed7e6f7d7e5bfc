"""Block recovery: where a crawl lost its line breaks, normalization puts them back (spans still map)."""
import pytest

from extractors.anatomy import lines
from extractors.normalize import normalize

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
    from extractors.normalize import revision_digest

    one_line = f"为支持企业，制定如下措施。{G}一、支持研发。给予补助。"
    with_breaks = "为支持企业，制定如下措施。\n一、支持研发。给予补助。"
    assert revision_digest(normalize(one_line)) == revision_digest(normalize(with_breaks))
