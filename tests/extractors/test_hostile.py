"""Hostile text: every extractor never raises, keeps spans inside the text and values finite and
non-negative, and stays linear on the inputs that could make a regex backtrack."""
import math
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from policyflow.extractors.metadata import extract_metadata
from policyflow.extractors.normalize import normalize
from policyflow.extractors.numbers import find_quantities
from policyflow.extractors.pipeline import extract
from policyflow.extractors.structure import extract_structure
from policyflow.extractors.units import extract_units
from policyflow.flows.fuzz import ALPHABET, check, run

POLICY = st.lists(st.sampled_from(ALPHABET) | st.sampled_from(
    ["给予10万元补助", "最高50万元", "到2025年，", "达到100家以上", "（责任单位：市科技局）", "第五条", "一、", "（一）",
     "1.", "分别给予", "对", "的企业，", "1∶1", "30%", "百分之五", "二〇二四年三月十五日", "《办法》（鲁政字〔2022〕1号）"])
    | st.characters(blacklist_categories=("Cs",)), max_size=300).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(POLICY)
def test_hostile_pipeline_never_raises_and_stays_grounded(text):
    assert check(text) is None


@settings(max_examples=200, deadline=None)
@given(POLICY)
def test_hostile_each_extractor_keeps_spans_inside(text):
    n = normalize(text)
    assert all(0 <= q.start <= q.end <= len(n.text) and math.isfinite(q.value) and q.value >= 0
               for q in find_quantities(n.text))
    secs, ms = extract_structure(n)
    meta, _ = extract_metadata(n)
    for rec in [*secs, *ms, *extract_units(n, ms, region=meta["region"])]:
        assert 0 <= rec["span"][0] <= rec["span"][1] <= len(text)
    for c in meta["cited"]:
        assert 0 <= c["span"][0] <= c["span"][1] <= len(text)


WORST = [  # the inputs that once were, or could be, quadratic: kept as regression cases
    "1" * 20_000, "第" * 20_000, "一" * 20_000, "、" * 20_000, " " * 20_000, "(" * 10_000, "（" * 10_000,
    "1." * 10_000, "万" * 20_000, "1万" * 10_000, "|" * 20_000, "\n" * 20_000, "对" * 20_000, "的，" * 10_000,
    "《" * 20_000, "〔" * 20_000, "2023年" * 4_000, "给予10万元补助，" * 2_000, "1-" * 10_000, "一二三" * 7_000,
    "（责任单位：" * 3_000, "第五条 " * 4_000, "最高" * 10_000, "分别给予" * 5_000,
]


@pytest.mark.parametrize("text", WORST, ids=[f"{w[:6]!r}x{len(w)}" for w in WORST])
def test_hostile_worst_inputs_stay_fast(text):
    started = time.perf_counter()
    extract(text)
    per_10kb = (time.perf_counter() - started) / max(1.0, len(text.encode("utf-8")) / 10_240)
    assert per_10kb < 1.0, f"{per_10kb:.2f} s per 10 KB"


def test_hostile_fuzz_runner_smoke():
    result = run(cases=300, seed=7)
    assert result["cases"] == 300 and result["crashes"] == 0 and result["hangs"] == 0, result


@pytest.mark.slow
def test_hostile_fuzz_ten_thousand_cases():
    result = run(cases=10_000, seed=0)
    print({k: v for k, v in result.items() if not k.endswith("samples")})
    assert result["crashes"] == 0 and result["hangs"] == 0, result
