"""Engagement pages: partners see their borough only, and maps, tables and CSVs show the same numbers."""

import csv
import io
import json
import re
from datetime import datetime

import pytest

from coordination.engagement import gap_map
from coordination.extensions import db
from tests.communities import factories as f
from tests.conftest import page
from tests.engagement.pages import gap_map_script_url, overview_with_map

ROCHDALE, MANCHESTER = "E08000005", "E08000003"


@pytest.fixture
def scene(app):
    """Peer support in Rochdale (6 organisations, 5 engaged this year) and Manchester (2, 1 engaged)."""
    peer = f.concept("peer support")
    community = f.community(area=peer)
    event = f.event(community, datetime.now().replace(microsecond=0))
    rochdale = [f.organisation(f"Rochdale {n}", ROCHDALE, [peer]) for n in range(6)]
    manchester = [f.organisation(f"Manchester {n}", MANCHESTER, [peer], email="=cmd|calc") for n in range(2)]
    for org in rochdale[:5] + manchester[:1]:
        f.attend(event, f.person(organisation=org))
    db.session.commit()
    return {"peer": peer, "rochdale": rochdale, "manchester": manchester}


def table_values(soup, table_id):
    table = soup.select_one(f"#{table_id}")
    out = {}
    for tr in table.select("tbody tr"):
        out[tr.th.get_text(strip=True).lower()] = {td["data-figure"]: td.get_text(strip=True) for td in tr.select("td")}
    return out


def map_properties(html):
    """Every GeoJSON feature's properties in the page's map script, by borough name and layer."""
    found = []
    for match in re.finditer(r'"properties": (\{[^{}]*\})', html):
        found.append(json.loads(match.group(1)))
    return found


def test_the_coordinator_sees_all_ten_boroughs_with_exact_small_numbers(signed_in, scene):
    client, _ = signed_in("coordinator")
    response = client.get(f"/engagement/?area={scene['peer'].id}&period=12m")
    soup = page(response)
    values = table_values(soup, "borough-figures")
    assert len(values) == 11  # ten boroughs and Greater Manchester
    assert values["manchester"]["engaged"] == "1"
    assert values["rochdale"]["engaged"] == "5"
    links = [a["href"] for a in soup.select("#borough-figures tbody th a")]
    assert len(links) == 10


def test_map_table_and_csv_agree_for_every_borough(signed_in, scene):
    client, _ = signed_in("coordinator")
    html = overview_with_map(client, f"/engagement/?area={scene['peer'].id}&period=12m")
    table = table_values(page_from(html), "borough-figures")
    props = map_properties(html)
    assert props, "the map carries its figures"
    for p in props:
        assert table[p["name"].lower()]["engaged"] == p["engaged_display"]
        assert table[p["name"].lower()]["gap_index"] == p["gap_index_display"]
    rows = list(csv.DictReader(io.StringIO(client.get("/engagement/figures.csv?period=12m").get_data(as_text=True))))
    peer_rows = {r["Borough"].lower(): r for r in rows if r["Practice area"].lower() == "peer support"}
    for name, cells in table.items():
        assert peer_rows[name]["Organisations engaged"] == cells["engaged"]
        assert peer_rows[name]["Gap index"] == cells["gap_index"]


def page_from(html):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def test_a_partner_sees_small_numbers_suppressed_and_only_their_borough_is_clickable(signed_in, scene):
    client, _ = signed_in("partner")
    html = overview_with_map(client, f"/engagement/?area={scene['peer'].id}")
    values = table_values(page_from(html), "borough-figures")
    assert values["manchester"]["engaged"] == "fewer than 5"
    assert values["manchester"]["gap_index"] == "not shown"
    assert values["rochdale"]["engaged"] == "5"
    assert "/engagement/boroughs/E08000005" in html and "/engagement/boroughs/E08000003" not in html
    for p in map_properties(html):
        assert p["engaged_display"] == values[p["name"].lower()]["engaged"]
    # Markers only in the partner's own borough: counting Manchester's would give its 1 back.
    assert "Organisations (5 engaged, 1 not)" in html


def test_the_coordinator_sees_every_marker(signed_in, scene):
    client, _ = signed_in("coordinator")
    html = overview_with_map(client, f"/engagement/?area={scene['peer'].id}")
    assert "Organisations (6 engaged, 2 not)" in html


def test_a_partner_gets_their_borough_page_and_403_for_another(signed_in, scene):
    client, _ = signed_in("partner")
    soup = page(client.get("/engagement/boroughs/E08000005"))
    assert soup.h1.get_text(strip=True) == "Rochdale: engagement by practice area"
    values = table_values(soup, "area-figures")
    assert values["peer support"]["engaged"] == "5"
    # Rochdale's 5 are known to the partner, so GM's 6 would give Manchester's 1 away.
    assert values["greater manchester: peer support"]["engaged"] == "not shown"
    assert client.get("/engagement/boroughs/E08000003").status_code == 403
    assert client.get("/engagement/outreach?borough=E08000003").status_code == 403
    assert client.get("/engagement/outreach.csv?borough=E08000003").status_code == 403
    assert client.get("/engagement/boroughs/E99999999").status_code == 404


def test_the_outreach_page_and_csv_list_the_same_never_engaged_organisations(signed_in, scene):
    client, _ = signed_in("coordinator")
    soup = page(client.get(f"/engagement/outreach?borough={MANCHESTER}&area={scene['peer'].id}"))
    names = [tr.td.get_text(strip=True) for tr in soup.select("#outreach tbody tr")]
    assert names == ["Manchester 1"]
    response = client.get(f"/engagement/outreach.csv?borough={MANCHESTER}&area={scene['peer'].id}")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["Organisation"] for r in rows] == names
    assert rows[0]["Email"] == "'=cmd|calc"  # no formula injection into spreadsheets
    borough = page(client.get(f"/engagement/boroughs/{MANCHESTER}"))
    assert any("1 organisation never engaged" in a.get_text(" ", strip=True) for a in borough.select("a"))


def test_outreach_also_finds_organisations_that_describe_the_practice_area_in_any_of_its_words(signed_in, scene):
    from coordination.terminology.operations import add_label

    add_label(scene["peer"], kind="alt", text="peer-led groups")
    f.organisation("Untagged but relevant", ROCHDALE, [], description="We run Peer-led groups for new dads")
    f.organisation("Not about it", ROCHDALE, [], description="Peerless plumbing; groups of apprentices led by peers")
    db.session.commit()
    client, _ = signed_in("coordinator")
    soup = page(client.get(f"/engagement/outreach?borough={ROCHDALE}&area={scene['peer'].id}"))
    names = [tr.td.get_text(strip=True) for tr in soup.select("#outreach tbody tr")]
    assert names == ["Rochdale 5", "Untagged but relevant"]


def test_the_map_is_cached_until_the_data_changes_and_each_response_gets_its_own_nonce(signed_in, scene):
    client, _ = signed_in("coordinator")
    first = client.get("/engagement/")
    misses = gap_map.cache().misses
    second = client.get("/engagement/")
    assert gap_map.cache().misses == misses and gap_map.cache().hits >= 1
    nonce = re.search(r"'nonce-([^']+)'", second.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in second.get_data(as_text=True)
    assert gap_map.NONCE_PLACEHOLDER not in second.get_data(as_text=True)
    f.attend(f.event(None, datetime.now()), f.person(organisation=scene["manchester"][1]))
    db.session.commit()
    client.get("/engagement/")
    assert gap_map.cache().misses > misses
    assert first.status_code == 200


def test_the_page_links_to_its_map_script_which_the_browser_keeps_until_the_map_changes(signed_in, scene):
    client, _ = signed_in("coordinator")
    response = client.get(f"/engagement/?area={scene['peer'].id}")
    html = response.get_data(as_text=True)
    assert '"properties"' not in html  # the shapes and markers are not in the page
    url = gap_map_script_url(html)
    script = client.get(url)
    assert script.headers["Cache-Control"] == "private, no-cache" and script.headers["ETag"]
    # The script draws into the page's own map element, whichever worker built either.
    map_id = re.search(r'class="folium-map" id="(map_[a-z0-9]+)"', html).group(1)
    assert f'"{map_id}"' in script.get_data(as_text=True)
    again = client.get(url, headers={"If-None-Match": script.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    f.attend(f.event(None, datetime.now()), f.person(organisation=scene["manchester"][1]))
    db.session.commit()
    changed = gap_map_script_url(client.get(f"/engagement/?area={scene['peer'].id}").get_data(as_text=True))
    assert changed != url
    assert client.get(changed, headers={"If-None-Match": script.headers["ETag"]}).status_code == 200


def test_the_map_loads_nothing_from_other_hosts(signed_in, scene):
    from geo.maps import external_asset_urls

    client, _ = signed_in("coordinator")
    html = client.get("/engagement/").get_data(as_text=True)
    assert external_asset_urls(html) == []
    assert "/vendor/leaflet/dist/leaflet.js" in html


def test_hostile_organisation_names_are_inert_on_the_map(signed_in, scene):
    f.organisation("<script>alert(1)</script>`${x}`", ROCHDALE, [scene["peer"]])
    db.session.commit()
    client, _ = signed_in("coordinator")
    html = overview_with_map(client, "/engagement/")
    assert "<script>alert(1)" not in html and "${x}" not in html


def test_the_attendance_chart_has_a_data_table_that_matches(signed_in, scene):
    client, _ = signed_in("partner")
    soup = page(client.get("/engagement/attendance?period=all"))
    svg = soup.select_one("svg.app-chart")
    assert svg["role"] == "img" and svg.title.get_text()
    summary = table_values_summary(soup)
    # Rochdale (the partner's own) has 5 of the 6: showing 6 would give Manchester's 1 away.
    assert summary["Masterclasses"] == ["1", "not shown", "not shown"]


def test_the_coordinator_sees_every_attendance_figure(signed_in, scene):
    client, _ = signed_in("coordinator")
    assert table_values_summary(page(client.get("/engagement/attendance?period=all")))["Masterclasses"] == [
        "1",
        "6",
        "6.0",
    ]


def table_values_summary(soup):
    return {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
        for tr in soup.select("#attendance-summary tbody tr")
    }


def test_practice_areas_are_named_in_the_boroughs_words_as_soon_as_a_local_name_is_agreed(signed_in, scene):
    from coordination.terminology.operations import add_label

    client, _ = signed_in("coordinator")

    def options():
        soup = page(client.get("/engagement/"))
        return [o.get_text(strip=True) for o in soup.select("select[name=area] option")]

    def rochdale_rows():
        soup = page(client.get(f"/engagement/boroughs/{ROCHDALE}"))
        return list(table_values(soup, "area-figures"))

    assert "Peer support" in options()
    assert "peer support" in rochdale_rows()
    add_label(
        scene["peer"], kind="local", text="buddying", borough_code=ROCHDALE, status="agreed", proposed_by="Rochdale"
    )
    assert "Peer support" in options()  # Greater Manchester's overview: no GM-wide local name yet
    assert "buddying (peer support)" in rochdale_rows()  # Rochdale's own words, at once
    add_label(scene["peer"], kind="local", text="mutual aid", status="agreed", proposed_by="GM")
    assert "Mutual aid (peer support)" in options()
    assert "buddying (peer support)" in rochdale_rows()
