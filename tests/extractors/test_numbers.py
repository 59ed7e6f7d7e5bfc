"""Table-driven tests for extractors.numbers: each row is input -> expected quantities."""
from __future__ import annotations

import math

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyflow.extractors.normalize import normalize
from policyflow.extractors.numbers import Quantity, _cn_int, find_quantities, parse_number, parse_ratio


def _rows(text: str) -> list[tuple]:
    return [(q.text, q.value, q.value_max, q.unit, q.kind) for q in find_quantities(text)]


def _check(text: str, expected: list[tuple]) -> None:
    got = _rows(text)
    assert [g[0] for g in got] == [e[0] for e in expected], got
    for g, e in zip(got, expected):
        assert g[1] == pytest.approx(e[1]) and g[2] == pytest.approx(e[2]) and g[3:] == e[3:], (g, e)


ARABIC = [
    ("给予 25 万元补助", [("25 万元", 250000, None, "元", "money")]),
    ("最高给予支持资金 500 万元。", [("500 万元", 5000000, None, "元", "money")]),
    ("培育技术经纪人超过 2000 人", [("2000 人", 2000, None, "人", "count")]),
    ("每培养 1 名技术经纪人", [("1 名", 1, None, "名", "count")]),
    ("全市科技型中小企业达到10,000家以上", [("10,000家", 10000, None, "家", "count")]),
    ("给予中介机构5000元奖补", [("5000元", 5000, None, "元", "money")]),
    ("每家最高奖补20万元", [("20万元", 200000, None, "元", "money")]),
    ("成交额超过100亿元", [("100亿元", 1e10, None, "元", "money")]),
    ("连续出资3年总规模1.5亿元", [("3年", 3, None, "年", "count"), ("1.5亿元", 1.5e8, None, "元", "money")]),
    ("给予0.5万元补助", [("0.5万元", 5000, None, "元", "money")]),
    ("市财政每年出资金额5000万元", [("5000万元", 5e7, None, "元", "money")]),
    ("总投资3000万", [("3000万", 3e7, None, "", "number")]),
    ("吸纳就业1.2万人", [("1.2万人", 12000, None, "人", "count")]),
    ("每户补助5千元", [("5千元", 5000, None, "元", "money")]),
    ("服务企业100余家", [("100余家", 100, None, "家", "count")]),
    ("带动投资1000多万元", [("1000多万元", 1e7, None, "元", "money")]),
    ("新建线路10km", [("10km", 10, None, "km", "count")]),
    ("装机100千瓦", [("100千瓦", 100, None, "千瓦", "count")]),
    ("公示期不少于5个工作日", [("5个工作日", 5, None, "个工作日", "count")]),
    ("占比提高2个百分点", [("2个百分点", 2, None, "个百分点", "count")]),
    ("评审推荐20个项目", [("20个", 20, None, "个", "count")]),
    ("第1批共有35", [("35", 35, None, "", "number")]),
    ("分别给予200万元、100万元、50万元奖补", [("200万元", 2e6, None, "元", "money"),
                                           ("100万元", 1e6, None, "元", "money"),
                                           ("50万元", 5e5, None, "元", "money")]),
]

CHINESE = [
    ("最高五十万元", [("五十万元", 500000, None, "元", "money")]),
    ("一次性补助一千万元", [("一千万元", 1e7, None, "元", "money")]),
    ("两千万元", [("两千万元", 2e7, None, "元", "money")]),
    ("给予最高三百万元补助", [("三百万元", 3e6, None, "元", "money")]),
    ("资金池十亿元", [("十亿元", 1e9, None, "元", "money")]),
    ("设立一亿五千万元基金", [("一亿五千万元", 1.5e8, None, "元", "money")]),
    ("奖励五千元", [("五千元", 5000, None, "元", "money")]),
    ("培育二十家", [("二十家", 20, None, "家", "count")]),
    ("建设两家", [("两家", 2, None, "家", "count")]),
    ("服务十余家企业", [("十余家", 10, None, "家", "count")]),
    ("不超过一千五百万元", [("一千五百万元", 1.5e7, None, "元", "money")]),
    ("公示期不少于五个工作日", [("五个工作日", 5, None, "个工作日", "count")]),
    ("每年安排专项资金二亿元", [("二亿元", 2e8, None, "元", "money")]),
    ("近三年内", [("三年", 3, None, "年", "count")]),
    ("五十万", []),
]

PERCENT = [
    ("研发投入强度达到3.1%以上", [("3.1%", 3.1, None, "%", "percent")]),
    ("每年选取30%的农业科技园区", [("30%", 30, None, "%", "percent")]),
    ("全市 50 % 的企业", [("50 %", 50, None, "%", "percent")]),
    ("占比不低于百分之五十", [("百分之五十", 50, None, "%", "percent")]),
    ("不低于百分之3", [("百分之3", 3, None, "%", "percent")]),
    ("总额的 1%给予补助", [("1%", 1, None, "%", "percent")]),
]

RATIO = [
    ("给予1:1配套支持", [("1:1", 1.0, None, "ratio", "ratio")]),
    ("按照1∶1配套", [("1∶1", 1.0, None, "ratio", "ratio")]),
    ("按1比1配套", [("1比1", 1.0, None, "ratio", "ratio")]),
    ("按1:2比例", [("1:2", 0.5, None, "ratio", "ratio")]),
    ("按2:1比例", [("2:1", 2.0, None, "ratio", "ratio")]),
    ("按1:0.5比例", [("1:0.5", 2.0, None, "ratio", "ratio")]),
    ("上午9:00开始", []),
    ("13:30报到", []),
    ("按1:2:1分配", []),
]

RANGES = [
    ("给予10万元至30万元补助", [("10万元至30万元", 1e5, 3e5, "元", "money")]),
    ("给予20-50万元奖励", [("20-50万元", 2e5, 5e5, "元", "money")]),
    ("至少建成1-2家省级高新区", [("1-2家", 1, 2, "家", "count")]),
    ("比重10%-20%", [("10%-20%", 10, 20, "%", "percent")]),
    ("比重10-20%", [("10-20%", 10, 20, "%", "percent")]),
    ("每年5~10家", [("5~10家", 5, 10, "家", "count")]),
    ("用3到5年时间", [("3到5年", 3, 5, "年", "count")]),
    ("用三到五年时间", [("三到五年", 3, 5, "年", "count")]),
    ("十万元至三十万元", [("十万元至三十万元", 1e5, 3e5, "元", "money")]),
    ("补助5000元-2万元", [("5000元-2万元", 5000, 20000, "元", "money")]),
    ("3-6个月", [("3-6个月", 3, 6, "个月", "count")]),
    ("增长10%到2025年", [("10%", 10, None, "%", "percent"), ("2025年", 2025, None, "年", "year")]),
    ("13-14", [("13", 13, None, "", "number"), ("14", 14, None, "", "number")]),
]

YEARS = [
    ("到2025年,全市", [("2025年", 2025, None, "年", "year")]),
    ("力争到 2027 年", [("2027 年", 2027, None, "年", "year")]),
    ("2023年6月30日", [("2023年", 2023, None, "年", "year")]),
    ("二〇二三年六月三十日", [("二〇二三年", 2023, None, "年", "year")]),
    ("行动方案(2021-2023年)", [("2021-2023年", 2021, 2023, "年", "year")]),
    ("2021年至2023年", [("2021年至2023年", 2021, 2023, "年", "year")]),
    ("自2024年5月1日起施行", [("2024年", 2024, None, "年", "year")]),
    ("已有1000年历史", [("1000年", 1000, None, "年", "count")]),
    ("发布于2023-06-30", []),
    ("6月底前", []),
    ("1-3月", []),
]

NEGATIVE = [
    "根据《意见》(鲁政字〔2022〕225号)",
    "聊政字(2023)11号",
    "13+34",
    "1+1+1",
    "1. 强化中小企业创新能力提升",
    "2、重点任务",
    "(3)支持企业",
    "  4. 缩进的列表项",
    "第五条 本办法",
    "第1-2批",
    "5G基站",
    "3D打印",
    "H1车型",
    "同等额度",
    "一定比例",
    "一批",
    "一流",
    "一企一策",
    "一事一议",
    "一体化",
    "一站式",
    "三级实验室体系",
    "十强产业",
    "十四五",
    "一次性给予",
    "一对一",
    "第一",
    "一等奖",
    "二等奖",
    "一是",
    "二是",
    "四大行动",
    "七个倍增",
    "“一个中心”",
    "统一个",
    "咨询电话:0531-86912345",
    "附件1",
    "9时30分",
    "破除城乡二元结构",
]

MIXED = [
    ("到2023年,国家科技型中小企业突破600家、高新技术企业达到400家",
     [("2023年", 2023, None, "年", "year"), ("600家", 600, None, "家", "count"),
      ("400家", 400, None, "家", "count")]),
    ("分别给予特等奖100万元、一等奖50万元、二等奖30万元的奖励",
     [("100万元", 1e6, None, "元", "money"), ("50万元", 5e5, None, "元", "money"),
      ("30万元", 3e5, None, "元", "money")]),
    ("按照年度技术合同成交额总额的 1%给予补助,每家单位最高不超过100万元",
     [("1%", 1, None, "%", "percent"), ("100万元", 1e6, None, "元", "money")]),
    ("按照“一事一议”的方式给予补助", []),
]


@pytest.mark.parametrize("text,expected", ARABIC)
def test_numbers_arabic(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text,expected", CHINESE)
def test_numbers_chinese(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text,expected", PERCENT)
def test_numbers_percent(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text,expected", RATIO)
def test_numbers_ratio(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text,expected", RANGES)
def test_numbers_range(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text,expected", YEARS)
def test_numbers_year(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text", NEGATIVE)
def test_numbers_negative(text):
    assert find_quantities(text) == []


@pytest.mark.parametrize("text,expected", MIXED)
def test_numbers_sentence(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("raw,expected", [
    ("给予１２万元补助", [("12万元", 120000, None, "元", "money")]),
    ("按照1∶1配套", [("1:1", 1.0, None, "ratio", "ratio")]),
    ("研发投入强度达到３．１％以上", [("3.1%", 3.1, None, "%", "percent")]),
    ("给予10万元～30万元补助", [("10万元~30万元", 1e5, 3e5, "元", "money")]),
    ("1－2家", [("1-2家", 1, 2, "家", "count")]),
])
def test_numbers_normalized_input(raw, expected):
    _check(normalize(raw).text, expected)


@pytest.mark.parametrize("s,expected", [
    ("50", 50), ("1.5", 1.5), ("0.5", 0.5), ("1,000", 1000), ("3", 3), ("３", 3), ("3000万", 3e7),
    ("1.5亿", 1.5e8), ("五十", 50), ("一千五百", 1500), ("两", 2), ("十二", 12), ("十", 10),
    ("二〇二三", 2023), ("一亿五千万", 1.5e8), ("一百零五", 105), ("两万五", 25000), ("一点五", 1.5),
    ("", None), ("abc", None), ("万", None), ("五亿亿", None), ("十四五", None), ("1,00", None),
])
def test_numbers_parse_number(s, expected):
    assert parse_number(s) == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize("s,expected", [
    ("1:1", 1.0), ("1:2", 0.5), ("2:1", 2.0), ("1∶1", 1.0), ("1比3", 1 / 3), ("1:0", None), ("a:b", None),
])
def test_numbers_parse_ratio(s, expected):
    assert parse_ratio(s) == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize("s", [
    "五十万", "一千万", "两千万", "三百万", "十亿", "一亿五千万", "五千", "二十", "两", "十二", "一千五百",
    "二〇二三", "三百五", "两万五", "一百零五", "十万亿", "一万零一", "三千零五十", "一千零二十万",
    "一亿零五百万", "九千九百九十九万九千九百九十九", "十", "一十", "一百一",
])
def test_numbers_cn_parser_matches_cn2an(s):
    assert _cn_int(s) == cn2an.cn2an(s, "smart")


_ALPHABET = st.sampled_from(list(
    "0123456789一二三四五六七八九十百千万亿两〇零元%:∶比-~至到.,+ \n()〔〕号第年月日家人个项名次余多"
    "给予补助企业科技批流体GDkm"))


@settings(max_examples=400, deadline=None)
@given(st.text(_ALPHABET, max_size=80))
def test_numbers_property_spans(text):
    qs = find_quantities(text)
    prev_end = 0
    for q in qs:
        assert isinstance(q, Quantity)
        assert 0 <= prev_end <= q.start < q.end <= len(text)
        assert text[q.start:q.end] == q.text
        assert math.isfinite(q.value) and q.value >= 0
        if q.value_max is not None:
            assert math.isfinite(q.value_max) and q.value_max >= q.value
        assert q.kind in {"money", "percent", "ratio", "count", "year", "number"}
        prev_end = q.end


@pytest.mark.parametrize("text, expected", [
    ("研发投入强度达到百分之二点五", [("百分之二点五", 2.5, "%")]),
    ("增长三点五亿元", [("三点五亿元", 350000000.0, "元")]),
    ("给予一点五万元奖励", [("一点五万元", 15000.0, "元")]),
    ("占比十二点三%", [("十二点三%", 12.3, "%")]),
])
def test_numbers_chinese_decimals(text, expected):
    assert [(q.text, q.value, q.unit) for q in find_quantities(text)] == expected
