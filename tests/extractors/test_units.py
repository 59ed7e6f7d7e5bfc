"""Units: markers, brackets, colons and separators in their variants, canonical names by region."""
import pytest

from policyflow.extractors.normalize import normalize
from policyflow.extractors.structure import extract_structure
from policyflow.extractors.units import canonical, extract_units


def _units(text, region="济南市"):
    n = normalize(text)
    _, ms = extract_structure(n)
    labels = {m["id"]: m["label"] for m in ms}
    return [(labels.get(u["measure_id"]), u["role"], u["name"]) for u in extract_units(n, ms, region=region)]


@pytest.mark.parametrize("text, expected", [
    ("2.支持高校建设。建设一批学科。\n(责任单位：市科技局、市教育局)",
     [("2", "responsible", "市科技局"), ("2", "responsible", "市教育局")]),
    ("1.加快培育企业。给予补助。（牵头单位：市科技局；配合单位：市财政局、市税务局）",
     [("1", "lead", "市科技局"), ("1", "cooperating", "市财政局"), ("1", "cooperating", "市税务局")]),
    ("3.建设基地。给予补助。\n(责任单位:市科技局)", [("3", "responsible", "市科技局")]),
    ("第五条 市科技局负责组织实施。（责任部门：市科技局，市财政局）",
     [("第五条", "responsible", "市科技局"), ("第五条", "responsible", "市财政局")]),
    ("一、强化组织。加强领导。【牵头部门】市发展改革委　【配合部门】市工业和信息化局",
     [("一", "lead", "市发展改革委"), ("一", "cooperating", "市工业和信息化局")]),
    ("（一）强化统筹。重点配合市工信局抓好培育工作。", []),
    ("八、强化落实。各责任部门要加强协同配合。", []),
    ("1.提升平台。给予奖励。（市科技局牵头，市发展改革委、市财政局配合）",
     [("1", "lead", "市科技局"), ("1", "cooperating", "市发展改革委"), ("1", "cooperating", "市财政局")]),
    ("1.建设平台。给予补助。（市科技局牵头，各区县（市）人民政府配合）",
     [("1", "lead", "市科技局"), ("1", "cooperating", "各区县（市）人民政府")]),
    ("（三）支持企业。给予奖励。\n牵头单位：市科技局　配合单位：各区、县（市）政府",
     [("三", "lead", "市科技局"), ("三", "cooperating", "各区、县（市）政府")]),
    ("1.支持科技金融。支持平台建设。\n(责任单位：市科技局、山东省科技金融服务中心(济南)、历下区)",
     [("1", "responsible", "市科技局"), ("1", "responsible", "山东省科技金融服务中心(济南)"),
      ("1", "responsible", "历下区")]),
])
def test_units_markers_and_separators(text, expected):
    assert _units(text) == expected


@pytest.mark.parametrize("name, region, expected", [
    ("市科技局", "济南市", "济南市科学技术局"),
    ("市发展改革委", "聊城市", "聊城市发展和改革委员会"),
    ("市人社局", "青岛市", "青岛市人力资源和社会保障局"),
    ("市人力资源社会保障局", "聊城市", "聊城市人力资源和社会保障局"),
    ("市市场监管局", "聊城市", "聊城市市场监督管理局"),
    ("省科技厅", "济南市", "山东省科学技术厅"),
    ("区科技局", "威海市文登区", "威海市文登区科学技术局"),
    ("济南市科学技术局", None, "济南市科学技术局"),
    ("人民银行济南分行营管部", "济南市", None),
    ("市科技局", None, None),
])
def test_units_canonical_names(name, region, expected):
    assert canonical(name, region) == expected
