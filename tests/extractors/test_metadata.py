"""Metadata from headers, closing blocks, validity clauses and citations: (text, field, expected) rows."""
import pytest

from policyflow.extractors.metadata import extract_metadata, parse_date, region_of
from policyflow.extractors.normalize import normalize

DRAFT = "\n\n济南市科学技术局 加快推进科技型企业高质量发展行动方案\n\n(征求意见稿)\n\n为进一步深入贯彻创新驱动发展战略，制定本方案。\n一、主要目标\n"
TWO_LINE = ("\n聊城市人民政府关于加快推进新时代科技\n强市建设的实施意见\n\n聊政字〔2023〕11号\n\n各县（市、区）人民政府：\n"
            "    为进一步强化科技创新，根据《山东省人民政府关于加快推进新时代科技强省建设的实施意见》（鲁政字〔2022〕225号），"
            "现结合我市实际，提出以下实施意见。制定《科技成果交易服务通则》地方标准。\n一、总体要求\n内容。\n\n聊城市人民政府\n2023年6月30日\n")
PERIOD = "滨州市科技型企业梯次培育三年行动计划（2021-2023年）\n    为加快推进建设，制定本行动计划。\n"
ARTICLES = ("青岛市科技型企业研发投入补助管理办法\n\n第一条 为引导企业加大研发投入，制定本办法。\n"
            "第二十条 本办法自2024年5月1日起施行，有效期至2028年12月31日。\n\n青岛市科学技术局\n青岛市财政局\n二〇二四年三月十五日\n")
VALID_YEARS = "合肥市促进科技成果转化若干措施（草案）\n一、支持转化。给予奖励。\n本措施自2025年1月1日起施行，有效期3年。\n"


CRLF_PLAN = "长沙市科技创新平台能级提升行动计划（2024—2027年）\r\n\r\n为加快建设全球研发中心城市，制定本行动计划。\r\n"
JOINT = ("武汉市科学技术局 武汉市财政局关于印发武汉市企业研发投入后补助实施细则的通知\n武科规〔2024〕2号\n"
         "第一条 为规范管理，制定本细则。\n第十五条 本细则自2024年4月1日起施行，有效期5年。\n")
FROM_ISSUE = "佛山市促进产学研深度融合若干措施\n一、支持。给予补助。\n本措施自印发之日起实施，有效期至2026年12月31日。\n\n佛山市科学技术局\n2024年8月12日\n"


@pytest.mark.parametrize("text, field, expected", [
    (DRAFT, "title", "加快推进科技型企业高质量发展行动方案"),
    (DRAFT, "issuer", "济南市科学技术局"),
    (DRAFT, "status", "draft"),
    (DRAFT, "region", "济南市"),
    (DRAFT, "doc_number", None),
    (TWO_LINE, "title", "关于加快推进新时代科技强市建设的实施意见"),
    (TWO_LINE, "issuer", "聊城市人民政府"),
    (TWO_LINE, "doc_number", "聊政字〔2023〕11号"),
    (TWO_LINE, "status", "final"),
    (TWO_LINE, "issue_date", "2023-06-30"),
    (TWO_LINE, "region", "聊城市"),
    (PERIOD, "title", "滨州市科技型企业梯次培育三年行动计划（2021-2023年）"),
    (PERIOD, "issuer", None),
    (PERIOD, "region", "滨州市"),
    (PERIOD, "period", {"start": 2021, "end": 2023}),
    (ARTICLES, "period", {"start": 2024, "end": 2028}),
    (ARTICLES, "issuer", "青岛市科学技术局、青岛市财政局"),
    (ARTICLES, "issue_date", "2024-03-15"),
    (ARTICLES, "region", "青岛市"),
    (VALID_YEARS, "status", "draft"),
    (VALID_YEARS, "title", "合肥市促进科技成果转化若干措施"),
    (VALID_YEARS, "period", {"start": 2025, "end": 2027}),
    (CRLF_PLAN, "title", "长沙市科技创新平台能级提升行动计划（2024—2027年）"),
    (CRLF_PLAN, "period", {"start": 2024, "end": 2027}),
    (JOINT, "issuer", "武汉市科学技术局、武汉市财政局"),
    (JOINT, "title", "关于印发武汉市企业研发投入后补助实施细则的通知"),
    (JOINT, "period", {"start": 2024, "end": 2029}),
    (FROM_ISSUE, "period", {"start": 2024, "end": 2026}),
])
def test_metadata_fields(text, field, expected):
    meta, _ = extract_metadata(normalize(text))
    assert meta[field] == expected


def test_metadata_cited_relies_on_not_plans():
    meta, _ = extract_metadata(normalize(TWO_LINE))
    assert [(c["title"], c["doc_number"]) for c in meta["cited"]] == [
        ("山东省人民政府关于加快推进新时代科技强省建设的实施意见", "鲁政字〔2022〕225号")]


CITE_HEAD = "某市促进科技服务业发展办法\n第一条 "


@pytest.mark.parametrize("sentence, expected", [
    ("按照市科技局、市财政局联合印发的《某市科技服务机构认定办法》（某科发〔2021〕8号）的要求，制定本办法。",
     [("某市科技服务机构认定办法", "某科发〔2021〕8号")]),
    ("根据《某市科技服务机构认定办法》，制定本办法。依照市科技局印发的《某市科技服务机构认定办法》（某科发〔2021〕8号）执行。",
     [("某市科技服务机构认定办法", "某科发〔2021〕8号")]),
    ("企业严格执行《实验室污染物排放标准》（GB12345-2020）。", [("实验室污染物排放标准", "GB12345-2020")]),
    ("参照修订的《检测机构规范条件》（T/ABC0010021）引导机构发展。", [("检测机构规范条件", "T/ABC0010021")]),
    ("按照新修订的《实验室建筑设计规范（2021年版）》（某部公告2021年第12号）建设。",
     [("实验室建筑设计规范（2021年版）", "某部公告2021年第12号")]),
    ("对纳入《某市首版次软件产品目录》的产品给予补助。", [("某市首版次软件产品目录", None)]),
    ("严格执行安全、质量等相关法律法规和《某市产业准入目录》等政策。", [("某市产业准入目录", None)]),
    ("本办法自2024年1月1日起施行。2010年3月1日市人民政府发布的《某市科技服务管理办法》同时废止。",
     [("某市科技服务管理办法", None)]),
    ("2020年5月1日 某市人民代表大会常务委员会第九次会议《关于修改〈某市科技服务条例〉的决定》修正\n",
     [("关于修改〈某市科技服务条例〉的决定", None)]),
    ("根据《某市科技服务条例》（以下简称《条例》），制定本办法。《条例》另有规定的，从其规定。", [("某市科技服务条例", None)]),
    ("市科技局负责制定《某市科技服务机构评价规范》。", []),
    ("关于印发《某市科技服务机构评价规范》的通知", []),
])
def test_metadata_cited_phenomena(sentence, expected):
    meta, _ = extract_metadata(normalize(CITE_HEAD + sentence + "\n"))
    assert [(c["title"], c["doc_number"]) for c in meta["cited"]] == expected


def test_metadata_portal_table_fills_gaps():
    portal = {"发文机关": "苏州市科学技术局", "发文字号": "苏科规〔2024〕2号", "成文日期": "2024-02-01", "索引号": "014"}
    meta, _ = extract_metadata(normalize("苏州市支持科技企业发展若干措施\n一、支持研发。给予补助。\n"), portal=portal)
    assert (meta["issuer"], meta["doc_number"], meta["issue_date"], meta["index_number"]) == (
        "苏州市科学技术局", "苏科规〔2024〕2号", "2024-02-01", "014")


@pytest.mark.parametrize("text, expected", [
    ("2023年6月30日", "2023-06-30"), ("二〇二四年三月十五日", "2024-03-15"), ("二○二三年十二月三十一日", "2023-12-31"),
    ("2024-02-01", "2024-02-01"), ("2023年13月1日", None), ("无日期", None),
])
def test_metadata_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("name, expected", [
    ("济南市科学技术局", "济南市"), ("聊城市人民政府", "聊城市"), ("山东省科学技术厅", "山东省"),
    ("威海市文登区人民政府", "威海市文登区"), ("关于加快推进科技创新的意见", None),
])
def test_metadata_region_of(name, expected):
    assert region_of(name) == expected


@pytest.mark.parametrize("width", [10, 12, 14])
def test_metadata_joint_issuers_read_across_a_hard_wrap(width):
    text = ("河北省科学技术厅 河北省财政厅关于支持企业研发投入的若干措施\n"
            "为加快建设创新型省份，推动企业加大研发投入，结合我省实际，制定如下措施。\n"
            "一、支持企业建设研发机构。对新认定的省级企业研发机构，给予一次性奖励。\n")
    wrapped = "\n".join("\n".join(ln[i:i + width] for i in range(0, len(ln), width)) for ln in text.split("\n"))
    meta, _ = extract_metadata(normalize(wrapped))
    assert (meta["title"], meta["issuer"]) == ("关于支持企业研发投入的若干措施", "河北省科学技术厅、河北省财政厅")


@pytest.mark.parametrize("sep", ["\r", "\u2028", "\u0085"])
def test_metadata_title_and_date_read_with_any_line_end(sep):
    meta, _ = extract_metadata(normalize(FROM_ISSUE.replace("\n", sep)))
    assert (meta["title"], meta["issuer"], meta["issue_date"]) == ("佛山市促进产学研深度融合若干措施", "佛山市科学技术局", "2024-08-12")
