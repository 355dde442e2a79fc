"""The Harmonized System nomenclature (HS 2022): look a code up, validate one, and read the
packaged texts a classifier matches against.

The nomenclature is reference data fixed for a whole HS edition, so it is read from the
packaged files once per process and kept in memory rather than in a table: a lookup is a
dict access, `chuhai db upgrade` has nothing to load, and the test suite (which wipes and
reloads the reference tables before every test) pays nothing for it. What does change, the
codes customs staff confirm, is stored (`customs.hs_service`).

Codes are six-digit subheadings written as digits only ("691200"); `format_code` gives the
dotted form people read ("6912.00"). `validate_subheading` is the one check every door uses:
a code that is not an HS 2022 subheading is refused, naming the field.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources

from chuhai.core.errors import FieldError, ValidationFailed

HS_EDITION = "HS 2022"
DATA_PACKAGE = "chuhai.data"
NOMENCLATURE_FILE = "hs/harmonized-system.csv.gz"
SECTIONS_FILE = "hs/sections.csv"
NATIONAL_LINES_FILE = "hs/us-hts8-2025.csv.gz"
EXAMPLES_FILE = "hs/labelled_examples.csv"
MATERIALS_FILE = "hs/materials.json"

# rows of the source file that are totals, not goods
_NOT_GOODS = {"TOTAL", "9999", "999999", "99"}
_SEPARATORS = re.compile(r"[\s.\-]")


@dataclass(frozen=True)
class HsEntry:
    """One line of the nomenclature: a chapter (2 digits), heading (4) or subheading (6)."""

    code: str
    description: str
    level: int
    parent: str | None
    section: str


@dataclass(frozen=True)
class LabelledDescription:
    """A product description with the subheading it was classified under, and why."""

    text: str
    code: str
    note: str = ""


@dataclass(frozen=True)
class Nomenclature:
    """The HS edition in memory: every chapter, heading and subheading, the section titles,
    and for each subheading the national tariff lines under it (US HTS, 8 digits), whose
    shop-floor wording ("mugs", "sunglasses") a classifier matches better than the legal text.
    """

    edition: str
    entries: Mapping[str, HsEntry]
    sections: Mapping[str, str]
    national_lines: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def subheadings(self) -> tuple[str, ...]:
        """Every six-digit code, in order."""
        return tuple(sorted(c for c, e in self.entries.items() if e.level == 6))

    def get(self, code: str) -> HsEntry | None:
        return self.entries.get(code)

    def is_subheading(self, code: str) -> bool:
        entry = self.entries.get(code)
        return entry is not None and entry.level == 6

    def path(self, code: str) -> list[HsEntry]:
        """Chapter, heading and subheading of a code (as far as the code goes)."""
        return [self.entries[code[:n]] for n in (2, 4, 6) if len(code) >= n]

    def children(self, code: str) -> list[HsEntry]:
        return sorted((e for e in self.entries.values() if e.parent == code), key=lambda e: e.code)

    def subheading_text(self, code: str) -> str:
        """The subheading's own description after its heading's: what it means on its own."""
        entry = self.entries[code]
        heading = self.entries.get(code[:4])
        if heading is None or heading.description == entry.description:
            return entry.description
        return f"{heading.description}: {entry.description}"


def format_code(code: str) -> str:
    """ "691200" -> "6912.00"; a heading or chapter is returned as it is."""
    return f"{code[:4]}.{code[4:]}" if len(code) == 6 else code


def validate_subheading(
    raw: str | None, nomenclature: Nomenclature | None = None, field: str = "hs_code"
) -> str:
    """The six-digit subheading `raw` names, or ValidationFailed naming `field`.

    Accepts the usual ways of writing one ("6912.00", "6912 00", "691200"). Refuses what is
    not six digits, and six digits that are not a subheading of the edition, saying which
    subheadings the heading does have when the heading exists.
    """
    nomenclature = nomenclature or load_nomenclature()
    text = _SEPARATORS.sub("", (raw or "").strip())
    if not text:
        raise ValidationFailed([FieldError(field, "is required")])
    if not text.isdigit():
        raise ValidationFailed(
            [FieldError(field, f"an HS code is six digits, e.g. 6912.00; got {raw!r}")]
        )
    if len(text) in (2, 4) and text in nomenclature.entries:
        children = nomenclature.children(text)
        options = ", ".join(format_code(c.code) for c in children[:12])
        more = ", …" if len(children) > 12 else ""
        message = (
            f"{text} is a chapter; give a six-digit subheading (its headings: {options}{more})"
            if len(text) == 2
            else f"{text} is a heading; choose one of its subheadings: {options}{more}"
        )
        raise ValidationFailed([FieldError(field, message)])
    if len(text) != 6:
        raise ValidationFailed(
            [
                FieldError(
                    field,
                    f"an HS code is the six-digit subheading, e.g. 6912.00; got {len(text)} digits",
                )
            ]
        )
    if not nomenclature.is_subheading(text):
        heading = nomenclature.get(text[:4])
        hint = ""
        if heading is not None:
            options = ", ".join(format_code(c.code) for c in nomenclature.children(text[:4]))
            hint = f"; heading {text[:4]} has {options}"
        raise ValidationFailed(
            [
                FieldError(
                    field,
                    f"{format_code(text)} is not an {nomenclature.edition} subheading{hint}",
                )
            ]
        )
    return text


# --- reading the files ----------------------------------------------------------------------------


def parse_nomenclature(
    nomenclature_csv: str, sections_csv: str, national_csv: str = "", edition: str = HS_EDITION
) -> Nomenclature:
    """Build the nomenclature from the text of the source files (see data/SOURCES.md).

    `nomenclature_csv` has the columns section, hscode, description, parent, level (a leading
    byte-order mark is ignored); `national_csv` has hts8, brief_description. Totals rows
    (TOTAL, 99, 9999, 999999) are left out; national lines whose first six digits are not a
    subheading are left out too.
    """
    entries: dict[str, HsEntry] = {}
    for row in csv.DictReader(io.StringIO(nomenclature_csv.lstrip("\ufeff"))):
        code = row["hscode"].strip()
        if code in _NOT_GOODS or row["section"].strip() == "TOTAL":
            continue
        parent = row["parent"].strip()
        entries[code] = HsEntry(
            code=code,
            description=row["description"].strip(),
            level=int(row["level"]),
            parent=None if parent == "TOTAL" else parent,
            section=row["section"].strip(),
        )
    sections = {
        row["section"].strip(): row["name"].strip()
        for row in csv.DictReader(io.StringIO(sections_csv.lstrip("\ufeff")))
    }
    lines: dict[str, list[str]] = {}
    if national_csv:
        for row in csv.DictReader(io.StringIO(national_csv.lstrip("\ufeff"))):
            code = row["hts8"].strip()[:6]
            entry = entries.get(code)
            if entry is not None and entry.level == 6:
                lines.setdefault(code, []).append(row["brief_description"].strip())
    return Nomenclature(
        edition=edition,
        entries=entries,
        sections=sections,
        national_lines={code: tuple(texts) for code, texts in lines.items()},
    )


def parse_labelled(text: str) -> list[LabelledDescription]:
    """Labelled descriptions from CSV text: `description`, `hs6` and, when present, `reason`."""
    found = []
    for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
        found.append(
            LabelledDescription(
                text=row["description"].strip(),
                code=row["hs6"].strip(),
                note=(row.get("reason") or "").strip(),
            )
        )
    return found


def _read(name: str) -> bytes:
    return resources.files(DATA_PACKAGE).joinpath(name).read_bytes()


def _text(name: str) -> str:
    raw = _read(name)
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode("utf-8")


@cache
def load_nomenclature() -> Nomenclature:
    """The packaged HS 2022 nomenclature, read once per process."""
    return parse_nomenclature(
        _text(NOMENCLATURE_FILE), _text(SECTIONS_FILE), _text(NATIONAL_LINES_FILE)
    )


@cache
def load_seed_examples() -> tuple[LabelledDescription, ...]:
    """The packaged labelled descriptions every installation starts from (300 real retail
    descriptions with their HS 2022 subheading; see data/SOURCES.md)."""
    return tuple(parse_labelled(_text(EXAMPLES_FILE)))


@cache
def load_material_chapters() -> Mapping[str, tuple[str, ...]]:
    """Material word -> the HS chapters whose titles name that material."""
    data = json.loads(_text(MATERIALS_FILE))
    return {word: tuple(chapters) for word, chapters in data["materials"].items()}
