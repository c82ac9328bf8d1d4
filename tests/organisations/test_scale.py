"""Fast at any size: map clusters per view, cached payloads with ETags, streamed and paged APIs, one-query totals.

No timings here (bench/load.py and bench/scale.py measure); these tests pin the behaviour that keeps it fast.
"""

import json

import pytest

from coordination.extensions import db
from coordination.organisations import clusters
from coordination.organisations.queries import OrganisationFilters, search_organisations

POSTCODES = ["BL1 1RU", "M1 1AD", "OL16 1AA", "WN1 1XL", "SK1 3XE", "M3 2BW"]
GM = "bbox=-2.75,53.32,-1.90,53.69"


@pytest.fixture
def mapped(create_organisation):
    return [create_organisation(name=f"Mapped {n}", postcode=postcode) for n, postcode in enumerate(POSTCODES)]


def test_far_out_the_map_gets_clusters_with_counts_and_bounds_not_every_organisation(signed_in, mapped):
    client, _ = signed_in("coordinator")
    view = client.get(f"/organisations/map/clusters.json?zoom=5&{GM}").get_json()
    assert view["detail"] is False and view["total"] == 6
    assert sum(c[2] for c in view["clusters"]) + len(view["places"]) == 6
    assert view["clusters"], "at zoom 5 Greater Manchester is one small area: its organisations are grouped"
    south, west, north, east = view["clusters"][0][3]
    assert south <= view["clusters"][0][0] <= north and west <= view["clusters"][0][1] <= east


def test_close_in_every_organisation_comes_individually_with_its_safe_name(signed_in, create_organisation):
    org = create_organisation(name="<b>Bold</b> ${x}", postcode="M1 1AD")
    client, _ = signed_in("coordinator")
    bbox = f"{org.longitude - 0.001},{org.latitude - 0.001},{org.longitude + 0.001},{org.latitude + 0.001}"
    view = client.get(f"/organisations/map/clusters.json?zoom=17&bbox={bbox}").get_json()
    assert view["detail"] is True and view["clusters"] == []
    [[lat, lon, members]] = view["places"]
    assert members == [[org.id, "&lt;b&gt;Bold&lt;/b&gt; &#36;&#123;x&#125;"]]


def test_a_view_only_carries_what_is_inside_it(signed_in, mapped):
    client, _ = signed_in("coordinator")
    bolton = next(o for o in mapped if o.postcode == "BL1 1RU")
    bbox = f"{bolton.longitude - 0.01},{bolton.latitude - 0.01},{bolton.longitude + 0.01},{bolton.latitude + 0.01}"
    view = client.get(f"/organisations/map/clusters.json?zoom=16&bbox={bbox}").get_json()
    assert [m[0] for p in view["places"] for m in p[2]] == [bolton.id]


@pytest.mark.parametrize("bbox", ["", "a,b,c,d", "1,2,3", "10,10,-10,-10", "nan,1,2,3", "1e999,0,0,0"])
def test_an_unusable_bounding_box_falls_back_to_greater_manchester(signed_in, mapped, bbox):
    client, _ = signed_in("coordinator")
    response = client.get(f"/organisations/map/clusters.json?zoom=banana&bbox={bbox}")
    assert response.status_code == 200 and response.get_json()["total"] == 6


def test_the_map_follows_the_filters(signed_in, mapped, create_organisation):
    create_organisation(name="Bolton Food Bank", postcode="BL1 1RU")
    client, _ = signed_in("coordinator")
    view = client.get(f"/organisations/map/clusters.json?zoom=17&q=food&{GM}").get_json()
    assert [m[1] for p in view["places"] for m in p[2]] == ["Bolton Food Bank"]


@pytest.mark.parametrize(
    "url",
    [
        "/organisations/map.json",
        f"/organisations/map/clusters.json?zoom=9&{GM}",
        "/api/organisations.geojson",
        "/api/openreferral/organizations",
    ],
)
def test_payloads_carry_an_etag_answer_304_and_change_when_the_directory_does(signed_in, mapped, url):
    from coordination.organisations.operations import update_organisation

    client, _ = signed_in("coordinator")
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    update_organisation(mapped[0], {"name": "Renamed"})
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_the_data_version_is_one_counter_per_table_kept_by_the_database(app, create_organisation):
    from sqlalchemy import text

    from coordination.versions import data_version

    before = dict(data_version())
    org = create_organisation(name="Counted")
    middle = dict(data_version())
    assert middle["organisation"] != before["organisation"]
    # Changes made outside the ORM (a bulk update, psql) count too.
    db.session.execute(text("UPDATE organisation SET name = 'Counted again' WHERE id = :id"), {"id": org.id})
    db.session.commit()
    assert dict(data_version())["organisation"] != middle["organisation"]
    db.session.execute(text("DELETE FROM organisation_borough"))
    db.session.commit()


def test_geojson_streams_every_located_match_or_one_page_with_totals(signed_in, mapped, create_organisation):
    create_organisation(name="Nowhere")  # no postcode: not on the map, not in the GeoJSON
    client, _ = signed_in("coordinator")
    response = client.get("/api/organisations.geojson")
    assert response.is_streamed
    assert len(json.loads(response.get_data())["features"]) == 6
    page = json.loads(client.get("/api/organisations.geojson?page=2&per_page=4").get_data())
    assert (page["total_items"], page["total_pages"], page["page_number"]) == (6, 2, 2)
    assert len(page["features"]) == 2 and page["last_page"] is True


def test_open_referral_pages_stream_with_totals_in_rank_order(signed_in, create_organisation):
    for n in range(5):
        create_organisation(name=f"Org {n}", postcode="BL1 1RU")
    client, _ = signed_in("coordinator")
    response = client.get("/api/openreferral/organizations?per_page=2&page=3")
    assert response.is_streamed
    body = json.loads(response.get_data())
    assert (body["total_items"], body["total_pages"], body["page_number"], body["size"]) == (5, 3, 3, 1)
    assert [o["name"] for o in body["contents"]] == ["Org 4"]
    past = json.loads(client.get("/api/openreferral/organizations?per_page=2&page=9").get_data())
    assert past["total_items"] == 5 and past["contents"] == [] and past["empty"] is True


def test_a_page_past_the_end_still_reports_the_real_total(create_organisation):
    for n in range(3):
        create_organisation(name=f"Food group {n}", description="food")
    assert search_organisations(OrganisationFilters(q="food"), page=7, per_page=2).total == 3
    assert search_organisations(OrganisationFilters(), page=7, per_page=2).total == 3


def test_the_layer_cache_is_keyed_by_data_version(app):
    layer = clusters.Layer.from_rows([[53.48, -2.24, 1, "A"], [53.48, -2.24, 2, "B"], [53.58, -2.43, 3, "C"]])
    view = layer.view(17, (-2.5, 53.4, -2.2, 53.6))
    assert [len(p[2]) for p in view["places"]] == [2, 1]  # two at one address share a marker
    assert layer.grid(17) is layer.grid(17)


def test_a_listing_total_is_remembered_until_the_directory_changes(create_organisation):
    from coordination.organisations.operations import close_organisation

    first = create_organisation(name="Counted One")
    assert search_organisations(OrganisationFilters()).total == 1
    create_organisation(name="Counted Two")
    assert search_organisations(OrganisationFilters()).total == 2
    close_organisation(first)
    assert search_organisations(OrganisationFilters()).total == 1
    assert search_organisations(OrganisationFilters(status="any")).total == 2


def test_a_request_reads_every_data_version_counter_once(app, signed_in, create_organisation):
    from sqlalchemy import event

    from coordination.versions import DIRECTORY_TABLES, data_version

    create_organisation(name="Versioned")
    client, _ = signed_in("coordinator")
    reads = []

    def count(conn, cursor, statement, *args):
        if "FROM data_version" in statement:
            reads.append(statement)

    with app.test_request_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            first = data_version(DIRECTORY_TABLES)
            assert data_version(("concept", "concept_label")) == first[3:]
            assert data_version() and len(reads) == 1
        finally:
            event.remove(db.engine, "before_cursor_execute", count)


def test_a_view_reads_names_only_for_the_organisations_it_shows_and_matches_the_download(app, create_organisation):
    from coordination.organisations import queries

    hostile = create_organisation(name='<img src=x onerror="alert(1)">', postcode="M1 1AD")
    for n in range(40):
        create_organisation(name=f"Street group {n}", postcode=POSTCODES[n % len(POSTCODES)])
    filters = OrganisationFilters()
    asked = []

    def labels(ids):
        asked.append(list(ids))
        return queries.map_labels(ids)

    from coordination.organisations import map_layer

    layer = map_layer.base_layer().layer(filters)
    far_out = layer.view(5, clusters.GM_BOUNDS, labels=labels)
    assert far_out["places"] == [] and far_out["total"] == 41 and not asked  # only clusters: no names read
    close_in = layer.view(17, (-2.26, 53.47, -2.22, 53.49), labels=labels)
    shown = {member[0] for place in close_in["places"] for member in place[2]}
    assert hostile.id in shown
    assert all(set(ids) <= shown for ids in asked)  # never a name the view does not show
    assert "<img" not in json.dumps(close_in)  # names are made safe text, as in the download
    download = clusters.Layer.from_rows(queries.map_points(filters))
    for zoom, bbox in ((5, clusters.GM_BOUNDS), (11, clusters.GM_BOUNDS), (17, (-2.26, 53.47, -2.22, 53.49))):
        assert layer.view(zoom, bbox, labels=labels) == download.view(zoom, bbox)


def test_a_signed_in_page_reads_its_session_and_the_data_versions_in_one_statement(app, signed_in, create_organisation):
    from sqlalchemy import event, text

    create_organisation(name="First listed")
    client, _ = signed_in("coordinator")
    client.get("/organisations")  # the results table is now remembered for this data version
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get("/organisations")
        assert "First listed" in response.get_data(as_text=True)
        session_reads = [s for s in statements if "FROM user_session" in s]
        assert len(session_reads) == 1 and "data_version" in session_reads[0]
        assert not [s for s in statements if s.lstrip().startswith("SELECT data_version")]
        # A change made outside the app (another worker, psql) bumps a counter: the next request sees it.
        with app.app_context():
            db.session.execute(text("UPDATE organisation SET name = 'Renamed outside'"))
            db.session.commit()
        assert "Renamed outside" in client.get("/organisations").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_map_labels_reads_any_number_of_ids_in_one_statement(app, create_organisation):
    from sqlalchemy import event

    from coordination.organisations.queries import map_labels

    first = create_organisation(name="<b>Bold</b> Trust").id
    second = create_organisation(name="Plain group").id
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        assert map_labels([]) == {}
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            labels = map_labels([second, first, first, 10**9, *range(10**6, 10**6 + 1500)])
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert labels == {
        first: "&lt;b&gt;Bold&lt;/b&gt; Trust",
        second: "Plain group",
    }  # escaped: it reaches innerHTML
    assert len(statements) == 1
