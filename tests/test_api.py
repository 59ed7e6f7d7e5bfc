"""The library API (`import policyflow`): extraction without Prefect, and `python -m policyflow`."""
import json
import subprocess
import sys
from importlib import metadata

import pytest

import policyflow
from policyflow.schemas.errors import IngestError
from policyflow.schemas.models import RevisionDocument

TEXT = ("关于支持科技企业发展的若干措施\n"
        "一、支持研发投入。对年度研发费用超过500万元的企业，给予最高100万元奖励。（责任单位：市科技局）\n"
        "二、到2027年，全市高新技术企业达到500家。\n")


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_api_extract_text_returns_a_revision_document():
    doc = policyflow.extract_text(TEXT)
    assert isinstance(doc, RevisionDocument)
    assert doc.metadata.title == "关于支持科技企业发展的若干措施"
    assert [m.label for m in doc.measures] == ["一", "二"]
    assert any(a.value_yuan == 1_000_000 for a in doc.amounts)
    assert TEXT[slice(*doc.targets[0].span)].startswith("到2027年") or doc.targets[0].year == 2027


def test_api_extract_text_does_not_import_prefect():
    proc = _python("import sys, policyflow\n"
                   f"doc = policyflow.extract_text({TEXT!r})\n"
                   "print(len(doc.measures), 'prefect' in sys.modules, 'spacy' in sys.modules)")
    assert proc.returncode == 0, proc.stderr
    measures, prefect, _ = proc.stdout.split()
    assert (measures, prefect) == ("2", "False")


def test_api_import_is_light():
    proc = _python("import sys, policyflow; print(sorted(m for m in ('prefect', 'jieba', 'pydantic', 'duckdb') "
                   "if m in sys.modules))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_api_extract_file_reads_gb18030(tmp_path):
    f = tmp_path / "notice.txt"
    f.write_bytes(TEXT.encode("gb18030"))
    doc = policyflow.extract_file(f)
    assert doc.source.filename == "notice.txt" and doc.source.encoding.lower() in ("gb18030", "gbk", "gb2312")
    assert doc.metadata.title == "关于支持科技企业发展的若干措施"


def test_api_extract_file_bad_input_raises_ingest_error(tmp_path):
    with pytest.raises(IngestError) as info:
        policyflow.extract_file(tmp_path / "missing.txt")
    assert info.value.code.startswith("E")


def test_api_extract_text_rejects_bytes():
    with pytest.raises(TypeError, match="extract_file"):
        policyflow.extract_text(TEXT.encode())


def test_api_same_records_as_the_flow_output(tmp_path):
    """The API and the pipeline give the same records (the API has no output folder, nothing else differs)."""
    from policyflow.flows.documents import build_document
    from policyflow.flows.ingest import read_document

    f = tmp_path / "p.txt"
    f.write_text(TEXT, encoding="utf-8")
    via_flow = build_document(read_document(f))
    via_api = policyflow.extract_file(f).model_dump(mode="json", by_alias=True)
    assert json.dumps(via_api, sort_keys=True) == json.dumps(via_flow, sort_keys=True)


def test_package_version_is_the_installed_distribution_version():
    assert policyflow.__version__ == metadata.version("policyflow")


def test_package_python_m_policyflow_version():
    proc = subprocess.run([sys.executable, "-m", "policyflow", "--version"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"policyflow {policyflow.__version__} (extractors ")


def test_package_installs_no_top_level_flows_extractors_schemas():
    top = (metadata.distribution("policyflow").read_text("top_level.txt") or "").split()
    assert top in ([], ["policyflow"]), top


def test_package_import_from_the_project_root_is_the_installed_package():
    """Run where a user stands after cloning: no folder at the root may shadow the installed package."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", "import sys, policyflow; "
                           "doc = policyflow.extract_text('一、对企业给予10万元奖励。'); "
                           "print(len(doc.amounts), 'prefect' in sys.modules)"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "False"]


def _dump(tmp_path):
    import csv

    f = tmp_path / "crawl.csv"
    with f.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["标题", "发布日期", "正文"])
        w.writerow(["关于支持创新的若干措施", "2025-03-01", "一、对新认定的企业给予50万元奖励。"])
        w.writerow(["空白页", "2025-03-02", ""])
        w.writerow(["关于促进人才发展的若干措施", "2025-03-03", TEXT])
    return f


def test_api_extract_rows_reads_a_dump_row_by_row(tmp_path):
    docs = list(policyflow.extract_rows(_dump(tmp_path), skip_errors=True))
    assert [d.source.row for d in docs] == [1, 3]
    assert docs[0].metadata.title == "关于支持创新的若干措施"  # the title column, the text prints none
    assert docs[1].metadata.title == "关于支持科技企业发展的若干措施"  # the printed title wins
    assert all(d.source.filename == "crawl.csv" for d in docs)


def test_api_extract_rows_raises_at_a_bad_row_unless_skipped(tmp_path):
    rows = policyflow.extract_rows(_dump(tmp_path))
    assert next(rows).source.row == 1
    with pytest.raises(IngestError) as info:
        next(rows)
    assert info.value.code == "E007" and "row 2" in str(info.value)


def test_api_extract_rows_not_a_dump_is_e024(tmp_path):
    f = tmp_path / "manifest.csv"
    f.write_text("file,title\na.txt,x\n", encoding="utf-8")
    with pytest.raises(IngestError, match="E024"):
        list(policyflow.extract_rows(f))


def test_api_extract_rows_does_not_import_prefect(tmp_path):
    f = _dump(tmp_path)
    proc = _python(f"import sys, policyflow\nn = len(list(policyflow.extract_rows({str(f)!r}, skip_errors=True)))\n"
                   "print(n, 'prefect' in sys.modules)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2", "False"]
