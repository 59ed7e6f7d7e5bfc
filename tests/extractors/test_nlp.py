"""The spaCy layer: jieba with the policy dictionary, the SpanRuler, records as displaCy spans."""
import pytest
from spacy import displacy

from policyflow.extractors.nlp import SPANS_KEY, pipeline, strip_leading, to_doc, to_docs, tokens
from policyflow.extractors.pipeline import extract


@pytest.mark.parametrize("text, token", [
    ("全市科技型中小企业达到10000家以上", "科技型中小企业"),
    ("(责任单位:市科技局)", "责任单位"),
    ("研发投入强度达到3.1%", "研发投入强度"),
])
def test_nlp_user_dictionary_keeps_terms_whole(text, token):
    assert token in tokens(text)


@pytest.mark.parametrize("text, expected", [
    ("培育技术经纪人", "技术经纪人"), ("遴选推介高价值成果", "高价值成果"), ("在孵企业数量", "在孵企业数量"), ("实施", "实施"),
])
def test_nlp_strip_leading_verbs_at_token_boundaries(text, expected):
    assert strip_leading(text, ["培育", "遴选", "推介", "实施", "在"]) == expected


def test_nlp_ruler_finds_markers_departments_indicators():
    doc = pipeline()("到2025年高新技术企业达到400家。（牵头单位：市科技局；配合单位：市市场监管局）")
    found = {(s.label_, s.text) for s in doc.spans["ruler"]}
    assert {("INDICATOR", "高新技术企业"), ("UNIT_MARKER", "牵头单位"), ("DEPARTMENT", "市科技局")} <= found


def test_nlp_records_become_displacy_spans():
    record = extract("一、主要目标\n到2025年，全市高新技术企业达到400家。\n二、重点任务\n1.支持企业。对首次认定的企业，给予10万元补助。"
                     "（责任单位：市科技局）")
    doc = to_doc(record)
    labels = sorted({s.label_ for s in doc.spans[SPANS_KEY]})
    assert labels == ["AMOUNT", "CONDITION", "MEASURE", "SECTION", "TARGET", "UNIT"]
    html = displacy.render(doc, style="span", options={"spans_key": SPANS_KEY}, page=False)
    assert all(label in html for label in labels) and "万元" in html
    assert len(list(to_docs([record, record]))) == 2
