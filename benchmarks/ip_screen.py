"""IP screening: products screened per second against a brand registry, with per-product
latency, next to a straightforward baseline run in the same process (every word of every
field compared with every brand term by rapidfuzz, one pair at a time).

Products are real: the descriptions of ../shared/data/online_retail (a UK retailer's
catalogue); the registry is the demo's 41 protected brands plus synthetic names up to
--brands. Skips with a message when the data is missing.

    python benchmarks/ip_screen.py [--products 10000] [--brands 1000]

The last line printed is one JSON object: products, brands, products_per_s,
baseline_products_per_s, ratio, p50_ms, p99_ms, flagged, baseline_flagged.
"""

from __future__ import annotations

import argparse
import csv
import json
import lzma
import random
import re
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

from rapidfuzz import fuzz

from chuhai.catalog.ip_screen import BrandEntry, screen_brands

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail"


def descriptions(limit: int) -> list[str]:
    files = sorted(DATA.glob("*.csv.xz"))
    if not files:
        sys.exit(f"skipped: no Online Retail data in {DATA}")
    seen: dict[str, None] = {}
    with lzma.open(files[0], "rt", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("Description") or "").strip()
            if text:
                seen.setdefault(text, None)
                if len(seen) >= limit:
                    break
    return list(seen)


def registry(size: int) -> list[BrandEntry]:
    demo = json.loads(resources.files("chuhai.demo").joinpath("brands.json").read_text("utf-8"))
    items = demo["brands"] if isinstance(demo, dict) else demo
    brands = [
        BrandEntry(f"b{i}", b["name"], tuple(b.get("aliases", []))) for i, b in enumerate(items)
    ]
    rng = random.Random(3)
    syllables = ["ka", "lo", "mi", "zen", "tor", "vex", "ra", "qu", "lin", "dor", "sa", "nix"]
    while len(brands) < size:
        name = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).title()
        brands.append(BrandEntry(f"s{len(brands)}", name))
    return brands


def naive_screen(fields: dict[str, str], brands: list[BrandEntry], threshold: int = 85) -> int:
    """Every word against every brand term, one rapidfuzz call per pair."""
    hits = 0
    for text in fields.values():
        words = re.findall(r"\w+", text.lower())
        for brand in brands:
            terms = [brand.name.lower(), *(a.lower() for a in brand.aliases)]
            if any(fuzz.ratio(word, term) >= threshold for term in terms for word in words):
                hits += 1
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--brands", type=int, default=1_000)
    parser.add_argument(
        "--baseline-products",
        type=int,
        default=300,
        help="the baseline is slow: time it on this many products",
    )
    args = parser.parse_args()
    products = [{"title_en": d, "brand": ""} for d in descriptions(args.products)]
    brands = registry(args.brands)
    screen_brands({"title_en": "warm-up"}, brands)  # builds the registry index once

    latencies, flagged = [], 0
    started = time.perf_counter()
    for fields in products:
        t = time.perf_counter()
        flagged += bool(screen_brands(fields, brands))
        latencies.append((time.perf_counter() - t) * 1000)
    ours = len(products) / (time.perf_counter() - started)

    sample = products[: args.baseline_products]
    started = time.perf_counter()
    baseline_flagged = sum(bool(naive_screen(fields, brands)) for fields in sample)
    baseline = len(sample) / (time.perf_counter() - started)
    ours_on_sample = sum(bool(screen_brands(f, brands)) for f in sample)

    result = {
        "products": len(products),
        "brands": len(brands),
        "products_per_s": round(ours),
        "baseline_products_per_s": round(baseline, 1),
        "ratio": round(ours / baseline, 1),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(statistics.quantiles(latencies, n=100)[98], 3),
        "flagged": flagged,
        "flagged_on_baseline_sample": ours_on_sample,
        "baseline_flagged": baseline_flagged,
    }
    print(
        f"chuhai: {result['products_per_s']:,} products/s (p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms); naive pairwise baseline: "
        f"{result['baseline_products_per_s']} products/s",
        file=sys.stderr,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
