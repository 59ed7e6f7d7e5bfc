"""`make fuzz`: run the whole extraction on generated hostile texts and report crashes and hangs.

Cases mix mutated real documents (segments cut, duplicated, shuffled, re-joined), runs of the
characters rules branch on (digits, 第, Chinese numerals, brackets, markers, spaces, 、) that
could make a regex backtrack, and random Unicode. A case fails when extraction raises, when a
record's span falls outside the text or a value is not finite and non-negative, or when it
takes longer than 1 s per 10 KB (a hang). Prints one JSON object.
"""
from __future__ import annotations

import json
import math
import os
import random
import time
import traceback
from pathlib import Path

from policyflow.schemas.models import RECORD_KINDS

ROOT = Path(__file__).resolve().parent.parent
ALPHABET = list("0123456789０１２３一二三四五六七八九十百千万亿两第条章节款、，。；：（）()【】〔〕《》“”%％:∶-—~至到"
                "年月日元家个项名对给予最高不超过以上分别补助奖励责任单位牵头配合市科技局\n\n \t\u3000|｜*")
RUNS = ["1", "第", "一", "、", " ", "(", "（", "1.", "万", "元", "%", "|", "\n", "对", "的", "，", "《", "〔", "2023年"]


def _seed_texts() -> list[str]:
    texts = []
    for folder in (ROOT / "raw", ROOT / "tests" / "data" / "corpus" / "sources"):
        for p in sorted(folder.glob("*.txt")):
            raw = p.read_bytes()
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    texts.append(raw.decode(enc))
                    break
                except UnicodeDecodeError:
                    continue
    return texts or ["一、任务\n1.支持。给予10万元补助。"]


def make_case(rng: random.Random, seeds: list[str]) -> str:
    kind = rng.random()
    if kind < 0.45:
        text = rng.choice(seeds)
        pieces = [text[i:i + rng.randint(5, 400)] for i in range(0, len(text), rng.randint(50, 400))]
        for _ in range(rng.randint(1, 6)):
            op = rng.random()
            i = rng.randrange(len(pieces))
            if op < 0.3:
                pieces.insert(i, rng.choice(pieces))
            elif op < 0.5 and len(pieces) > 1:
                pieces.pop(i)
            elif op < 0.7:
                rng.shuffle(pieces)
            else:
                pieces[i] = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 60)))
        return "".join(pieces)
    if kind < 0.75:
        run = rng.choice(RUNS)
        text = run * rng.randint(100, 5000)
        if rng.random() < 0.5:
            text += rng.choice(["万元", "家以上", "号", "条", "、", "。", "x"])
        return text
    if kind < 0.95:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 3000)))
    points = (rng.randint(1, 0x2FFFF) for _ in range(rng.randint(1, 500)))
    return "".join(chr(c) for c in points if not 0xD800 <= c <= 0xDFFF)


def check(text: str) -> str | None:
    """None when extraction of `text` is sound, else what is wrong."""
    from policyflow.extractors.pipeline import extract

    doc = extract(text)
    n = len(text)
    for kind in RECORD_KINDS:
        for rec in doc[kind]:
            a, b = rec["span"]
            if not 0 <= a <= b <= n:
                return f"{kind} span {rec['span']} outside text of {n}"
    for rec in doc["targets"]:
        for v in (rec["value"], rec["value_max"]):
            if v is not None and (not math.isfinite(v) or v < 0):
                return f"target value {v}"
    for rec in doc["amounts"]:
        for v in (rec["value_yuan"], rec["ratio"]):
            if v is not None and (not math.isfinite(v) or v < 0):
                return f"amount value {v}"
    return None


def run(cases: int = 10_000, seed: int = 0) -> dict:
    from policyflow.extractors.nlp import pipeline

    pipeline()
    rng, seeds = random.Random(seed), _seed_texts()
    crashes, hangs, slowest = [], [], (0.0, 0)
    started = time.perf_counter()
    for i in range(cases):
        text = make_case(rng, seeds)
        t = time.perf_counter()
        try:
            problem = check(text)
        except Exception:  # noqa: BLE001 - a crash is what we count
            problem = traceback.format_exc(limit=3)
        spent = time.perf_counter() - t
        per_10kb = spent / max(1.0, len(text.encode("utf-8")) / 10_240)
        if per_10kb > slowest[0]:
            slowest = (per_10kb, len(text))
        if problem:
            crashes.append({"case": i, "length": len(text), "problem": problem[-500:], "head": text[:80]})
        if per_10kb > 1.0:
            hangs.append({"case": i, "length": len(text), "seconds": round(spent, 3), "head": text[:80]})
    return {"cases": cases, "crashes": len(crashes), "hangs": len(hangs),
            "slowest_s_per_10kb": round(slowest[0], 4), "slowest_case_chars": slowest[1],
            "seconds": round(time.perf_counter() - started, 1), "crash_samples": crashes[:5], "hang_samples": hangs[:5]}


def main() -> None:
    print(json.dumps(run(int(os.environ.get("CASES", "10000")), int(os.environ.get("SEED", "0"))),
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
