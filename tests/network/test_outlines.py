"""Country outlines for the network map: Natural Earth shapes from an installed package,
thinned, projected on the map's equirectangular box; only what meets the box is drawn."""

from __future__ import annotations

import re

from chuhai.network.outlines import country_rings, outline_paths


def _box(west: float, east: float, south: float, north: float, width: float = 800):
    scale = width / (east - west)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (lon - west) * scale, (north - lat) * scale

    return west, east, south, north, xy


def test_the_shapes_are_shipped_and_thinned():
    rings = country_rings()
    assert len(rings) > 250  # 250 countries, most with islands
    assert 10_000 < sum(len(r.points) for r in rings) < 250_000  # from 547,488 points


def test_a_box_around_germany_draws_its_neighbours_within_reach():
    *box, xy = _box(5.0, 16.0, 47.0, 55.5)
    paths = outline_paths(*box, xy)
    assert 5 <= len(paths) <= 200
    numbers = [float(n) for d in paths for n in re.findall(r"-?\d+\.\d", d)]
    assert all(-2000 < n < 2000 for n in numbers)  # drawn near the box (the SVG clips)
    assert all(d.startswith("M") and d.endswith(" Z") for d in paths)


def test_open_ocean_draws_nothing():
    *box, xy = _box(-150.0, -140.0, -40.0, -30.0)
    assert outline_paths(*box, xy) == []


def test_the_example_map_stays_light():
    *box, xy = _box(-128.0, 19.0, 20.0, 61.0)  # the example's US and Europe
    size = sum(len(d) for d in outline_paths(*box, xy))
    assert 10_000 < size < 400_000
