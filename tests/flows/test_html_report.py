"""HTML review report: summary first, change list order and links, renumbering folded, tabs, print rules, the
index page, and the report's interactions in headless Chromium."""
import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from policyflow.extractors.pipeline import extract
from policyflow.flows.diff import diff
from policyflow.flows.html_report import FILTER_KINDS, change_lines, document_order, html, index

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "raw" / "004_c7350d76604f76d1.txt"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSERTED = "　　2.加快建设科技企业孵化器。支持龙头企业牵头建设专业化孵化器，对新认定的国家级孵化器给予50万元奖励。（牵头单位：市科技局）\n"


def _doc(text: str, name: str) -> dict:
    doc = extract(text)
    doc["source"] = {"filename": name}
    return doc


def _seed_004_case() -> tuple[dict, dict]:
    """Seed 004 and a final of it: a measure inserted after measure 1 (2–24 renumber), three amounts and one
    target changed."""
    text = SEED.read_text(encoding="utf-8")
    new = re.sub(r"^(\s*)(\d+)\.", lambda m: f"{m.group(1)}{int(m.group(2)) + (int(m.group(2)) >= 2)}.", text,
                 flags=re.M)
    at = new.index("　　3.壮大科技型中小企业队伍")
    new = new[:at] + INSERTED + new[at:]
    for a, b in (("给予10万元补助；对复审", "给予15万元补助；对复审"), ("给予建设企业50万元奖补", "给予建设企业60万元奖补"),
                 ("每家给予30万元奖补", "每家给予40万元奖补"), ("高新技术企业达到1000家", "高新技术企业达到1200家")):
        assert a in new
        new = new.replace(a, b, 1)
    return _doc(text, "004_draft.txt"), _doc(new, "004_final.txt")


@pytest.fixture(scope="module")
def seed_case():
    old, new = _seed_004_case()
    d = diff(old, new)
    return d, old, new, html(d, old, new)


def _items(page: str) -> list[str]:
    """Top-level lines of the change list (folded members excluded), as text."""
    listing = re.search(r'<ol class="changes">(.*)</ol>\s*</div>', page, flags=re.S).group(1)
    listing = re.sub(r"<details>.*?</details>", "", listing, flags=re.S)
    return [unescape(re.sub(r"<[^>]+>", "", m)) for m in re.findall(r'<a class="go"[^>]*>(.*?)</a>', listing)]


TASKS = ["支持企业建设研发中心，对认定的给予50万元补助。", "鼓励高校开展成果转化，按合同额给予10%奖励。",
         "推动园区完善公共服务平台，建设运营良好的给予20万元补助。", "引导社会资本设立创投基金，最高给予100万元奖励。"]


def _numbered(tasks: list[str], name: str, closing: str = "") -> dict:
    lines = ["某市促进科技创新若干措施", "一、重点任务"] + [f"{i}. {t}" for i, t in enumerate(tasks, 1)]
    return _doc("\n".join(lines) + "\n" + closing, name)


def test_html_report_lists_removed_measure_where_it_was():
    old = _numbered(TASKS, "draft.txt")
    new = _numbered([TASKS[0], TASKS[2], TASKS[3].replace("100万元", "150万元")], "final.txt")
    changes = diff(old, new)["changes"][::-1]  # whatever order the diff lists them in
    ordered = [changes[i] for i in document_order(changes)]
    removed = next(n for n, c in enumerate(ordered) if c["change"] == "removed" and c["entity"] == "measure")
    shifted = next(n for n, c in enumerate(ordered) if c.get("field") == "label")
    assert removed < shifted  # where it was: after measure 1, before the renumbered 3 -> 2
    assert [c["to_span"][0] for c in ordered if c.get("to_span")] == sorted(
        c["to_span"][0] for c in ordered if c.get("to_span"))


def test_html_report_links_every_change_to_an_id_on_the_page(seed_case):
    d, _, _, page = seed_case
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    hrefs = re.findall(r'<a class="go" href="#([^"]+)"', page)
    assert len(hrefs) == len(d["changes"]) + sum(1 for _, m in change_lines(d["changes"]) if m)
    assert set(hrefs) <= ids
    assert {f"change-{i}" for i in range(len(d["changes"]))} <= ids  # the anchors flows.summary names
    rows = re.findall(r'<tr class="measure-change" id="(row-\d+)"', page)
    assert rows and set(rows) <= set(hrefs)  # every redline row is reached from the list


def test_html_report_folds_renumbering_on_seed_004_to_at_most_12_lines(seed_case):
    d, _, _, page = seed_case
    labels = [c for c in d["changes"] if c.get("field") == "label"]
    assert len(labels) == 23 and len(d["changes"]) > 30
    items = _items(page)
    assert len(items) <= 12, items
    assert sum("重新编号" in line for line in items) == 1
    assert next(line for line in items if "重新编号" in line).startswith("措施 2–24 → 3–25")


def test_html_report_summary_first_with_english_names_on_hover(seed_case):
    d, _, _, page = seed_case
    assert page.index('id="summary"') < page.index("措施对比 Changed measures")
    lines = re.findall(r'<li data-kind="(\w+)" title="([^"]*)">(.*?)</li>', re.search(
        r'<ul class="summary">(.*?)</ul>', page, flags=re.S).group(1))
    assert 3 <= len(lines) <= 12
    money = [(unescape(t), re.sub(r"<[^>]+>", "", x)) for k, t, x in lines if k == "amount"]
    assert len(money) == 3 and all("condition=" in t and "value_yuan" in t for t, _ in money)
    assert all("「" in text and "→" in text for _, text in money)  # whose amount, before → after
    anchors = re.findall(r'class="to-change" href="#(change-\d+)"', page)
    assert anchors and all(f'id="{a}"' in page for a in anchors)


def test_html_report_tabs_select_the_new_revision_under_its_own_name(seed_case):
    _, _, _, page = seed_case
    tabs = re.findall(r'<button type="button" role="tab" id="(tab-\w+)" aria-controls="(rev-\w+)" '
                      r'aria-selected="(\w+)"[^>]*>([^<]*)</button>', page)
    assert [(t, p, s) for t, p, s, _ in tabs] == [("tab-old", "rev-old", "false"), ("tab-new", "rev-new", "true")]
    assert tabs[0][3].startswith("004_draft.txt") and tabs[1][3].startswith("004_final.txt")
    assert re.search(r'id="rev-old" class="rev" role="tabpanel" aria-labelledby="tab-old" hidden>', page)
    assert re.search(r'id="rev-new" class="rev" role="tabpanel" aria-labelledby="tab-new">', page)


def test_html_report_filters_counts_and_legend(seed_case):
    d, _, _, page = seed_case
    boxes = re.findall(r'name="kind" value="(\w+)" checked> \S+ \w+ \((\d+)\)', page)
    assert [k for k, _ in boxes] == list(FILTER_KINDS)
    assert dict((k, int(n)) for k, n in boxes)["amounts"] == sum(c["entity"] == "amount" for c in d["changes"])
    assert sum(int(n) for _, n in boxes) == len(d["changes"])
    assert all(f'class="sw rec {k}"' in page for k in ("amounts", "targets", "units", "conditions"))


def test_html_report_is_self_contained_and_prints_everything(seed_case):
    _, _, _, page = seed_case
    assert not re.search(r"<link|\ssrc=|url\(|@import|https?://", page)
    css = re.search(r"@media print\{(.*?)\}\s*</style>|@media print\{(.*)", page, flags=re.S).group(0)
    assert ".rev[hidden]{display:block!important}" in css and "max-height:none!important" in css
    assert "overflow:visible!important" in css


def test_html_report_index_escapes_names_and_links_relatively():
    page = index([{"policy_id": 'p"/../x', "title": "<script>alert(1)</script>",
                   "revisions": [{"revision_id": "sha256:aaaaaaaaaaaaaaaa", "status": "draft", "issue_date": None,
                                  "filename": "<img src=x>.txt"},
                                 {"revision_id": "sha256:bbbbbbbbbbbbbbbb", "status": "final",
                                  "issue_date": "2024-01-02", "filename": "b.txt"}],
                   "diffs": [{"from_revision": "sha256:aaaaaaaaaaaaaaaa", "to_revision": "sha256:bbbbbbbbbbbbbbbb",
                              "stem": "aaaaaaaaaaaa..bbbbbbbbbbbb", "total": 3,
                              "counts": {"amounts": 2, "text": 1}}]}])
    assert "<script>alert" not in page and "<img" not in page and "&lt;script&gt;" in page
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs[0] == "p%22%2F..%2Fx/aaaaaaaaaaaa..bbbbbbbbbbbb.html" and len(hrefs) == 3
    assert "<td>3</td><td>2</td><td>0</td>" in page


def _chromium(tmp: Path, *args: str) -> str:
    return subprocess.run([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={tmp / 'profile'}", *args], capture_output=True,
                          text=True, timeout=120, check=True).stdout


def _selftest(tmp: Path, page: str) -> dict:
    path = tmp / "report.html"
    path.write_text(page, encoding="utf-8")
    dom = _chromium(tmp, "--dump-dom", path.as_uri() + "#selftest")
    return json.loads(unescape(re.search(r'<pre id="selftest">(.*?)</pre>', dom, flags=re.S).group(1)))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make test installs it on Debian)")
def test_html_report_seed_004_lines_and_filter_in_headless_chromium(seed_case, tmp_path):
    d, _, _, page = seed_case
    got = _selftest(tmp_path, page)
    assert got["links"] == len(change_lines(d["changes"])) <= 12  # folded members are not stepped through
    assert got["filtered_kinds"] == ["amounts"] * 4  # three changed, one added with the new measure
    assert got["filtered_rows"] == 4 and got["restored"] == got["links"]
    assert got["summary_reached"] == got["summary_links"] >= 5  # each summary line leads to its change


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make test installs it on Debian)")
def test_html_report_change_in_old_text_opens_old_tab_in_headless_chromium(tmp_path):
    """A dropped section has no redline row: its link opens the old revision's tab at the place."""
    old = _doc("某市促进科技创新若干措施\n一、重点任务\n" + "".join(f"{i}. {t}\n" for i, t in enumerate(TASKS, 1))
               + "二、保障措施\n加强组织领导，成立工作专班统筹推进。\n", "draft.txt")
    new = _doc("某市促进科技创新若干措施\n一、重点任务\n" + "".join(f"{i}. {t}\n" for i, t in enumerate(TASKS, 1))
               + "加强组织领导，成立工作专班统筹推进。\n", "final.txt")
    d = diff(old, new)
    assert any(c["entity"] == "section" and c["change"] == "removed" for c in d["changes"])
    got = _selftest(tmp_path, html(d, old, new))
    assert got["old_tab"] == "true" and got["old_target_shown"]
