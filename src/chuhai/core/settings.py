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

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("CHUHAI_DATA_DIR") or platformdirs.user_data_dir("chuhai"))
    database_url = env.get("CHUHAI_DATABASE_URL") or f"sqlite:///{data_dir / 'chuhai.db'}"
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        max_image_bytes=int(env.get("CHUHAI_MAX_IMAGE_BYTES", 5 * MIB)),
        fx_max_age_days=int(env.get("CHUHAI_FX_MAX_AGE_DAYS", 7)),
    )
