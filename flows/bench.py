"""`make bench`: a synthetic corpus from varied templates, and the figures a data engineer needs.

Documents are assembled from layouts (outline, articles, tables), measure templates, figures,
regions and departments drawn with a fixed seed, so no two documents are alike and every run
builds the same corpus. Prints one JSON object:

- bare_extract: `extract()` alone (text in, records out) over the corpus, one process;
- bare_pipeline: the same work the flow does (ingest, extract, validate, store, tables,
  catalog) without Prefect; flow_over_bare = warm flow / bare pipeline (orchestration cost);
- flow_cold: the first run in a fresh process (Prefect's local server starts); flow_warm: an
  empty output folder in a process whose server is up, as in a served deployment;
- rerun: the same corpus again, unchanged; rerun_over_cold = rerun / cold run;
- ours_over_jionlp: bare_extract / JioNLP `extract_money` on the same texts;
- peak_rss_mib: the process's peak resident memory.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

from policyflow.extractors import lexicon

TOPICS = ["科技型企业梯次培育", "科技成果转移转化", "创新平台能级提升", "研发投入激励", "高新技术企业培育",
          "科技金融深度融合", "产学研协同创新", "数字经济创新发展", "人才引育", "知识产权强市建设"]
DOC_TYPES = ["行动方案", "实施意见", "若干措施", "管理办法", "实施细则", "行动计划"]
SUBJECTS = ["高新技术企业", "科技型中小企业", "新型研发机构", "重点实验室", "技术创新中心", "科技企业孵化器",
            "众创空间", "中试基地", "技术转移服务机构", "概念验证中心", "临床医学研究中心", "专精特新企业"]
VERBS = ["强化", "支持", "推动", "加快", "完善", "健全", "培育", "建设", "优化", "实施"]
OBJECTS = ["体系建设", "能力提升", "平台布局", "服务网络", "协同机制", "成果转化", "人才队伍", "金融支持"]
FILLER = ["坚持需求导向和问题导向，统筹推进各项工作", "聚焦重点产业链，引导创新要素向企业集聚",
          "建立健全工作机制，形成齐抓共管的良好局面", "加强政策宣传解读，提升企业获得感",
          "推动创新链产业链资金链人才链深度融合", "完善考核评价办法，强化督促检查"]
DEPTS = ["科技局", "财政局", "发展改革委", "工业和信息化局", "人力资源社会保障局", "教育局", "市场监管局", "税务局",
         "统计局", "地方金融监管局"]
CN = "零一二三四五六七八九"


def _cn_num(n: int) -> str:
    """Small Chinese numerals for labels: 1..99."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else CN[tens]) + "十" if tens else "") + (CN[ones] if ones or not tens else "")


def _money(rng: random.Random) -> str:
    v = rng.choice([5, 10, 20, 30, 50, 80, 100, 200, 300, 500, 1000])
    return rng.choice([f"{v}万元", f"{v} 万元", f"{v}万元"]) if rng.random() < 0.9 else "五十万元"


def _grant(rng: random.Random) -> str:
    subject = rng.choice(SUBJECTS)
    forms = [
        f"对新认定的{subject}，给予{_money(rng)}补助",
        f"对首次认定的{subject}，一次性给予每家最高{_money(rng)}奖补资金",
        f"对新备案的国家级、省级{subject}，分别给予{_money(rng)}、{_money(rng)}奖励",
        f"按照年度研发费用的{rng.choice([5, 10, 15, 20])}%给予补助，每家单位最高不超过{_money(rng)}",
        f"根据绩效评价结果，择优给予{_money(rng)}支持",
        f"对上年度研发投入{rng.choice([500, 1000, 2000])}万元以上的{subject}，给予最高{_money(rng)}补助",
        f"对{subject}给予一定的财政资金补助",
        f"每培养1名技术经纪人给予{rng.choice([1000, 2000, 5000])}元补助",
    ]
    return rng.choice(forms)


def _target(rng: random.Random) -> str:
    return (f"到{rng.choice([2025, 2026, 2027])}年，全市{rng.choice(SUBJECTS)}达到{rng.randint(10, 5000)}家以上，"
            f"研发投入强度达到{rng.choice(['2.5', '3.1', '3.5'])}%")


def _units(rng: random.Random, style: int) -> str:
    lead, coop = rng.sample(DEPTS, 2)
    return [f"（责任单位：市{lead}、市{coop}）", f"（牵头单位：市{lead}；配合单位：市{coop}）",
            f"(责任单位:市{lead})", f"【牵头部门】市{lead}"][style % 4]


def _measure(rng: random.Random, with_units: int | None) -> str:
    title = f"{rng.choice(VERBS)}{rng.choice(SUBJECTS)}{rng.choice(OBJECTS)}"
    body = "。".join("，".join(rng.sample(FILLER, 2)) for _ in range(rng.randint(2, 4))) + "。"
    parts = [f"{title}。{body}", _grant(rng) + "。"]
    if rng.random() < 0.3:
        parts.append(_target(rng) + "。")
    if rng.random() < 0.5:
        parts.append(_grant(rng) + "。")
    text = "".join(parts)
    return text + ("\n" + _units(rng, with_units) if with_units is not None else "")


def make_document(i: int, regions: list[str]) -> tuple[str, str]:
    """(file name, text) of synthetic document `i`."""
    rng = random.Random(i)
    region = rng.choice(regions)
    doc_type = rng.choice(DOC_TYPES)
    title = f"{region}{rng.choice(TOPICS)}{doc_type}（第{i + 1}批）"  # one policy per document
    if rng.random() < 0.4:
        start = rng.choice([2023, 2024, 2025])
        title = title.replace("（第", f"（{start}—{start + 2}年）（第")
    head = [title]
    if rng.random() < 0.3:
        head.append("（征求意见稿）")
    if rng.random() < 0.5:
        head.append(f"{region[:2]}科发〔{rng.choice([2023, 2024])}〕{rng.randint(1, 60)}号")
    layout = rng.choice(["outline", "articles", "table", "outline"])
    lines = head + ["", f"为深入实施创新驱动发展战略，{rng.choice(FILLER)}，制定本{doc_type}。", ""]
    style = rng.randint(0, 3)
    if layout == "articles":
        n = 0
        for chapter in range(1, rng.randint(4, 7)):
            lines.append(f"第{_cn_num(chapter)}章 {rng.choice(OBJECTS)}")
            for _ in range(rng.randint(3, 6)):
                n += 1
                lines.append(f"第{_cn_num(n)}条 {_grant(rng)}。{'。'.join(rng.sample(FILLER, 3))}。")
    elif layout == "table":
        lines += ["一、主要目标", _target(rng) + "。", "二、重点任务", "序号｜重点任务｜支持标准｜责任单位"]
        for k in range(1, rng.randint(8, 16)):
            lines.append(f"{k}｜{rng.choice(VERBS)}{rng.choice(SUBJECTS)}｜{_grant(rng)}｜市{rng.choice(DEPTS)}")
        lines += ["三、保障措施"] + [f"（{_cn_num(j)}）{rng.choice(VERBS)}{rng.choice(OBJECTS)}。{'。'.join(rng.sample(FILLER, 3))}。"
                                   for j in range(1, 4)]
    else:
        lines += ["一、主要目标", "", _target(rng) + "。", "", "二、重点任务", ""]
        k = 0
        for sec in range(1, rng.randint(3, 6)):
            lines += [f"（{_cn_num(sec)}）{rng.choice(VERBS)}{rng.choice(OBJECTS)}行动", ""]
            for _ in range(rng.randint(3, 6)):
                k += 1
                lines += [f"{k}.{_measure(rng, style if rng.random() < 0.7 else None)}", ""]
        lines += ["三、保障措施", "", f"（一）强化组织领导。{rng.choice(FILLER)}。"]
    if rng.random() < 0.5:
        lines += ["", f"{region}科学技术局", f"{rng.choice([2023, 2024])}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"]
    return f"{i:05d}_{layout}.txt", "\n".join(lines) + "\n"


def regions() -> list[str]:
    rows = csv.reader(io.StringIO(lexicon.data_text("regions.tsv")), delimiter="\t")
    return [r[0] for r in rows if len(r) > 1 and r[1] == "prefecture" and r[0].endswith("市")]


def build_corpus(folder: Path, n: int) -> int:
    """Write `n` synthetic documents into `folder` (streamed); returns total bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    names, total = regions(), 0
    for i in range(n):
        name, text = make_document(i, names)
        data = text.encode("utf-8")
        (folder / name).write_bytes(data)
        total += len(data)
    return total


def _peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(own / 1024, 1)


def run(n: int = 1000, *, workdir: Path | None = None, jionlp: bool = True, profile: Path | None = None) -> dict:
    """Build the corpus and measure; returns the figures printed by `make bench`."""
    from policyflow.flows.extract_flow import extract_flow, local_settings, process_document
    from policyflow.flows.store import iter_revisions, write_catalog, write_tables
    from policyflow.extractors.pipeline import extract
    from policyflow.extractors.nlp import pipeline

    tmp = Path(workdir or tempfile.mkdtemp(prefix="policyflow-bench-"))
    corpus, out = tmp / "corpus", tmp / "out"
    shutil.rmtree(out, ignore_errors=True)
    size = build_corpus(corpus, n)
    files = sorted(corpus.glob("*.txt"))
    pipeline()  # load jieba once, outside the timings
    extract(files[0].read_text(encoding="utf-8"))

    t = time.perf_counter()
    for f in files:
        extract(f.read_text(encoding="utf-8"))
    bare = time.perf_counter() - t
    if profile:
        from pyinstrument import Profiler

        prof = Profiler()
        prof.start()
        for f in files[:200]:
            extract(f.read_text(encoding="utf-8"))
        prof.stop()
        profile.write_text(prof.output_text(unicode=True, color=False), encoding="utf-8")

    t = time.perf_counter()
    for f in files:
        process_document(f, tmp / "bare", root=corpus)
    write_tables(tmp / "bare", iter_revisions(tmp / "bare"), [])
    write_catalog(tmp / "bare")
    bare_pipeline = time.perf_counter() - t

    with local_settings():
        t = time.perf_counter()
        cold = extract_flow([str(corpus)], str(tmp / "cold"))  # a fresh process: starts Prefect's local server
        cold_s = time.perf_counter() - t
        t = time.perf_counter()
        warm = extract_flow([str(corpus)], str(out))  # an empty output in a process whose server is up (served)
        warm_s = time.perf_counter() - t
        t = time.perf_counter()
        rerun = extract_flow([str(corpus)], str(out))
        rerun_s = time.perf_counter() - t
    result = {
        "documents": n, "corpus_mb": round(size / 2**20, 2),
        "bare_extract_s": round(bare, 2), "bare_docs_per_s": round(n / bare, 1),
        "bare_mb_per_s": round(size / 2**20 / bare, 2),
        "bare_pipeline_s": round(bare_pipeline, 2),
        "flow_cold_s": round(cold_s, 2), "flow_warm_s": round(warm_s, 2), "flow_docs_per_s": round(n / warm_s, 1),
        "prefect_startup_s": round(cold_s - warm_s, 2),
        "flow_over_bare": round(warm_s / bare_pipeline, 3),
        "flow_over_bare_extract": round(warm_s / bare, 3),
        "rerun_unchanged_s": round(rerun_s, 2), "rerun_over_cold": round(rerun_s / cold_s, 3),
        "rerun_over_warm": round(rerun_s / warm_s, 3),
        "rerun_unchanged_documents": rerun["unchanged"], "errors": len(warm["errors"]) + len(cold["errors"]),
        "phases_warm": warm["phases"], "records": warm["records"],
    }
    if jionlp:
        with contextlib.redirect_stdout(io.StringIO()):
            import jionlp as jio
        texts = [f.read_text(encoding="utf-8") for f in files]
        jio.ner.extract_money(texts[0])
        ours = theirs = 0.0
        for text in texts:  # interleaved, so load on the machine weighs on both alike
            t = time.perf_counter()
            extract(text)
            t2 = time.perf_counter()
            jio.ner.extract_money(text, with_parsing=True)
            ours, theirs = ours + (t2 - t), theirs + (time.perf_counter() - t2)
        result.update(jionlp_money_s=round(theirs, 2), ours_interleaved_s=round(ours, 2),
                      ours_over_jionlp=round(ours / theirs, 3))
    result["peak_rss_mib"] = _peak_rss_mib()
    if workdir is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def main() -> None:
    n = int(os.environ.get("N", "1000"))
    prof = os.environ.get("PROFILE")
    result = run(n, profile=Path(prof) if prof else None)
    from policyflow.flows import bench_local

    result["local_extract"] = bench_local.run()  # the 4-document command, end to end (issue 12's bar)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
