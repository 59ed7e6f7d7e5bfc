"""Normalization: what is joined, what is unified, and that spans map back to the original."""
import pytest
from hypothesis import given, settings, strategies as st

from policyflow.extractors.normalize import TRANSLATE, compact, normalize, revision_digest


@pytest.mark.parametrize("text, expected", [
    ("以科技型企业为依托，培育建设一批\n\n市级实验室。", "以科技型企业为依托,培育建设一批市级实验室。"),
    ("聊城市人民政府关于加快推进新时代科技\n强市建设的实施意见", "聊城市人民政府关于加快推进新时代科技\n强市建设的实施意见"),
    ("采取精准措施，全\n\n面推进科技企业", "采取精准措施,全面推进科技企业"),
    ("最低20万元，\n\n进一步深化", "最低20万元,进一步深化"),
    ("以科技计划项目形式，通过“先投后股”\n\n等方式，最高", "以科技计划项目形式,通过“先投后股”等方式,最高"),
    ("一、主要目标\n\n以构建完善的体系。", "一、主要目标\n\n以构建完善的体系。"),
    ("（一）总体思路\n    深入贯彻", "(一)总体思路\n    深入贯彻"),
    ("加快科技成果转化。\n\n2.支持高校", "加快科技成果转化。\n\n2.支持高校"),
    ("支持企业发展，提升能力和水\n(责任单位：市科技局)", "支持企业发展,提升能力和水\n(责任单位:市科技局)"),
    ("给予１２万元补助", "给予12万元补助"),
    ("1. **强化实验室体系建设。**以", "1. 强化实验室体系建设。以"),
    ("第一行\r\n第二行", "第一行\n第二行"),
    ("按照１∶１配套", "按照1:1配套"),
    ("类别    支持标准    最高额度\n研发服务    按合同金额的50%    30万元",
     "类别|   支持标准|   最高额度\n研发服务|   按合同金额的50%|   30万元"),
    ("第一章　总　　则\n第一条　为规范管理，制定本办法。", "第一章 总  则\n第一条 为规范管理,制定本办法。"),
    ("提升能力，\n  新段落", "提升能力,\n  新段落"),
])
def test_normalize_joins_and_unifies(text, expected):
    assert normalize(text).text == expected


def test_normalize_span_maps_across_join():
    text = "以科技型企业为依托，培育建设一批\n\n市级实验室。"
    n = normalize(text)
    i = n.text.index("一批市级")
    start, end = n.span(i, i + 4)
    assert text[start:end] == "一批\n\n市级"


def test_normalize_revision_digest_ignores_wrapping_and_width():
    a = normalize("到2027年，全市科技型中小企业达到10000家以上。")
    b = normalize("到２０２７年，全市科技型中小\n企业达到10000家以上。")
    assert revision_digest(a) == revision_digest(b)
    assert revision_digest(a) != revision_digest(normalize("到2027年，全市科技型中小企业达到9000家以上。"))


def test_normalize_compact_drops_whitespace_and_markup():
    assert compact(" **强化 实验室**\n建设 ") == "强化实验室建设"


ALPHABET = st.sampled_from(list("一二三、。，,.（）()*_\n\r \t\u3000１２3abcＡ万元%％：:\u2028\u2029\x85\x0b\x0c")
                          + ["**", "\n\n", "\r\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET | st.characters(blacklist_categories=("Cs",)), max_size=80).map("".join))
def test_normalize_offset_map_holds_for_arbitrary_input(text):
    _check_offset_map(text)


LINE = st.lists(st.sampled_from(list("一二三、。，,.（）()*_ \t\u3000１２3abcＡ万元%％：:") + ["**"]),
                min_size=60, max_size=160).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(ALPHABET, min_size=30, max_size=120).map("".join) | LINE, st.integers(10, 16))
def test_normalize_offset_map_holds_for_hard_wrapped_input(text, width):
    wrapped = "\n".join("\n".join(ln[i:i + width] for i in range(0, len(ln), width)) for ln in text.split("\n"))
    _check_offset_map(wrapped)


@settings(max_examples=200, deadline=None)
@given(LINE, st.integers(10, 16))
def test_normalize_hard_wrapped_line_reads_as_unwrapped(text, width):
    wrapped = "\n".join(text[i:i + width] for i in range(0, len(text), width))
    assert normalize(wrapped).text == normalize(text).text


def _check_offset_map(text):
    n = normalize(text)
    positions = [n.pos(i) for i in range(len(n.text))]
    assert positions == sorted(positions)
    for i, p in enumerate(positions):
        assert 0 <= p < len(text)
        inserted = n.text[i] == "\n" and i + 1 < len(positions) and positions[i + 1] == p
        if i and positions[i - 1] == p:
            assert n.text[i - 1] == "\n"  # only a restored line break shares its position with the next character
        same = chr(TRANSLATE.get(ord(text[p]), ord(text[p]))) == n.text[i]
        # a table column gap, a paragraph gap made a line break, or a line break put back where a crawl lost it
        assert same or inserted or (n.text[i] in "|\n" and text[p].isspace())
    for i in range(len(n.text) + 1):
        for j in range(i, min(len(n.text), i + 5) + 1):
            s, e = n.span(i, j)
            assert 0 <= s <= e <= len(text)
