"""Stored files: uploads checked for size and type, kept content-addressed under the data dir.

Images are opened with Pillow to prove they are images (the declared type and extension are
not trusted); documents (certificates) may be PDF or images. A file belongs to a supplier
(or to the platform when `supplier_id` is None), and only that tenant or an operator can read it.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from chuhai.core.context import Context
from chuhai.core.errors import NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.tables import StoredFileRow

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_IMAGE_PIXELS = 40_000_000


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    width: int | None = None
    height: int | None = None


def check_image(content: bytes, max_bytes: int, field: str = "image") -> CheckedFile:
    if not content:
        raise ValidationFailed.one(field, "the file is empty")
    if len(content) > max_bytes:
        raise ValidationFailed.one(
            field, f"the image is {len(content):,} bytes; the limit is {max_bytes:,} bytes"
        )
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format or ""
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationFailed.one(
                    field, f"the image is too large ({width}x{height} pixels)"
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationFailed.one(field, "the file is not a readable image") from None
    if image_format not in IMAGE_TYPES:
        raise ValidationFailed.one(
            field, f"{image_format} images are not accepted; use JPEG, PNG or WebP"
        )
    return CheckedFile(content, IMAGE_TYPES[image_format], width, height)


def check_document(content: bytes, max_bytes: int, field: str = "file") -> CheckedFile:
    if not content:
        raise ValidationFailed.one(field, "the file is empty")
    if len(content) > max_bytes:
        raise ValidationFailed.one(
            field, f"the file is {len(content):,} bytes; the limit is {max_bytes:,} bytes"
        )
    if content.startswith(b"%PDF-"):
        return CheckedFile(content, "application/pdf")
    try:
        return check_image(content, max_bytes, field)
    except ValidationFailed:
        raise ValidationFailed.one(field, "documents must be PDF, JPEG, PNG or WebP") from None


def _path_for(files_dir: Path, sha256: str) -> Path:
    return files_dir / sha256[:2] / sha256


def store_file(
    ctx: Context, checked: CheckedFile, original_name: str, supplier_id: str | None
) -> StoredFileRow:
    sha = hashlib.sha256(checked.content).hexdigest()
    path = _path_for(ctx.settings.files_dir, sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(checked.content)
        temporary.replace(path)  # atomic: a crash never leaves half a file under the real name
    row = StoredFileRow(
        id=new_id("fil"),
        sha256=sha,
        content_type=checked.content_type,
        size_bytes=len(checked.content),
        original_name=(original_name or "upload")[:255],
        width=checked.width,
        height=checked.height,
        supplier_id=supplier_id,
        uploaded_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def visible_file(ctx: Context, file_id: str) -> StoredFileRow:
    row = ctx.session.get(StoredFileRow, file_id)
    if row is None or (not ctx.actor.is_operator and row.supplier_id != ctx.actor.supplier_id):
        raise NotFound("no such file", field="file_id")
    return row


def read_file(ctx: Context, file_id: str) -> tuple[StoredFileRow, bytes]:
    row = visible_file(ctx, file_id)
    return row, _path_for(ctx.settings.files_dir, row.sha256).read_bytes()


def file_content(files_dir: Path, row: StoredFileRow) -> bytes:
    """The bytes of a file whose visibility the caller has already decided."""
    return _path_for(files_dir, row.sha256).read_bytes()


def file_row(session: Session, file_id: str) -> StoredFileRow | None:
    return session.get(StoredFileRow, file_id)
