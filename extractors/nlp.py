"""The spaCy layer: `blank("zh")` with the jieba segmenter, a policy-term user dictionary and a
SpanRuler for unit markers, departments and indicator terms.

Rules run on the normalized string with `regex`; spaCy is used where token boundaries matter
(trimming verbs off indicators) and to carry extracted records as Doc spans for displaCy.
Whole documents are only tokenized for rendering, never in the extraction hot path.
"""
from __future__ import annotations

import csv
import io
from functools import lru_cache
from typing import Iterable

from policyflow.extractors import lexicon

SPANS_KEY = "policyflow"
RULER_KEY = "ruler"
RECORD_KINDS = {"sections": "SECTION", "measures": "MEASURE", "targets": "TARGET", "amounts": "AMOUNT",
                "units": "UNIT", "conditions": "CONDITION"}


def _terms() -> list[tuple[str, str]]:
    out = []
    for line in lexicon.data_lines("policy_terms.txt"):
        parts = line.split()
        out.append((parts[0], parts[2] if len(parts) > 2 else ""))
    return out


@lru_cache(maxsize=1)
def pipeline():
    """The shared Language: jieba segmentation with the user dictionary, plus the SpanRuler."""
    import jieba
    import spacy

    jieba.setLogLevel(60)
    for word, tag in _terms():
        jieba.add_word(word, freq=3000, tag=tag or None)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("span_ruler", config={"spans_key": RULER_KEY, "phrase_matcher_attr": "TEXT"})
    labels = {"unit": "UNIT_MARKER", "dept": "DEPARTMENT", "ind": "INDICATOR", "inst": "INSTRUMENT"}
    patterns = [{"label": labels[tag], "pattern": word} for word, tag in _terms() if tag in labels]
    rows = csv.reader(io.StringIO(lexicon.data_text("departments.tsv")), delimiter="\t")
    aliases = sorted({r[0].strip() for r in rows if len(r) >= 2 and not r[0].startswith("#")})
    patterns += [{"label": "DEPARTMENT", "pattern": p + a} for a in aliases for p in ("市", "省", "区", "县")]
    ruler.add_patterns(patterns)
    return nlp


def tokens(text: str) -> list[str]:
    """jieba tokens of a short string, with the policy user dictionary."""
    return [t.text for t in pipeline().make_doc(text)]


def strip_leading(text: str, words: Iterable[str]) -> str:
    """`text` without leading whole tokens found in `words` (培育/技术经纪人 -> 技术经纪人, but 在孵企业 stays)."""
    return _strip_leading(text, frozenset(words))


@lru_cache(maxsize=4096)
def _strip_leading(text: str, vocab: frozenset[str]) -> str:
    if not any(text.startswith(w) for w in vocab):
        return text
    toks = tokens(text)
    i = 0
    while i < len(toks) - 1 and toks[i] in vocab:
        i += 1
    return "".join(toks[i:])


def to_doc(record: dict):
    """A spaCy Doc of a revision record's text with every extracted record in `doc.spans["policyflow"]`
    (label = kind) and ruler matches in `doc.spans["ruler"]`; render with
    `displacy.render(doc, style="span", options={"spans_key": "policyflow"})`."""
    return next(to_docs([record]))


def to_docs(records: Iterable[dict]):
    """`to_doc` for many records, tokenized in one `nlp.pipe` stream."""
    records = list(records)
    nlp = pipeline()
    for record, doc in zip(records, nlp.pipe(r["text"] for r in records)):
        spans = []
        for kind, label in RECORD_KINDS.items():
            for rec in record.get(kind, []):
                span = doc.char_span(rec["span"][0], rec["span"][1], label=label, alignment_mode="expand")
                if span is not None:
                    spans.append(span)
        doc.spans[SPANS_KEY] = spans
        yield doc
