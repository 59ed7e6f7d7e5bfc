"""Amounts: every EXAMPLES.md row, plus phrasings from other layouts (input -> expected records)."""
import pytest

from policyflow.extractors.pipeline import extract


def _amounts(text):
    doc = extract(text)
    conds = {c["id"]: c["text"] for c in doc["conditions"]}
    return [(a["role"], a["bound"], a["value_yuan"], a["ratio"], a["per"], conds.get(a["condition_id"]))
            for a in doc["amounts"]], doc


EXAMPLES = [
    ("1.支持项目。每个项目支持资金最高50万元、最低20万元。",
     [("subsidy", "max", 500000, None, ["project"]), ("subsidy", "min", 200000, None, ["project"])]),
    ("1.支持企业。一次性给予每家最高30万元奖补资金。", [("subsidy", "max", 300000, None, ["once", "entity"])]),
    ("1.支持企业。对首次认定的企业，给予 25 万元补助。", [("subsidy", "exact", 250000, None, [])]),
    ("1.支持交易。按照年度技术合同成交额总额的 1%给予补助，每家单位最高不超过100万元。",
     [("subsidy", "exact", None, 0.01, []), ("subsidy", "max", 1000000, None, ["entity"])]),
    ("1.支持项目。对承担省科技重大专项计划项目的单位，给予上年度省拨经费30%、单个项目最高100万元的配套奖励。",
     [("subsidy", "exact", None, 0.3, []), ("subsidy", "max", 1000000, None, ["project"])]),
    ("1.建设园区。对新建设的国家级、省级、市级农业科技园区,分别给予200万元、100万元、50万元奖补。",
     [("subsidy", "exact", 2000000, None, []), ("subsidy", "exact", 1000000, None, []),
      ("subsidy", "exact", 500000, None, [])]),
    ("1.建设载体。对新备案的国家级科技企业孵化器、众创空间分别给予最高500万元、100万元补助。",
     [("subsidy", "max", 5000000, None, []), ("subsidy", "max", 1000000, None, [])]),
    ("1.奖励成果。对获得省科学技术奖项目的第一完成单位，分别给予特等奖100万元、一等奖50万元、二等奖30万元的奖励。",
     [("subsidy", "exact", 1000000, None, []), ("subsidy", "exact", 500000, None, []),
      ("subsidy", "exact", 300000, None, [])]),
    ("1.支持中介。每通过1家给予中介机构5000元奖补，每家中介机构每年最高奖补20万元。",
     [("subsidy", "exact", 5000, None, ["entity"]), ("subsidy", "max", 200000, None, ["entity", "year"])]),
    ("1.培养经纪人。每培养1名技术经纪人给予1000元补助。", [("subsidy", "exact", 1000, None, ["person"])]),
    ("1.支持人才。对入选的领军人才，按照国家、省人才资助经费额度给予1∶1配套支持。", [("subsidy", "exact", None, 1.0, [])]),
    ("1.配套奖励。对承担国家项目的单位，给予省财政奖励同等额度配套奖励。", [("subsidy", "exact", None, 1.0, [])]),
    ("1.贴息。市财政按照省级财政贴息支持额度的50%给予补助。", [("subsidy", "exact", None, 0.5, [])]),
    ("1.设立基金。市财政每年出资金额5000万元,连续出资3年总规模1.5亿元。",
     [("budget", "exact", 50000000, None, ["year"]), ("budget", "exact", 150000000, None, [])]),
    ("1.设立基金。市财政出资比例不超过基金规模的30%。", [("budget", "max", None, 0.3, [])]),
    ("1.补助。对首次准确填报研发投入统计数据50万元以上，或研发投入填报较上年度增长100万元以上且未享受研发财政补助的规上企业，"
     "市财政给予最高5万元补助。",
     [("threshold", "min", 500000, None, []), ("threshold", "min", 1000000, None, []),
      ("subsidy", "max", 50000, None, [])]),
    ("1.奖励。对认定的企业给予10万元至30万元补助。",
     [("subsidy", "min", 100000, None, []), ("subsidy", "max", 300000, None, [])]),
    ("1.奖励。对认定的企业给予20-50万元奖励。",
     [("subsidy", "min", 200000, None, []), ("subsidy", "max", 500000, None, [])]),
    ("1.奖励。对认定的企业给予五十万元奖励。", [("subsidy", "exact", 500000, None, [])]),
    ("1.奖励。对认定的企业给予一千万元奖励。", [("subsidy", "exact", 10000000, None, [])]),
    ("1.奖励。对认定的企业给予１２万元奖励。", [("subsidy", "exact", 120000, None, [])]),
    ("1.奖励。对认定的企业给予一定的财政资金补助。", []),
    ("1.奖励。按照“一事一议”的方式给予补助。", []),
    # a yearly selection makes the grant yearly (the seed gold reads 每家…30万元 as per entity and year)
    ("1.评价。每年选取30％的农业科技园区，每家给予30万元奖补。", [("subsidy", "exact", 300000, None, ["entity", "year"])]),
]

OTHER_LAYOUTS = [
    # 第X条 article with Chinese numerals
    ("第七条 对新获批建设的全国重点实验室，给予一次性补助一千万元。", [("subsidy", "exact", 10000000, None, ["once"])]),
    # eligibility list in an article: floors are thresholds
    ("第六条 申请单位应当具备下列条件：\n（二）上年度研发经费支出不低于五百万元，或占营业收入的比例不低于百分之三；",
     [("threshold", "min", 5000000, None, []), ("threshold", "min", None, 0.03, [])]),
    # plain-text table row
    ("序号｜事项｜支持标准｜责任单位\n1｜支持研发中心｜对新认定的市级企业研发中心给予最高30万元奖补｜市科技局",
     [("subsidy", "max", 300000, None, [])]),
    # 最高奖 is an award, not a cap
    ("1.奖励。对获得省科学技术最高奖的个人给予省财政奖励同等额度配套奖励。", [("subsidy", "exact", None, 1.0, [])]),
    # a space-aligned table: the 最高额度 column is a cap, the row's first cell what it supports
    ("第七条 支持标准如下：\n类别            支持标准              最高额度\n研究开发服务    按合同金额的50%       30万元\n",
     [("subsidy", "exact", None, 0.5, []), ("subsidy", "max", 300000, None, [])]),
    # a floor inside the 对…的 clause is a threshold; the grant after it is not
    ("1.支持。对营业收入首次突破1亿元的数字科技企业，给予最高50万元奖励。",
     [("threshold", "min", 100000000, None, []), ("subsidy", "max", 500000, None, [])]),
    ("1.支持。对新入选市级科技领军企业的，给予不高于200万元的研发补助。", [("subsidy", "max", 2000000, None, [])]),
    ("（二）上年度营业收入不超过2亿元；", [("threshold", "max", 200000000, None, [])]),
    ("1.支持。单个企业年度补助封顶300万元，按研发费用增量部分的10%给予补助。",
     [("subsidy", "max", 3000000, None, ["entity", "year"]), ("subsidy", "exact", None, 0.1, [])]),
    ("1.支持。每年遴选支持一批中试平台，每家给予最高100万元补助。", [("subsidy", "max", 1000000, None, ["entity", "year"])]),
    # a cap per carrier per year
    ("1.支持投资。按实际投资额的10%给予奖励，单个孵化载体每年最高100万元。",
     [("subsidy", "exact", None, 0.1, []), ("subsidy", "max", 1000000, None, ["entity", "year"])]),
]

# real-text phrasings (issue 9): the role of a figure follows the role of its clause, however long
ROLE_OF_CLAUSE = [
    # a figure inside a 对…的， qualifier is a threshold, with or without a bound word
    ("1.支持投资。对投资规模达到2000万元、期限满三年以上的，按不超过实际投资额2%的比例给予一次性奖励，最高不超过500万元。",
     [("threshold", "min", 20000000, None, []), ("subsidy", "max", None, 0.02, ["once"]),
      ("subsidy", "max", 5000000, None, ["once"])]),
    # a bounded figure that qualifies a noun (…及以下的业务) is a threshold
    ("3.降低担保费。对单户担保金额300万元及以下的融资担保业务，省财政按担保额的1%给予补贴。",
     [("threshold", "max", 3000000, None, ["entity"]), ("subsidy", "exact", None, 0.01, [])]),
    # 凡…的， opens a qualifier too
    ("第九条 凡年度上缴税收超过五十万元的企业，由同级财政按一定比例返还。", [("threshold", "min", 500000, None, [])]),
    # requirements on a third party in a list with no grant: thresholds
    ("（一）子基金规模不低于2000万元；子基金对单个企业的投资最高不超过300万元；",
     [("threshold", "min", 20000000, None, []), ("threshold", "max", 3000000, None, ["entity"])]),
    # the government's own share of a fund: a budget
    ("（二）引导基金对单个子基金的出资比例不超过子基金规模的30%。", [("budget", "max", None, 0.3, ["entity"])]),
    # 不得低于 is a floor
    ("（四）管理机构出资额不得低于子基金认缴总额的2%；", [("threshold", "min", None, 0.02, [])]),
    # a share drawn for rewards is a grant
    ("第二十条 从技术转让净收入中提取不低于60%的比例用于奖励完成人员。", [("subsidy", "min", None, 0.6, [])]),
    # budget floors written in Chinese ratios, distributive
    ("第十五条 区财政用于科技的经费占本级经常性支出的比例应当分别不低于百分之三和万分之五。",
     [("budget", "min", None, 0.03, []), ("budget", "min", None, 0.0005, [])]),
    # a fee cut
    ("二、降低收费。对小微企业检测服务，在原收费标准基础上下调20%。", [("subsidy", "exact", None, 0.2, [])]),
]


@pytest.mark.parametrize("text, expected", ROLE_OF_CLAUSE)
def test_amounts_role_follows_the_clause(text, expected):
    got, _ = _amounts(text)
    assert [g[:5] for g in got] == expected


# issue 12: a growth rate, a share or an absolute figure that decides who qualifies is a threshold
# (its words stay in the grant's condition); a ratio the grant is computed at stays a grant
THRESHOLDS_IN_CONDITIONS = [
    # growth rate in a 对…的， qualifier
    ("1.奖励。对年度研发费用增长超过25%的企业，给予最高40万元奖励。",
     [("threshold", "min", None, 0.25, []), ("subsidy", "max", 400000, None, [])]),
    # growth rate in a qualifier without 对, whose clause names spending (支出 is no budget here)
    ("2.奖励。年度研发经费支出增长超过15%的企业，给予最高30万元奖励。",
     [("threshold", "min", None, 0.15, []), ("subsidy", "max", 300000, None, [])]),
    # 增幅…以上 and a growth against last year
    ("3.奖励。对出口额增幅达到12%以上的外贸企业，给予8万元奖励。",
     [("threshold", "min", None, 0.12, []), ("subsidy", "exact", 80000, None, [])]),
    ("4.奖励。对销售收入比上年提高10%以上的企业，按新增销售收入的1%给予奖励。",
     [("threshold", "min", None, 0.1, []), ("subsidy", "exact", None, 0.01, [])]),
    # a share as eligibility, and an intensity with only 以上 after it, in a list of criteria
    ("5.补助。对研发投入占营业收入比重达到6%以上的企业，给予25万元补助。",
     [("threshold", "min", None, 0.06, []), ("subsidy", "exact", 250000, None, [])]),
    ("6.补助。对行业领先、近三年研发投入强度5%以上、上年度研发投入300万元以上的企业，按照实际投入额给予15%的补助。",
     [("threshold", "min", None, 0.05, []), ("threshold", "min", 3000000, None, []),
      ("subsidy", "exact", None, 0.15, [])]),
    # 高于 is a floor
    ("7.支持。企业研发费用占销售收入的比例高于4%的，给予60万元资金支持。",
     [("threshold", "min", None, 0.04, []), ("subsidy", "exact", 600000, None, [])]),
    # absolute thresholds: a 的， clause without 对, and 对…的企业给予 without a comma
    ("8.奖励。企业年营业收入首次超过2亿元的，给予60万元奖励。",
     [("threshold", "min", 200000000, None, []), ("subsidy", "exact", 600000, None, [])]),
    ("9.奖励。对年纳税额超过500万元的企业给予20万元奖励。",
     [("threshold", "min", 5000000, None, []), ("subsidy", "exact", 200000, None, [])]),
    # a growth rate outside any condition or grant is no amount; the government's own growth is a budget
    ("10.成效。全市企业研发经费支出年均增长9%。", []),
    ("11.投入。市财政科技支出年均增长10%。", [("budget", "exact", None, 0.1, [])]),
    # 规模以上 is a class of enterprise, not a fund's size: a reward, not a budget
    ("12.奖励。对首次纳入规模以上工业统计的企业奖励10万元。", [("subsidy", "exact", 100000, None, [])]),
    # negative cases: ratios a grant is computed at stay grants
    ("13.补助。按研发费用的20%给予补助。", [("subsidy", "exact", None, 0.2, [])]),
    ("14.补助。给予实际投资额30%的补助，最高100万元。",
     [("subsidy", "exact", None, 0.3, []), ("subsidy", "max", 1000000, None, [])]),
    ("15.贴息。对符合条件的贷款，贴息比例不超过50%。", [("subsidy", "max", None, 0.5, [])]),
    ("16.补助。对企业，按不低于研发投入10%的比例给予补助。", [("subsidy", "min", None, 0.1, [])]),
    ("17.奖励。对研发投入较上年增长部分，按15%给予补助。", [("subsidy", "exact", None, 0.15, [])]),
    # …的一次性补贴 after a figure is the grant's own noun, not a qualifier (针对 holds no opener)
    ("18.就业。为每人提供针对性服务，及时发放每人1500元的一次性求职补贴。",
     [("subsidy", "exact", 1500, None, ["once", "person"])]),
    # a share allocated 用于… is no qualifier of the grant
    ("19.激励。企业可在三年内每年提取不高于25%的净利润，用于奖励研发团队。", [("subsidy", "max", None, 0.25, ["year"])]),
]


@pytest.mark.parametrize("text, expected", THRESHOLDS_IN_CONDITIONS)
def test_amounts_thresholds_in_conditions(text, expected):
    got, _ = _amounts(text)
    assert [g[:5] for g in got] == expected


# issue 12: how often a rate recurs, beside `per` (which keeps the contract's values): (role, per, per_period)
PER_PERIOD = [
    ("1.就业。对吸纳就业困难人员的企业，按每人每月800元给予岗位补贴。", [("subsidy", ["person"], "month")]),
    ("2.社保。对新招用人员，按每人每季度1200元给予社保补贴。", [("subsidy", ["person"], "quarter")]),
    ("3.营养。农村学生营养膳食补助标准为每生每天5元。", [("subsidy", [], "day")]),
    # a period printed after the figure, also after a per word or another unit
    ("4.生活补助。给予见习人员生活补助2500元/人·月。", [("subsidy", ["person"], "month")]),
    ("5.租金。场地租金补贴标准为10元/平方米·月。", [("subsidy", [], "month")]),
    # a yearly rate, a yearly budget and a yearly cap: `per` says year too
    ("6.人才。对引进的博士后，给予每人每年6万元生活补贴。", [("subsidy", ["person", "year"], "year")]),
    ("7.基金。区财政每年出资3000万元设立引导基金。", [("budget", ["year"], "year")]),
    ("8.封顶。同一企业同一年度累计补助不超过150万元。", [("subsidy", ["entity", "year"], "year")]),
    # a lead-in ending in a colon gives its period to the list after it
    ("9.补贴标准。每人每月补贴标准为：本科生800元、硕士生1200元。",
     [("subsidy", ["person"], "month"), ("subsidy", ["person"], "month")]),
    # no period: a basis year (上年度), a yearly selection round, a date, a one-off grant, a grant paid in
    # instalments, a total cap after a monthly rate, a threshold
    ("10.奖励。对上年度研发费用超过2000万元的企业，按上年度研发费用的5%给予补助。",
     [("threshold", [], None), ("subsidy", [], None)]),
    ("11.遴选。每年遴选一批企业，每家给予20万元奖励。", [("subsidy", ["entity", "year"], None)]),
    ("12.申报。每年4月底前申报，对符合条件的企业给予15万元补助。", [("subsidy", ["year"], None)]),
    ("13.一次性。对入选的团队，一次性给予80万元资助。", [("subsidy", ["once"], None)]),
    ("14.分期。对首次认定的企业，给予40万元奖励，分两年拨付。", [("subsidy", [], None)]),
    ("15.补贴。每人每月补贴600元，累计最高不超过7200元。", [("subsidy", ["person"], "month"), ("subsidy", [], None)]),
]


@pytest.mark.parametrize("text, expected", PER_PERIOD)
def test_amounts_per_period_of_rates(text, expected):
    _, doc = _amounts(text)
    assert [(a["role"], a["per"], a["per_period"]) for a in doc["amounts"]] == expected


@pytest.mark.parametrize("text, figure, condition", [
    # a cap shares the condition of the grant before it
    ("1.支持。对营业收入首次超过1亿元的企业，按研发投入的10%给予补助，最高不超过100万元。", 1000000, "营业收入首次超过1亿元的企业"),
    # a fine's condition is the 的-clause before it, not the party the 对 names
    ("第四十条 在成果评估中提供虚假证明的，由主管部门对评估机构处二万元以上五万元以下罚款。", 20000, "在成果评估中提供虚假证明的"),
    # the 对 clause before a 分别 list is the list's condition (items without grade words stay shared)
    ("1.奖励。对首次获得国家科技奖、省科技奖的企业分别奖励50万元、20万元。", 200000, "首次获得国家科技奖、省科技奖的企业"),
])
def test_amounts_condition_of_real_phrasings(text, figure, condition):
    got, _ = _amounts(text)
    assert any(g[2] == figure and g[5] == condition for g in got), got


@pytest.mark.parametrize("text, expected", [
    # a later figure that raises the cap is a cap, per what the cap was per, with its own 对于… condition
    ("2.奖励。对获得风险投资的项目，按投资额的2%给予奖励，每个项目最高不超过300万元；对于成立三年内的初创企业，可将奖励提升至600万元。",
     ("subsidy", "max", 6000000, None, ["project"], "成立三年内的初创企业")),
    ("（一）资助标准：按合同实际发生额的50%给予资助，资助金额最高不超过10万元；与设计机构合作三年以上的企业，资助金额可提高到30万元。",
     ("subsidy", "max", 300000, None, [], "与设计机构合作三年以上的企业")),
])
def test_amounts_raised_cap(text, expected):
    got, _ = _amounts(text)
    assert got[-1] == expected


@pytest.mark.parametrize("text, expected", [
    # the government fund's own share of a sub-fund is an outlay cap (budget), not a requirement on others
    ("（二）子基金规模不低于2000万元，引导基金的参股比例一般不超过30%，且不作为第一大股东；",
     [("threshold", "min", 20000000, None, [], None), ("budget", "max", None, 0.3, [], None)]),
    # an outlay has no beneficiary to guess: the clause before it is no condition
    ("三、资金安排。市级财政统筹安排资金，其中，每年安排科技创新专项资金5000万元。",
     [("budget", "exact", 50000000, None, ["year"], None)]),
])
def test_amounts_budgets_take_no_guessed_condition(text, expected):
    got, _ = _amounts(text)
    assert got == expected


@pytest.mark.parametrize("text, expected", [
    # a cap naming the grant before its bound word shares the grant's per words
    ("1.奖励投资。对投资期限满两年的，按实际投资额1%的比例给予一次性奖励，奖励金额最高不超过800万元。",
     [["once"], ["once"]]),
    # what follows a 分别 list applies to each of its figures
    ("（二）机构奖补。对新认定的国家级、省级示范机构，分别给予60万元、30万元一次性奖补；", [["once"], ["once"]]),
    # a yearly selection before the grant makes it yearly, even when the selection names a share
    ("1.支持园区。按照不连续补助的原则，每年选取20%的示范园区，每家给予40万元奖补。", [["entity", "year"]]),
    # a per word in the clause before joins a one-off grant's per words
    ("（三）引进机构。每引进一家知名服务机构总部并运营满一年，给予80万元、40万元一次性奖励。",
     [["once", "entity"], ["once", "entity"]]),
])
def test_amounts_per_words_shared_along_a_grant(text, expected):
    _, doc = _amounts(text)
    assert [a["per"] for a in doc["amounts"]] == expected


@pytest.mark.parametrize("text, expected", EXAMPLES + OTHER_LAYOUTS)
def test_amounts_examples(text, expected):
    got, _ = _amounts(text)
    assert [g[:5] for g in got] == expected


@pytest.mark.parametrize("text, quote", [
    ("1.支持企业。一次性给予每家最高30万元奖补资金。", "最高30万元"),
    ("1.支持企业。对首次认定的企业，给予 25 万元补助。", "25 万元"),
    ("1.补助。对研发投入50万元以上的企业给予最高5万元补助。", "50万元以上"),
    ("1.支持交易。每家单位最高不超过 100 万元，按照合同额的 1%给予补助。", "最高不超过 100 万元"),
])
def test_amounts_span_covers_figure_and_bound_words(text, quote):
    _, doc = _amounts(text)
    assert quote in [text[a["span"][0]:a["span"][1]] for a in doc["amounts"]]


def test_amounts_grant_without_figure_warns():
    _, doc = _amounts("1.奖励。对认定的孵化器，给予一定的财政资金补助；对新建研究院，按照“一事一议”的方式给予补助。")
    assert doc["amounts"] == []
    assert [w["code"] for w in doc["warnings"] if w["code"] == "W002"] == ["W002", "W002"]


def test_amounts_money_target_is_not_an_amount():
    got, doc = _amounts("一、主要目标\n到2025年，全市技术合同成交额超过1400亿元。\n二、重点任务\n1.支持。给予10万元补助。")
    assert [g[2] for g in got] == [100000]
    assert [t["value"] for t in doc["targets"]] == [140000000000]


@pytest.mark.parametrize("text, basis", [
    ("1.支持交易。按照年度技术合同成交额总额的 1%给予补助。", "年度技术合同成交额总额"),
    ("1.支持项目。对承担项目的单位，给予上年度省拨经费30%的配套奖励。", "上年度省拨经费"),
    ("1.配套奖励。对承担国家项目的单位，给予省财政奖励同等额度配套奖励。", "省财政奖励"),
    ("1.设立基金。市财政出资比例不超过基金规模的30%。", "基金规模"),
    ("第六条 申请单位研发经费占营业收入的比例不低于百分之三。", "营业收入"),
])
def test_amounts_ratio_basis(text, basis):
    _, doc = _amounts(text)
    assert doc["amounts"][0]["basis"] == basis
