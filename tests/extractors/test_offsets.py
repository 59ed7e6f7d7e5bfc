"""UTF-16 offsets beside code-point spans, and the evidence every span carries (filled once, in the pipeline)."""
import json
import random
import shutil
import subprocess

import pytest

from policyflow.extractors.offsets import Utf16Offsets
from policyflow.extractors.pipeline import RECORD_KINDS, extract

# An invented notice whose names use characters above U+FFFF (𠮷 U+20BB7, 𡈼 U+2123C, 𠀾 U+2003E).
ASTRAL_TEXT = """𠮷州市科学技术局关于印发《𠮷州市科技创新券实施办法》的通知

𠮷州市科技创新券实施办法

一、总体目标
到2026年，全市科技型中小企业达到800家以上。

二、支持措施
1. 鼓励企业购买检测服务。对首次申领创新券的企业，按服务费用的50%给予补助，每家最高10万元。
责任单位：市科技局
2. 支持𡈼𠀾研发平台建设。对新认定的市级研发平台，一次性给予20万元奖励。
牵头单位：市财政局
3. 加强服务。对服务成效突出的机构给予适当支持。

𠮷州市科学技术局
2024年3月1日
"""


def _utf16_slice(text: str, span) -> str:
    return text.encode("utf-16-le")[2 * span[0]:2 * span[1]].decode("utf-16-le")


def _spanned(doc: dict):
    yield from (r for kind in RECORD_KINDS for r in doc[kind])
    yield from (w for w in doc["warnings"] if w.get("span") is not None)
    yield from doc["metadata"]["cited"]


def test_offsets_bmp_text_keeps_code_point_offsets():
    text = "对首次认定的企业给予10万元补助"
    assert Utf16Offsets(text).span((6, 12)) == (6, 12)
    assert Utf16Offsets("abc").offset(3) == 3


def test_offsets_astral_character_counts_two_units_after_it():
    text = "𠮷州市给予10万元"
    offsets = Utf16Offsets(text)
    assert [offsets.offset(i) for i in range(len(text) + 1)] == [0, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert offsets.span((5, 9)) == (6, 10)
    assert _utf16_slice(text, offsets.span((5, 9))) == text[5:9] == "10万元"


def test_offsets_match_utf16_encoding_on_mixed_texts():
    rng = random.Random(12)
    alphabet = ["科", "技", "a", "1", "\n", "　", "𠮷", "𡈼", "😀", "\U0010FFFF", "\uFFFF"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        offsets = Utf16Offsets(text)
        for _ in range(10):
            a = rng.randint(0, len(text))
            b = rng.randint(a, len(text))
            assert offsets.offset(a) == len(text[:a].encode("utf-16-le")) // 2
            assert _utf16_slice(text, offsets.span((a, b))) == text[a:b]


def test_offsets_lone_surrogate_is_one_unit():
    text = "甲\ud842乙𠮷丙"  # a lone surrogate (as `surrogateescape`/`surrogatepass` text may hold) is one unit in JS
    offsets = Utf16Offsets(text)
    assert [offsets.offset(i) for i in range(len(text) + 1)] == [0, 1, 2, 3, 5, 6]


def test_offsets_pipeline_grounds_every_span_with_evidence_and_utf16():
    doc = extract(ASTRAL_TEXT)
    text = doc["text"]
    assert doc["amounts"] and doc["units"] and doc["measures"] and doc["targets"]
    assert any(w.get("span") for w in doc["warnings"])  # the grant without a figure (W002)
    shifted = 0
    for rec in _spanned(doc):
        a, b = rec["span"]
        assert rec["evidence"] == text[a:b]
        assert _utf16_slice(text, rec["span_utf16"]) == rec["evidence"]
        shifted += tuple(rec["span_utf16"]) != tuple(rec["span"])
    assert shifted  # records after 𠮷 have UTF-16 offsets of their own
    money = {r["value_yuan"]: r["evidence"] for r in doc["amounts"] if r["value_yuan"]}
    assert money[200000] == "20万元" and money[100000] == "最高10万元"


def test_offsets_warnings_without_span_have_no_evidence():
    doc = extract("没有编号的一段文字。")
    unspanned = [w for w in doc["warnings"] if w.get("span") is None]
    assert unspanned and all("evidence" not in w and "span_utf16" not in w for w in unspanned)


@pytest.mark.skipif(not shutil.which("node"), reason="node (a JavaScript runtime) is not installed")
def test_offsets_javascript_slice_gives_the_evidence(tmp_path):
    doc = extract(ASTRAL_TEXT)
    records = [{"span_utf16": r["span_utf16"], "evidence": r["evidence"]} for r in _spanned(doc)]
    (tmp_path / "doc.json").write_text(json.dumps({"text": doc["text"], "records": records}, ensure_ascii=False),
                                       encoding="utf-8")
    script = ("const d = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));"
              "const bad = d.records.filter(r => d.text.slice(r.span_utf16[0], r.span_utf16[1]) !== r.evidence);"
              "console.log(JSON.stringify({n: d.records.length, bad: bad.length}));")
    out = subprocess.run(["node", "-e", script, str(tmp_path / "doc.json")], capture_output=True, text=True,
                         check=True, timeout=60)
    result = json.loads(out.stdout)
    assert result["n"] == len(records) > 0 and result["bad"] == 0
