"""Development helper: rewrite the newest migration from the tables the code declares now.

Released migrations never change (0001 spine, 0002 pricing/customs/FX, 0003 inventory,
orders and fulfillment); until 0004 is released, every capability that adds tables re-runs
this, which autogenerates 0004 against a scratch database at 0003.

    python scripts/regenerate_migration.py
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from alembic import command

from chuhai.core.db import MIGRATIONS_DIR, alembic_config

PREVIOUS = "0003"
REVISION = "0004"
MESSAGE = "finance: hedges, revaluations, B2B credit"
SLUG = "finance_risk_credit"


def main() -> None:
    versions = MIGRATIONS_DIR / "versions"
    for old in versions.glob(f"{REVISION}_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as scratch:
        config = alembic_config(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        command.upgrade(config, PREVIOUS)
        command.revision(config, message=MESSAGE, autogenerate=True, rev_id=REVISION)
    generated = next(versions.glob(f"{REVISION}_*.py"))
    text = generated.read_text()
    text = re.sub(
        r"chuhai\.core\.db\.UTCDateTime\(timezone=True\)", "sa.DateTime(timezone=True)", text
    )
    text = text.replace("import chuhai.core.db\n", "")
    target = versions / f"{REVISION}_{SLUG}.py"
    generated.unlink()
    target.write_text(text)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
