"""Runtime settings, read once from the environment.

`CHUHAI_DATA_DIR` holds the SQLite file and uploaded files; `CHUHAI_DATABASE_URL` overrides
the database (e.g. a PostgreSQL URL). Nothing else reads the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    max_image_bytes: int = 5 * MIB
    max_document_bytes: int = 10 * MIB
    max_import_bytes: int = 20 * MIB
    session_hours: int = 12
    # an FX rate older than this many days before the day it is used for is refused
    fx_max_age_days: int = 7
    # orders: the payment provider checkout uses, and how stock is allocated to an order
    payment_provider: str = "sandbox"
    allocation_strategy: str = "fastest"
    # the sandbox provider's "times out" test card waits this long before giving up
    sandbox_payment_timeout_s: float = 0.3
    # stock-up orders not shipped this many days after their due date expire
    stockup_expiry_days: int = 14
    # carriers' tracking webhooks: the shared HMAC secret (generated into the data dir when
    # empty), where the sandbox carrier posts its events (empty: in-process), and how often
    # the embedded worker lets the sandbox carrier push (seconds; 0 turns it off)
    carrier_webhook_secret: str = ""
    carrier_webhook_url: str = ""
    sandbox_carrier_push_s: int = 300
    # sourcing: the first production run of a new product is this small (小单快反)
    first_run_min: int = 100
    first_run_max: int = 200

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def sandbox_payments_url(self) -> str:
        """Where the sandbox payment provider keeps its book. It writes in its own
        transactions while a checkout's is open; SQLite allows one writer at a time, so there
        it keeps a file of its own."""
        if self.database_url.startswith("sqlite"):
            return f"sqlite:///{self.data_dir / 'sandbox-payments.db'}"
        return self.database_url


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("CHUHAI_DATA_DIR") or platformdirs.user_data_dir("chuhai"))
    database_url = env.get("CHUHAI_DATABASE_URL") or f"sqlite:///{data_dir / 'chuhai.db'}"
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        max_image_bytes=int(env.get("CHUHAI_MAX_IMAGE_BYTES", 5 * MIB)),
        fx_max_age_days=int(env.get("CHUHAI_FX_MAX_AGE_DAYS", 7)),
        payment_provider=env.get("CHUHAI_PAYMENT_PROVIDER", "sandbox"),
        allocation_strategy=env.get("CHUHAI_ALLOCATION_STRATEGY", "fastest"),
        stockup_expiry_days=int(env.get("CHUHAI_STOCKUP_EXPIRY_DAYS", 14)),
        carrier_webhook_secret=env.get("CHUHAI_CARRIER_WEBHOOK_SECRET", ""),
        carrier_webhook_url=env.get("CHUHAI_CARRIER_WEBHOOK_URL", ""),
        sandbox_carrier_push_s=int(env.get("CHUHAI_SANDBOX_CARRIER_PUSH_S", 300)),
        first_run_min=int(env.get("CHUHAI_FIRST_RUN_MIN", 100)),
        first_run_max=int(env.get("CHUHAI_FIRST_RUN_MAX", 200)),
    )
