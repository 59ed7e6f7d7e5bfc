"""policyflow: Chinese government policy texts in, validated and source-grounded records out.

The Python API runs the extractors in-process, without Prefect (importing it does not import
Prefect, spaCy or jieba until a function is called):

    import policyflow
    doc = policyflow.extract_text(text)          # -> policyflow.schemas.RevisionDocument
    doc = policyflow.extract_file("notice.docx") # .txt, .html, .docx, .pdf; encoding detected
    for doc in policyflow.extract_rows("crawl.csv"):  # a crawl dump: one document per row, streamed
        ...

The installed package maps the project's top-level folders under one name: `policyflow.flows`
(Prefect flows, CLI, all I/O), `policyflow.extractors` (pure functions) and `policyflow.schemas`
(the output contract).
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "extract_file", "extract_rows", "extract_text"]


def __getattr__(name: str):
    if name in ("extract_text", "extract_file", "extract_rows"):
        from policyflow import api

        return getattr(api, name)
    raise AttributeError(f"module 'policyflow' has no attribute {name!r}")
