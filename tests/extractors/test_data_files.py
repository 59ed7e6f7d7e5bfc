"""Sanity checks for the shipped data files extractors/data/regions.tsv and departments.tsv."""
from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "extractors" / "data"


def _rows(name: str) -> list[list[str]]:
    """Tab-separated rows of a data file, '#' comment lines and blank lines skipped."""
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        lines = [ln for ln in f if ln.strip() and not ln.startswith("#")]
    return list(csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def regions() -> list[list[str]]:
    return _rows("regions.tsv")


@pytest.fixture(scope="module")
def departments() -> list[list[str]]:
    return _rows("departments.tsv")


@pytest.fixture(scope="module")
def region_by_name(regions) -> dict[str, list[str]]:
    return {r[0]: r for r in regions}


@pytest.fixture(scope="module")
def alias_map(departments) -> dict[str, str]:
    return {alias: canon for alias, canon in departments}


def test_data_files_regions_rows_have_four_columns(regions):
    bad = [r for r in regions if len(r) != 4]
    assert not bad


def test_data_files_regions_fields_are_clean(regions):
    for name, level, parent, short in regions:
        assert name and name == name.strip()
        assert level in {"province", "prefecture"}
        assert parent == parent.strip() and short == short.strip()
        assert (parent == "") == (level == "province"), name


def test_data_files_regions_names_are_unique(regions):
    dups = [n for n, c in Counter(r[0] for r in regions).items() if c > 1]
    assert not dups


def test_data_files_regions_shorts_are_unique_and_not_names(regions):
    shorts = [r[3] for r in regions if r[3]]
    assert not [s for s, c in Counter(shorts).items() if c > 1]
    names = {r[0] for r in regions}
    assert not names & set(shorts)


def test_data_files_regions_shorts_strip_only_the_suffix(regions):
    for name, level, _, short in regions:
        if not short:
            continue
        assert len(short) >= 2, name
        if level == "prefecture":
            assert name in {short + "市", short + "地区", short + "盟"}, name
        else:
            assert name.startswith(short), name


def test_data_files_regions_prefecture_parents_are_provinces(regions, region_by_name):
    for name, level, parent, _ in regions:
        if level == "prefecture":
            assert parent in region_by_name, name
            assert region_by_name[parent][1] == "province", name


def test_data_files_regions_counts(regions):
    levels = Counter(r[1] for r in regions)
    assert levels["province"] == 34
    assert levels["prefecture"] >= 300


def test_data_files_regions_prefecture_kinds(regions):
    prefectures = [r[0] for r in regions if r[1] == "prefecture"]
    assert all(n.endswith(("市", "自治州", "地区", "盟")) for n in prefectures)
    assert sum(n.endswith("盟") for n in prefectures) == 3
    assert sum(n.endswith("地区") for n in prefectures) == 7
    assert sum(n.endswith("自治州") for n in prefectures) == 30


def test_data_files_regions_sorted_by_province_then_name(regions):
    blocks: list[list[str]] = []
    for name, level, _, _ in regions:
        if level == "province":
            blocks.append([])
        else:
            blocks[-1].append(name)
    assert all(b == sorted(b) for b in blocks)
    provinces = [r[0] for r in regions if r[1] == "province"]
    assert [r[2] for r in regions if r[1] == "prefecture"] == sorted(
        (r[2] for r in regions if r[1] == "prefecture"), key=provinces.index)


@pytest.mark.parametrize(
    ("name", "level", "parent", "short"),
    [
        ("山东省", "province", "", "山东"),
        ("广西壮族自治区", "province", "", "广西"),
        ("北京市", "province", "", "北京"),
        ("香港特别行政区", "province", "", "香港"),
        ("济南市", "prefecture", "山东省", "济南"),
        ("苏州市", "prefecture", "江苏省", "苏州"),
        ("延边朝鲜族自治州", "prefecture", "吉林省", ""),
        ("锡林郭勒盟", "prefecture", "内蒙古自治区", "锡林郭勒"),
        ("阿里地区", "prefecture", "西藏自治区", ""),
        ("吉林市", "prefecture", "吉林省", ""),
    ],
)
def test_data_files_regions_spot_checks(region_by_name, name, level, parent, short):
    assert region_by_name[name] == [name, level, parent, short]


def test_data_files_regions_exclude_former_divisions(region_by_name):
    assert "莱芜市" not in region_by_name  # merged into 济南市 in 2019
    assert "巢湖市" not in region_by_name  # county-level since 2011


def test_data_files_departments_rows_have_two_columns(departments):
    bad = [r for r in departments if len(r) != 2 or not all(c and c == c.strip() for c in r)]
    assert not bad


def test_data_files_departments_aliases_are_unique(departments):
    dups = [a for a, c in Counter(r[0] for r in departments).items() if c > 1]
    assert not dups


def test_data_files_departments_canonicals_are_their_own_alias(departments, alias_map):
    for _, canon in departments:
        assert alias_map.get(canon) == canon, canon


def test_data_files_departments_count(departments):
    assert 80 <= len(departments) <= 200


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("科技局", "科学技术局"),
        ("人社局", "人力资源和社会保障局"),
        ("人力资源社会保障局", "人力资源和社会保障局"),
        ("发改委", "发展和改革委员会"),
        ("发展改革委", "发展和改革委员会"),
        ("市场监管局", "市场监督管理局"),
        ("卫健委", "卫生健康委员会"),
        ("地方金融监管局", "地方金融监督管理局"),
        ("委组织部", "委组织部"),
        ("科技厅", "科学技术厅"),
        ("人力资源社会保障厅", "人力资源和社会保障厅"),
    ],
)
def test_data_files_departments_spot_checks(alias_map, alias, canonical):
    assert alias_map[alias] == canonical
