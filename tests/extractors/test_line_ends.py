"""Line ends: every line separator ends a line, and a hard wrap is undone; the record stays the same."""
import pytest

from policyflow.extractors.normalize import normalize
from policyflow.extractors.pipeline import extract

LINES = [
    "某市科学技术局关于印发《某市支持科技型企业发展若干措施》的通知",
    "某科发〔2024〕12号",
    "各区县科技局：",
    "现将《某市支持科技型企业发展若干措施》印发给你们，请认真贯彻执行。",
    "某市科学技术局",
    "2024年3月5日",
    "某市支持科技型企业发展若干措施",
    "为加快建设创新型城市，推动科技型企业高质量发展，制定本措施。",
    "一、培育创新主体",
    "1.支持企业研发。对新认定的高新技术企业，给予20万元奖励。",
    "2.支持平台建设。到2025年，全市省级以上研发平台达到150家。",
    "二、优化创新环境",
    "3.支持成果转化。对技术合同成交额超过1000万元的企业，按成交额的1%给予补助，最高50万元。",
]
TEXT = "\n".join(LINES) + "\n"
SEPARATORS = ["\r\n", "\r", "\u2028", "\u2029", "\u0085", "\x0b", "\x0c"]


def _record(text: str, unbreak) -> dict:
    """What must not depend on line ends: ids, metadata, and each record with the text its span covers."""
    doc = extract(text)
    out = {k: doc[k] for k in ("policy_id", "revision_id")}
    out["metadata"] = {k: doc["metadata"][k] for k in ("title", "notice_title", "issuer", "doc_number", "issue_date")}
    for kind in ("sections", "measures", "targets", "amounts"):  # span and what derives from it: the covered text
        out[kind] = [({k: v for k, v in r.items() if k not in ("span", "span_utf16", "evidence")},
                      unbreak(text[slice(*r["span"])])) for r in doc[kind]]
    return out


def _wrap(text: str, width: int) -> str:
    return "\n".join("\n".join(ln[i:i + width] for i in range(0, len(ln), width)) for ln in text.split("\n"))


BASE = _record(TEXT, lambda s: s)


def test_pipeline_reads_the_synthetic_policy():
    assert BASE["metadata"]["title"] == "某市支持科技型企业发展若干措施"
    assert BASE["metadata"]["doc_number"] == "某科发〔2024〕12号"
    assert [s[0]["label"] for s in BASE["sections"]] == ["一", "二"]
    assert [m[0]["label"] for m in BASE["measures"]] == ["1", "2", "3"]
    assert [t[0]["value"] for t in BASE["targets"]] == [150]
    assert [a[0]["value_yuan"] for a in BASE["amounts"]] == [200000, 10000000, None, 500000]


@pytest.mark.parametrize("sep", SEPARATORS, ids=lambda s: f"U+{ord(s[0]):04X}" + ("+LF" if len(s) > 1 else ""))
def test_pipeline_same_record_for_every_line_end(sep):
    assert _record(TEXT.replace("\n", sep), lambda s: s.replace(sep, "\n")) == BASE


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("width", [14, 20, 25, 32])
def test_pipeline_same_record_for_a_hard_wrapped_text(width, sep):
    assert not any(len(ln) == width for ln in LINES)  # a line exactly as wide as the wrap is ambiguous
    wrapped = _wrap(TEXT, width).replace("\n", sep)
    assert _record(wrapped, lambda s: s.replace(sep, "")) == _record(TEXT, lambda s: s.replace("\n", ""))


@pytest.mark.parametrize("sep", SEPARATORS)
def test_normalize_every_line_end_becomes_one_newline(sep):
    text = "第一行" + sep + "第二行" + sep + sep + "第三行"
    n = normalize(text)
    assert n.text == "第一行\n第二行\n\n第三行"
    assert n.original_text(n.text.index("第二行"), n.text.index("第二行") + 3) == "第二行"
