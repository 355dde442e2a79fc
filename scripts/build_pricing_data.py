"""Derive the packaged pricing data from the sourced files in ../shared/data/tariff/.

Writes src/chuhai/data/pricing/vat_rates.json (EU-27 and GB standard and reduced VAT
rates with their dated periods, from ibericode/vat-rates, MIT) and
src/chuhai/data/pricing/us_mfn_hs6.csv (US MFN ad-valorem duty per HS6 subheading, from the
USITC tariff database, 2025 revision of 2025-06-06; where the eight-digit lines of one
subheading differ, the highest rate is kept so a landed cost never undershoots).

    python scripts/build_pricing_data.py
"""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "tariff"
OUT = ROOT / "src" / "chuhai" / "data" / "pricing"
SINCE = date(2015, 1, 1)


def vat_rates() -> None:
    data = json.loads((SHARED / "ibericode-vat-rates.json").read_text())
    rules = []
    for country, periods in sorted(data["items"].items()):
        ordered = sorted(periods, key=lambda p: p["effective_from"])
        for index, period in enumerate(ordered):
            start = max(date.fromisoformat(period["effective_from"].replace("0000", "1970")), SINCE)
            following = ordered[index + 1]["effective_from"] if index + 1 < len(ordered) else None
            end = date.fromisoformat(following) - timedelta(days=1) if following else None
            if end is not None and end < SINCE:
                continue
            for kind in ("standard", "reduced"):
                if kind in period["rates"]:
                    bp = int(Decimal(str(period["rates"][kind])) * 100)
                    rules.append(
                        {
                            "country": country,
                            "kind": kind,
                            "rate_bp": bp,
                            "effective_from": start.isoformat(),
                            "effective_to": end.isoformat() if end else None,
                        }
                    )
    payload = {
        "source": "ibericode/vat-rates (MIT), as copied in ../shared/data/tariff/ "
        "(history to Aug 2025); periods before 2015 dropped",
        "rates": rules,
    }
    (OUT / "vat_rates.json").write_text(json.dumps(payload, indent=1) + "\n")


def us_mfn() -> None:
    best: dict[str, int] = {}
    with gzip.open(
        SHARED / "usitc_tariff_database_2025_06062025.csv.gz", "rt", encoding="utf-8-sig"
    ) as handle:
        for row in csv.DictReader(handle):
            code = row["hts8"]
            if not code[:2].isdigit() or int(code[:2]) > 97:
                continue  # chapters 98 and 99 are special provisions, not goods
            ad_valorem = row["mfn_ad_val_rate"] or "0"
            equivalent = row["mfn_ave"]
            rate = Decimal(ad_valorem)
            if rate >= 9999 or (rate == 0 and equivalent and Decimal(equivalent) < 9999):
                rate = Decimal(equivalent or "0")  # specific duties: their ad-valorem equivalent
            if rate >= 9999:
                continue
            bp = int((rate * 10000).to_integral_value())
            best[code[:6]] = max(best.get(code[:6], 0), bp)
    with (OUT / "us_mfn_hs6.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["hs6", "rate_bp"])
        for code in sorted(best):
            writer.writerow([code, best[code]])


if __name__ == "__main__":
    vat_rates()
    us_mfn()
    print(f"wrote {OUT / 'vat_rates.json'} and {OUT / 'us_mfn_hs6.csv'}")
