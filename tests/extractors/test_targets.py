"""Targets: every EXAMPLES.md row, plus phrasings from other layouts (input -> expected records)."""
import pytest

from policyflow.extractors.pipeline import extract


def _targets(text):
    doc = extract(text)
    return [(t["year"], t["indicator"], t["scope"], t["value"], t["value_max"], t["unit"], t["comparator"],
             t["aspirational"]) for t in doc["targets"]], doc


@pytest.mark.parametrize("text, expected", [
    ("到2025年，全市技术合同成交额超过1400亿元，高校院所技术合同成交额超过100亿元，技术转移服务机构超过100家。",
     [(2025, "技术合同成交额", "全市", 140000000000, None, "元", ">", False),
      (2025, "技术合同成交额", "高校院所", 10000000000, None, "元", ">", False),
      (2025, "技术转移服务机构", None, 100, None, "家", ">", False)]),
    ("到2023年，国家科技型中小企业突破600家、高新技术企业达到400家。",
     [(2023, "国家科技型中小企业", None, 600, None, "家", ">", False),
      (2023, "高新技术企业", None, 400, None, "家", ">=", False)]),
    ("到2025年，研发投入强度达到3.1%以上。", [(2025, "研发投入强度", None, 3.1, None, "%", ">=", False)]),
    ("2023年，至少建成1-2家省级高新区。", [(2023, "省级高新区", None, 1, 2, "家", ">=", False)]),
    ("力争到 2027 年，全市 50% 的科技型中小企业配备科技特派员。",
     [(2027, "科技型中小企业配备科技特派员", "全市", 50, None, "%", "=", True)]),
    ("每年在高校院所申报项目中评审推荐20个项目。", []),
    ("2023年，全市技术合同成交额超过700亿元，实现全省首位“五连冠”，力争实现“七个倍增”目标。",
     [(2023, "技术合同成交额", "全市", 70000000000, None, "元", ">", False)]),
    # other phrasings
    ("到2026年，培育技术经纪人约600人；建设中试基地２０家左右；办理时限压缩至5天以内，登记时限不超过3天。",
     [(2026, "技术经纪人", None, 600, None, "人", "~", False), (2026, "中试基地", None, 20, None, "家", "~", False),
      (2026, "办理时限", None, 5, None, "天", "<=", False), (2026, "登记时限", None, 3, None, "天", "<=", False)]),
    ("到2026年，全社会研发投入强度达到百分之二点五，技术合同成交额突破一百亿元。",
     [(2026, "研发投入强度", "全社会", 2.5, None, "%", ">=", False),
      (2026, "技术合同成交额", None, 10000000000, None, "元", ">", False)]),
    ("一、发展目标\n全市高新技术企业达到1000家以上。\n二、重点任务\n1.支持。给予补助。",
     [(None, "高新技术企业", "全市", 1000, None, "家", ">=", False)]),
    ("第五条 到2028年，市级以上新型研发机构达到80家左右。",
     [(2028, "市级以上新型研发机构", None, 80, None, "家", "~", False)]),
])
def test_targets_examples(text, expected):
    got, _ = _targets(text)
    assert got == expected


@pytest.mark.parametrize("text, expected", [
    # whole items joined by 和, one figure each
    ("到2026年，城市污水处理率和再生水利用率分别达到95%和30%以上。",
     [("城市污水处理率", 95, ">="), ("再生水利用率", 30, ">=")]),
    # items sharing a head noun after them
    ("到2026年，新建国家级和省级工程研究中心分别达到6个和20个以上。",
     [("国家级工程研究中心", 6, ">="), ("省级工程研究中心", 20, ">=")]),
    ("到2026年，全市新增超10亿、超50亿的产业集群8个和3个左右，分别达40个、12个。",
     [("超10亿的产业集群", 8, "~"), ("超50亿的产业集群", 3, "~"),
      ("超10亿的产业集群", 40, ">="), ("超50亿的产业集群", 12, ">=")]),
    # a 分别 list whose indicators were named in the sentence before, in order
    ("到2024年，中小企业上云率达50%，数字化管理普及率超过40%；到2026年，分别达到70%、60%。",
     [("中小企业上云率", 50, ">="), ("数字化管理普及率", 40, ">"),
      ("中小企业上云率", 70, ">="), ("数字化管理普及率", 60, ">=")]),
    # a list of figures for one indicator: the later figures never take the earlier ones as their indicator
    ("到2026年，科技企业孵化器分别达到30家、45家和60家。",
     [("科技企业孵化器", 30, ">="), ("科技企业孵化器", 45, ">="), ("科技企业孵化器", 60, ">=")]),
])
def test_targets_respective_lists(text, expected):
    got, _ = _targets(text)
    assert [(indicator, value, comparator) for _, indicator, _, value, _, _, comparator, _ in got] == expected


@pytest.mark.parametrize("text, expected", [
    # the baseline of a change is not part of the indicator (and is no target)
    ("到2026年，森林覆盖率由82%提高到84%。", [(2026, "森林覆盖率", 84, ">=")]),
    ("到2026年，有效发明专利数从6.8万件增加到9万件。", [(2026, "有效发明专利数", 90000, ">=")]),
    # a later year opening a clause is that clause's horizon, for the indicator named before
    ("到2024年，教师学历达标率达到80%以上，2026年达到85%。",
     [(2024, "教师学历达标率", 80, ">="), (2026, "教师学历达标率", 85, ">=")]),
    ("力争到2024年，全市技术合同成交额达到100亿元，2026年突破150亿元。",
     [(2024, "技术合同成交额", 10000000000, ">="), (2026, "技术合同成交额", 15000000000, ">")]),
    # an indicator named before its horizons: 公示率2024年底前达到80%、2025年底前达到100%
    ("行政处罚决定全文公示率2024年底前达到80%、2025年底前达到100%。",
     [(2024, "行政处罚决定全文公示率", 80, ">="), (2025, "行政处罚决定全文公示率", 100, ">=")]),
    # a share with its subject elided: 规模达到…，占GDP的40%以上
    ("到2026年，全省数字经济规模达到2万亿元，占地区生产总值的40%以上。",
     [(2026, "数字经济规模", 2000000000000, ">="), (2026, "数字经济规模占地区生产总值比重", 40, ">=")]),
    # a time phrase opening an indicator is no part of it
    ("到2026年3月底全省口罩日产能达到500万只。", [(2026, "全省口罩日产能", 5000000, ">=")]),
    # a count followed by another count: each names its own noun
    ("到2026年，培育30家节水标杆企业、300家节水型企业。",
     [(2026, "节水标杆企业", 30, "="), (2026, "节水型企业", 300, "=")]),
])
def test_targets_baselines_later_years_and_shares(text, expected):
    got, _ = _targets(text)
    assert [(year, indicator, value, comparator) for year, indicator, _, value, _, _, comparator, _ in got] == expected


def test_targets_inside_measure_carry_measure_id():
    text = "（三）完善服务体系\n13.建设基地。到2025年，培育技术经纪人\n\n超过 2000 人。\n（责任单位：市科技局）"
    _, doc = _targets(text)
    assert len(doc["targets"]) == 1
    assert doc["targets"][0]["measure_id"] == doc["measures"][0]["id"]


def test_targets_without_horizon_outside_goal_sections_are_not_targets():
    got, _ = _targets("1.加强服务。服务企业数量达到100家以上。")
    assert got == []
