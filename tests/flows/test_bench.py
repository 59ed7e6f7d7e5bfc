"""The benchmark's synthetic corpus: varied, deterministic, and extractable without errors."""
from policyflow.flows.bench import build_corpus, make_document, regions
from policyflow.flows.extract_flow import process_document


def test_bench_corpus_is_varied_and_deterministic():
    names = regions()
    docs = [make_document(i, names) for i in range(60)]
    assert docs == [make_document(i, names) for i in range(60)]
    assert len({text for _, text in docs}) == 60
    assert {name.split("_")[1] for name, _ in docs} == {"outline.txt", "articles.txt", "table.txt"}


def test_bench_corpus_extracts_without_errors(tmp_path):
    build_corpus(tmp_path / "c", 30)
    outcomes = [process_document(p, tmp_path / "out") for p in sorted((tmp_path / "c").glob("*.txt"))]
    assert all(o.status == "ok" for o in outcomes)
    assert sum(o.counts["amounts"] for o in outcomes) > 100 and sum(o.counts["measures"] for o in outcomes) > 100
