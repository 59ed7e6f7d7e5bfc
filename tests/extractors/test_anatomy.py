"""Document anatomy: furniture, law history, notice covers, issued policies, attachments (own short texts)."""
import pytest

from policyflow.extractors.anatomy import anatomy, split_orgs
from policyflow.extractors.normalize import normalize
from policyflow.extractors.pipeline import extract

LAW = """# 某市促进技术转移条例

2015年5月20日 某市第十四届人民代表大会常务委员会第九次会议通过

2015年7月30日 某省第十二届人民代表大会常务委员会第十六次会议批准

2019年9月26日 某市第十五届人民代表大会常务委员会第二十次会议修正

<!-- INFO END -->

## 第一章　总则

第一条 为了促进技术转移，制定本条例。
"""

PROMULGATED = LAW.replace("<!-- INFO END -->", "2015年8月3日 某市第十四届人民代表大会常务委员会公告第9号公布\n\n<!-- INFO END -->").replace(
    "\n2019年9月26日 某市第十五届人民代表大会常务委员会第二十次会议修正\n", "")

DECREE = """某省人民政府关于修改《某省技术市场管理办法》的决定
某省人民政府令
第88号
省人民政府第12次常务会议决定对《某省技术市场管理办法》作如下修改：
一、将第三条修改为：“技术市场实行统一管理。”
《某省技术市场管理办法》根据本决定作相应修改，重新公布。
某省技术市场管理办法
（2012年3月1日省人民政府令第40号公布　2021年6月8日省人民政府令第88号修正）
第一条　为了规范技术市场，制定本办法。
第二条　本办法适用于本省。
"""

APPENDIX = """一、主要任务
（一）建设服务网络。各地建设托育服务网点。
（二）完善政策体系。研究出台支持政策。
附件：某项工作部门职责分工
2021年4月2日
（此件主动公开）
附件
某项工作部门职责分工
省发展改革委负责将相关服务纳入规划。
团省委负责开展青年宣传。
省妇联负责参与家庭教育指导。
"""


@pytest.mark.parametrize("text, expected", [
    ("【法宝引证码】 CLI.12.100\n原文链接：https://example.org/a.html\n某市科技局关于印发科技券办法的通知\n（某科发〔2022〕5号）\n"
     "各区科技局：\n现将《某市科技券管理办法》印发给你们，请遵照执行。\n某市科技局\n2022年3月1日\n某市科技券管理办法\n第一条　为规范管理，制定本办法。",
     {"title": "某市科技券管理办法", "notice_title": "关于印发科技券办法的通知", "issuer": "某市科技局",
      "doc_number": "某科发〔2022〕5号", "issue_date": "2022-03-01"}),
    (LAW, {"title": "某市促进技术转移条例", "issuer": "某市第十五届人民代表大会常务委员会", "issue_date": "2019-09-26",
           "doc_number": None}),
    (PROMULGATED, {"issuer": "某市第十四届人民代表大会常务委员会", "issue_date": "2015-08-03",
                   "doc_number": "某市第十四届人民代表大会常务委员会公告第9号"}),
    (DECREE, {"title": "某省技术市场管理办法", "notice_title": "关于修改《某省技术市场管理办法》的决定",
              "issuer": "某省人民政府", "doc_number": "某省人民政府令第88号", "issue_date": "2021-06-08"}),
    ("江南省科学技术厅关于印发《江南省科技计划管理办法》《江南省科技经费管理办法》的通知\n各市科技局：\n"
     "现将《江南省科技计划管理办法》《江南省科技经费管理办法》印发给你们，请遵照执行。\n江南省科学技术厅\n2023年3月1日\n"
     "江南省科技计划管理办法\n第一条 为规范管理，制定本办法。",
     {"title": "关于印发《江南省科技计划管理办法》《江南省科技经费管理办法》的通知",
      "notice_title": "关于印发《江南省科技计划管理办法》《江南省科技经费管理办法》的通知", "issuer": "江南省科学技术厅"}),
    # a doc number glued after the notice title, 印发你们 without 给
    ("江南省科学技术厅关于印发《江南省创新基地评估办法（试行）》的通知江科外〔2019〕3号各有关单位：\u3000\u3000为加强基地管理，"
     "制定了评估办法。现印发你们，请遵照执行。江南省科学技术厅2019年1月8日江南省创新基地评估办法（试行）第一章总则\u3000\u3000"
     "第一条为规范评估，制定本办法。",
     {"title": "江南省创新基地评估办法（试行）", "notice_title": "关于印发《江南省创新基地评估办法（试行）》的通知",
      "issuer": "江南省科学技术厅", "doc_number": "江科外〔2019〕3号", "issue_date": "2019-01-08"}),
    ("各市科技局：\n现将《某省科技特派员管理办法》转发给你们，请认真贯彻执行。\n某省科技厅\n2023年6月1日",
     {"title": "某省科技特派员管理办法", "notice_title": None}),
    ("某科字〔2020〕3号某省科技厅关于印发《某省孵化器认定办法》的通知各市科技局：\n为规范认定，制定了认定办法，现印发给你们。\n"
     "附件：某省孵化器认定办法.docx\n某省科技厅\n2020年5月6日",
     {"title": "某省孵化器认定办法", "notice_title": "关于印发《某省孵化器认定办法》的通知", "doc_number": "某科字〔2020〕3号"}),
])
def test_anatomy_metadata_of_real_layouts(text, expected):
    md = extract(text)["metadata"]
    assert {k: md[k] for k in expected} == expected


def test_anatomy_attachment_ends_the_last_measure_and_its_duties_are_units():
    doc = extract(APPENDIX)
    last = doc["measures"][-1]
    assert "附件" not in APPENDIX[last["span"][0]:last["span"][1]]
    units = {(u["name"], u["role"], u["measure_id"]) for u in doc["units"]}
    assert units == {("省发展改革委", "responsible", None), ("团省委", "responsible", None),
                     ("省妇联", "responsible", None)}


def test_anatomy_page_chrome_is_not_the_document():
    text = ("江南省人民政府 政策文件 江南省科技厅关于支持孵化器发展的意见\n首页\n>\n政务公开\n索  引  号:\n0001/2022-1\n"
            "文      号:\n某科发〔2022〕9号\n成文日期:\n2022-05-20\n浏览次数：\n江南省科技厅关于支持孵化器发展的意见\n"
            "一、支持建设。对新建孵化器给予补助。\n扫一扫在手机打开当前页")
    n = normalize(text)
    parts = anatomy(n)
    assert parts.labels["文号"] == "某科发〔2022〕9号" and parts.labels["成文日期"] == "2022-05-20"
    assert parts.content[0].text == "江南省科技厅关于支持孵化器发展的意见"
    md = extract(text)["metadata"]
    assert (md["title"], md["issuer"], md["doc_number"]) == ("关于支持孵化器发展的意见", "江南省科技厅", "某科发〔2022〕9号")


@pytest.mark.parametrize("names, expected", [
    ("河北省科技厅河北省财政厅", ["河北省科技厅", "河北省财政厅"]),
    ("河北省工业和信息化厅 河北省发展和改革委员会", ["河北省工业和信息化厅", "河北省发展和改革委员会"]),
    ("某省人民政府办公厅", ["某省人民政府办公厅"]),
    ("为规范管理制定本办法", []),
])
def test_anatomy_split_orgs(names, expected):
    assert split_orgs(names) == expected
