"""Development helper: rewrite the newest migration from the tables the code declares now.

Released migrations never change (0001 spine, 0002 pricing/customs/FX, 0003 inventory,
orders and fulfillment, 0004 finance risk/credit with demand and sourcing); until 0005 is
released, every capability that adds tables re-runs this, which autogenerates 0005 against
a scratch database at 0004.

    python scripts/regenerate_migration.py
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from alembic import command

from chuhai.core.db import MIGRATIONS_DIR, alembic_config

PREVIOUS = "0004"
REVISION = "0005"
MESSAGE = "sourcing reorders and returns; network plans"
SLUG = "reorders_network_plans"


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
