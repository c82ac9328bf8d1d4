"""The gap map's markers kept as columns (queries.MapPoints): the same points, names and boroughs as the rows."""

from coordination.engagement import gap_map
from coordination.engagement.queries import MapPoints

ROWS = [
    (53.5412345, -2.1123456, 1, "Rochdale Carers' Café", "E08000005"),
    (53.4801, -2.2426, 0, "Ōrdsall ☕ Club — Salford", "E08000006"),
    (53.4799, -2.2421, True, "", "E08000003"),
    (53.61, -2.16, None, "Heywood <Youth> & Co", "E08000005"),
]


def test_columns_give_back_the_rows():
    points = MapPoints.from_rows(iter(ROWS))
    assert len(points) == 4
    assert points.lat.tolist() == [row[0] for row in ROWS]
    assert points.lon.tolist() == [row[1] for row in ROWS]
    assert points.engaged.tolist() == [True, False, True, False]
    assert points.names == [row[3] for row in ROWS]
    assert [points.codes[i] for i in points.borough.tolist()] == [row[4] for row in ROWS]


def test_in_boroughs_keeps_order_names_and_nothing_else():
    points = MapPoints.from_rows(ROWS)
    rochdale = points.in_boroughs(["E08000005"])
    assert rochdale.names == ["Rochdale Carers' Café", "Heywood <Youth> & Co"]
    assert rochdale.lat.tolist() == [53.5412345, 53.61]
    assert rochdale.engaged.tolist() == [True, False]
    two = points.in_boroughs({"E08000006", "E08000003"})
    assert two.names == ["Ōrdsall ☕ Club — Salford", ""]
    assert len(points.in_boroughs(["E08000010"])) == 0
    assert points.in_boroughs(["E08000010"]).names == []


def test_no_points():
    points = MapPoints.from_rows([])
    assert len(points) == 0 and points.names == []
    assert gap_map.marker_rows(points, True) == ("[]", 0, 0)


def test_marker_rows_from_columns():
    text, engaged, not_engaged = gap_map.marker_rows(MapPoints.from_rows(ROWS), True)
    assert (engaged, not_engaged) == (2, 2)
    assert text.startswith("[[53.5412, -2.1123, 1, ")
    assert "<Youth>" not in text  # names are written safely into the script
    unlabelled, _, _ = gap_map.marker_rows(MapPoints.from_rows(ROWS), False)
    assert unlabelled == "[[53.5412, -2.1123, 1], [53.4801, -2.2426, 0], [53.4799, -2.2421, 1], [53.61, -2.16, 0]]"
