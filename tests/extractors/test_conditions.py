"""Conditions: the qualifying words of each amount, shared and distributed (input -> condition texts)."""
import pytest

from policyflow.extractors.conditions import distribute
from policyflow.extractors.pipeline import extract


def _conditions(text):
    doc = extract(text)
    conds = {c["id"]: c for c in doc["conditions"]}
    return [conds[a["condition_id"]]["text"] if a["condition_id"] else None for a in doc["amounts"]], doc


@pytest.mark.parametrize("text, expected", [
    ("1.支持。对首次通过高新技术企业认定的企业，给予10万元补助。", ["首次通过高新技术企业认定的企业"]),
    ("1.支持。对认定（评选）为市级龙头型科技领军企业的，一次性给予每家最高200万元奖补资金。",
     ["认定（评选）为市级龙头型科技领军企业的"]),
    ("1.支持。对绩效评估优秀的市级技术创新中心、重点实验室、新型研发机构等创新平台，给予最高20万元的资金支持。",
     ["绩效评估优秀的市级技术创新中心、重点实验室、新型研发机构等创新平台"]),
    ("1.支持。组织开展服务绩效评价工作，根据绩效评价结果，择优给予300万元补助。", ["根据绩效评价结果，择优"]),
    ("1.支持。对新建设的国家级、省级、市级农业科技园区,分别给予200万元、100万元、50万元奖补。",
     ["新建设的国家级农业科技园区", "新建设的省级农业科技园区", "新建设的市级农业科技园区"]),
    ("1.支持。对新备案的国家级科技企业孵化器、众创空间分别给予最高500万元、100万元补助。",
     ["新备案的国家级科技企业孵化器", "新备案的国家级众创空间"]),
    ("1.支持。对绩效评价结果为优秀和良好的，分别给予20万元、10万元补助。", ["绩效评价结果为优秀的", "绩效评价结果为良好的"]),
    ("1.支持。对规上工业企业，一次性给予每家最高30万元奖补资金，其它规上企业一次性给予最高20万元奖补资金。",
     ["规上工业企业", "其它规上企业"]),
    ("1.支持。经科技部批准为全国重点实验室并在济南市注册成立的，每家给予最高500万元补助。",
     ["经科技部批准为全国重点实验室并在济南市注册成立的"]),
    ("1.支持。每年支持一批高成长性企业关键技术突破项目，每个项目支持资金最高50万元。", ["高成长性企业关键技术突破项目"]),
    ("第九条 对企业引进的顶尖人才创新团队，经评审认定后给予最高五千万元综合资助。", ["企业引进的顶尖人才创新团队，经评审认定后"]),
    ("1.设立基金。市财政每年出资金额5000万元。", [None]),
])
def test_conditions_examples(text, expected):
    got, _ = _conditions(text)
    assert got == expected


@pytest.mark.parametrize("text, expected", [
    # issue 12: a threshold's figure stays in the condition of the grant it gates; the threshold itself has none
    ("1.奖励。年度研发经费支出增长超过15%的企业，给予最高30万元奖励。", [None, "年度研发经费支出增长超过15%的企业"]),
    ("2.补助。对研发投入占营业收入比重达到6%以上的企业，给予25万元补助。", [None, "研发投入占营业收入比重达到6%以上的企业"]),
    ("3.奖励。企业年营业收入首次超过2亿元的，给予60万元奖励。", [None, "企业年营业收入首次超过2亿元的"]),
    # without a comma after the qualifier, the grant's condition still runs to the end of the qualifier
    ("4.奖励。对年纳税额超过500万元的企业给予20万元奖励。", [None, "年纳税额超过500万元的企业"]),
])
def test_conditions_keep_threshold_figures(text, expected):
    got, _ = _conditions(text)
    assert got == expected


@pytest.mark.parametrize("text, expected", [
    # a qualifying clause that runs up to the figure ends before the grant verb, its giver and per words
    ("1.奖励。对在创业板上市的企业奖励200万元。", ["在创业板上市的企业"]),
    ("2.补贴。对按规定扑杀的家禽每只补助15元。", ["按规定扑杀的家禽"]),
    ("3.奖励。经评估认定达到市级设计中心标准的，市政府奖励50万元。", ["经评估认定达到市级设计中心标准的"]),
])
def test_conditions_end_before_the_grant_verb(text, expected):
    got, _ = _conditions(text)
    assert got == expected


@pytest.mark.parametrize("text, expected", [
    # the offence that opens a 。-sentence qualifies a fine in a later ；-sentence that names none
    ("第二十条 对虚报冒领科研补助资金的，由主管部门追回资金；由市科技局没收违法所得，并处以骗取金额百分之十以上百分之二十以下的罚款。",
     ["虚报冒领科研补助资金的", "虚报冒领科研补助资金的"]),
    # an escalation (逾期未改正的, 拒不改正的, 情节严重的) includes the offence it escalates
    ("第二十一条 违反本办法第五条规定，机构未按时报送年度报告的，由市科技局责令限期改正；逾期未改正的，处五百元以上二千元以下罚款。",
     ["机构未按时报送年度报告的，由市科技局责令限期改正；逾期未改正的"] * 2),
    # an article number glued into crawled running text is numbering, and 违反本规定， is a preamble
    ("本规定自公布之日起施行。第二十二条违反本规定，伪造检测报告的，处一千元以下罚款。", ["伪造检测报告的"]),
    # 违反本办法第八条规定的 is itself the offence, and 违反本办法规定，有下列行为之一的 keeps its preamble
    ("第二十三条 违反本办法第八条规定的，处三千元以下罚款。", ["违反本办法第八条规定的"]),
    ("第二十四条 违反本办法规定，有下列行为之一的，处五千元以下罚款。", ["违反本办法规定，有下列行为之一的"]),
    # not a fine: a threshold in its own qualifying clause borrows no earlier condition
    ("5.返还。采购价格低10%以内的，节约资金的50%返还；采购价格低20%以上的，节约资金的60%返还。",
     [None, "采购价格低10%以内的", None, "采购价格低20%以上的"]),
])
def test_conditions_of_fines(text, expected):
    got, _ = _conditions(text)
    assert got == expected


def test_conditions_shared_by_amounts_are_one_record():
    _, doc = _conditions("1.支持。对认定登记的技术合同，按照年度免税技术交易额的1.5%给予补助，最高不超过50万元。")
    assert len(doc["conditions"]) == 1
    assert doc["conditions"][0]["amount_ids"] == [a["id"] for a in doc["amounts"]]


@pytest.mark.parametrize("condition, n, expected", [
    ("入选国家、省级重点人才工程的企业", 2, ["入选国家重点人才工程的企业", "入选省级重点人才工程的企业"]),
    ("每新建一家省级、市级临床医学研究中心", 2, ["每新建一家省级临床医学研究中心", "每新建一家市级临床医学研究中心"]),
    ("获批的创新平台", 2, None),
])
def test_conditions_distribute(condition, n, expected):
    assert distribute(condition, n) == expected
