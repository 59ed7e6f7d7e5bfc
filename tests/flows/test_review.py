"""Review outputs: history order, diffs and their index written by the flow, escaping, and the report in a
real browser (clicked through, filtered, printed to PDF)."""
import json
import re
import shutil
import subprocess
from html import escape, unescape
from pathlib import Path

import pytest

from policyflow.extractors.pipeline import extract
from policyflow.flows.extract_flow import build_document, extract_flow
from policyflow.flows.ingest import read_document
from policyflow.flows.html_report import change_lines, html
from policyflow.flows.report import markdown
from policyflow.flows.review import history, write_review
from policyflow.flows.diff import diff
from helpers import digest_tree

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store that saw the final first and the draft (plus a GB18030 copy of it) later."""
    src = tmp_path_factory.mktemp("src")
    shutil.copy(DATA / "revisions" / "000_final.txt", src / "b_final.txt")
    shutil.copy(ROOT / "raw" / "000_3c554907215596ef.txt", src / "a_draft.txt")
    text = (ROOT / "raw" / "000_3c554907215596ef.txt").read_text(encoding="utf-8")
    (src / "c_draft_gb18030.txt").write_bytes(text.encode("gb18030"))
    out = tmp_path_factory.mktemp("out")
    first = extract_flow([str(src / "b_final.txt")], str(out))
    second = extract_flow([str(src)], str(out))
    return src, out, first, second


def test_review_one_policy_two_revisions_in_history_order(store):
    _, out, first, second = store
    assert first["new_revisions"] == 1 and second["new_revisions"] == 1 and second["duplicates"] == 1
    policies = history(out)
    assert len(policies) == 1
    rows = next(iter(policies.values()))
    assert [r["status"] for r in rows] == ["draft", "final"]  # the draft was seen later but comes first


def test_review_flow_writes_diff_of_the_new_step(store):
    _, out, _, second = store
    files = sorted(p.suffix for p in (out / "diffs").glob("*/*.*") if not p.name.startswith("."))
    assert files == [".html", ".json", ".md"]  # beside a hidden stamp naming the revisions they were made from
    assert (out / "diffs" / "index.html").is_file()
    assert second["reviews"] and second["reviews"][0].endswith(".html")


def test_review_index_lists_policy_revisions_in_order_and_diff_counts(store):
    _, out, _, _ = store
    page = (out / "diffs" / "index.html").read_text(encoding="utf-8")
    rows = history(out)
    pid, revs = next(iter(rows.items()))
    assert escape(revs[-1]["title"]) in page
    statuses = re.findall(r"<td>(draft|final)</td>", page)
    assert statuses == ["draft", "final"]
    assert page.index("a_draft.txt") < page.index("b_final.txt")
    links = re.findall(r'href="([^"]+)"', page)
    assert links and all(not link.startswith(("/", "http", "file:")) for link in links)  # relative
    assert all((out / "diffs" / link).is_file() for link in links)
    total = len(json.loads((out / "diffs" / links[0].replace(".html", ".json")).read_text(encoding="utf-8"))["changes"])
    assert f"<td>{total}</td>" in page


def test_review_rerun_leaves_output_byte_identical(store, tmp_path):
    src, out, _, _ = store
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = digest_tree(copy)
    extract_flow([str(src)], str(copy))
    assert digest_tree(copy) == before


def test_review_markdown_lists_changes():
    old = build_document(read_document(ROOT / "raw" / "000_3c554907215596ef.txt"))
    new = build_document(read_document(DATA / "revisions" / "000_final.txt"))
    md = markdown(diff(old, new), old, new)
    assert "draft → final" in md and "300000 → 250000" in md and "措施 8 → 9" in md


def _hostile(name: str, body: str) -> dict:
    doc = extract(f"一、任务\n1.强化建设。{body}给予10万元补助。\n")
    doc["source"] = {"filename": name}
    return doc


def test_review_html_escapes_text_and_file_names(tmp_path):
    old = _hostile('old<b>"x\'.txt', "对<script>alert('x')</script>的企业，")
    new = _hostile('new<img src=x onerror="y">.txt', "对\"引号\"与'单引号'<script>alert(2)</script>的企业，")
    page = html(diff(old, new), old, new)
    assert "<script>alert" not in page and "<b>" not in page and "<img" not in page
    assert "&lt;script&gt;alert" in page and "&lt;img src=x" in page
    assert page.count("<script>") == 1  # the report's own script only


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make test installs it on Debian)")
def test_review_report_in_headless_chromium(tmp_path):
    old = build_document(read_document(ROOT / "raw" / "000_3c554907215596ef.txt"))
    new = build_document(read_document(DATA / "revisions" / "000_final.txt"))
    paths = write_review(tmp_path, old, new)
    url = paths["html"].as_uri()
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([CHROMIUM, *CHROME_FLAGS, *profile, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    rows = re.findall(r'<tr class="measure-change".*?</tr>', dom, flags=re.S)
    assert len(rows) == 6  # 4 reworded, 1 added, 1 removed
    row_9 = next(r for r in rows if "8 → 9" in r)
    assert '<mark class="fig"><del>最高30万元</del></mark>' in row_9
    assert '<mark class="fig"><ins>最高25万元</ins></mark>' in row_9
    row_10 = next(r for r in rows if "9 → 10" in r)
    assert '<mark class="fig"><ins>最高300万元</ins></mark>' in row_10
    assert 'data-change="added"' in dom and 'data-change="removed"' in dom
    assert dom.count('class="rec amounts"') >= 28  # every amount of both revisions highlighted
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *CHROME_FLAGS, *profile, "--window-size=1400,2400", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The review report of the draft -> final pair, written to disk as the flow writes it."""
    old = build_document(read_document(ROOT / "raw" / "000_3c554907215596ef.txt"))
    new = build_document(read_document(DATA / "revisions" / "000_final.txt"))
    tmp = tmp_path_factory.mktemp("report")
    return tmp, write_review(tmp, old, new), old, new


def _chromium(tmp: Path, *args: str) -> str:
    return subprocess.run([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={tmp / 'profile'}", *args], capture_output=True,
                          text=True, timeout=120, check=True).stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make test installs it on Debian)")
def test_review_report_clicks_keys_and_filters_in_headless_chromium(report):
    """The page's #selftest hook clicks the first change, presses j j k, moves between the revision tabs with
    the arrow keys and keeps only amounts; the results are read from the dumped DOM."""
    tmp, paths, _, _ = report
    dom = _chromium(tmp, "--dump-dom", paths["html"].as_uri() + "#selftest")
    got = json.loads(unescape(re.search(r'<pre id="selftest">(.*?)</pre>', dom, flags=re.S).group(1)))
    d = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert got["links"] == len(change_lines(d["changes"])) > 5
    assert got["first"]["target"] == got["first"]["href"][1:] and got["first"]["focused"]
    assert got["after_jjk"] == 1 and got["focused_after_keys"]
    assert got["arrow_tab"] == "tab-old:true:false"  # ArrowLeft on the new revision's tab selects the old one
    amounts = sum(1 for i, _ in change_lines(d["changes"]) if d["changes"][i]["entity"] == "amount")
    assert got["filtered_kinds"] == ["amounts"] * amounts and amounts >= 2
    assert got["filtered_rows"] >= 2 and got["next_kind"] == "amounts"
    assert got["restored"] == got["links"]


def _last_sentence(text: str) -> str:
    body = text.strip()
    end = body.rindex("。") + 1
    start = max(body.rfind("。", 0, end - 1), body.rfind("\n", 0, end - 1)) + 1
    return re.sub(r"\s+", "", body[start:end])


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make test installs it on Debian)")
def test_review_report_prints_both_full_texts_to_pdf_in_headless_chromium(report):
    """Printing (headless --print-to-pdf) shows everything the page holds: the old revision's hidden tab and
    both full texts to their last sentence, not a scroll box's first lines."""
    pypdf = pytest.importorskip("pypdf")
    tmp, paths, old, new = report
    pdf = tmp / "report.pdf"
    _chromium(tmp, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", paths["html"].as_uri())
    printed = re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages))
    page = paths["html"].read_text(encoding="utf-8")
    shown = re.sub(r"\s+", "", unescape(re.sub(r"<[^>]+>", "", re.sub(r"<(script|style|title)>.*?</\1>", "", page,
                                                                           flags=re.S))))
    for doc in (old, new):
        sentence = _last_sentence(doc["text"])
        assert len(sentence) > 20 and shown.count(sentence) >= 2  # in both full texts at least
        assert printed.count(sentence) == shown.count(sentence), sentence
    tail = re.sub(r"\s+", "", new["text"])[-30:]
    assert tail in printed  # the final's closing lines after its last sentence
