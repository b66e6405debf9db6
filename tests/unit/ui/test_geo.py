"""Ground-track geometry: the shipped coastlines decode; tracks break at the antimeridian."""

from __future__ import annotations

from ui.geo import coastlines, decode_arc, polylines_as_series, track


def test_the_shipped_coastlines_cover_the_world() -> None:
    lines = coastlines()
    points = [p for line in lines for p in line]
    assert len(lines) > 100 and len(points) > 3000
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    assert min(lons) < -170 and max(lons) > 170
    assert -90 <= min(lats) < -60 and 60 < max(lats) <= 90


def test_quantized_arcs_are_delta_decoded() -> None:
    transform = {"scale": [0.5, 0.25], "translate": [-180, -90]}
    assert decode_arc([[0, 0], [2, 4], [-1, 0]], transform) == [
        (-180, -90),
        (-179, -89),
        (-179.5, -89),
    ]
    assert decode_arc([[1.5, 2.5]], None) == [(1.5, 2.5)]


def test_polylines_are_separated_by_a_null_point() -> None:
    assert polylines_as_series([[(0, 0), (1, 1)], [(5, 5)]]) == [
        [0, 0],
        [1, 1],
        [None, None],
        [5, 5],
    ]


def test_a_track_breaks_where_it_wraps_around() -> None:
    data = track([170.0, 179.0, -179.0, -170.0], [10.0, 11.0, 12.0, 13.0])
    assert data == [[170.0, 10.0], [179.0, 11.0], [None, None], [-179.0, 12.0], [-170.0, 13.0]]
