"""The directory map's stored layer: one per data version, shared by workers, never older than the data.

No timings (bench/scale.py measures): these pin what keeps a cold view cheap and correct.
"""

import fcntl
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select, text

from coordination.extensions import db
from coordination.organisations import importer, map_layer, queries
from coordination.organisations.models import Organisation, organisation_practice_area
from coordination.organisations.operations import close_organisation, update_organisation
from coordination.organisations.queries import OrganisationFilters

GM = "bbox=-2.75,53.32,-1.90,53.69"


def _ids(client, query=""):
    """Every organisation id a street-level view of Greater Manchester shows."""
    view = client.get(f"/organisations/map/clusters.json?zoom=17&{GM}&{query}").get_json()
    return sorted(member[0] for place in view["places"] for member in place[2])


def _stored(app):
    return sorted((map_layer.Path(app.instance_path) / map_layer.FOLDER).glob("base-*.npz"))


@pytest.fixture
def directory(create_organisation, create_concept):
    """Organisations that differ in everything a filter tests."""
    food, care = create_concept("Food"), create_concept("Care")
    old = date.today() - timedelta(days=400)
    made = [
        create_organisation(name="Food bank", postcode="M1 1AD", practice_areas=[food.id], operates_in=["E08000001"]),
        create_organisation(name="Care circle", postcode="BL1 1RU", practice_areas=[care.id], org_type="cic"),
        create_organisation(name="Old club", postcode="OL16 1AA", last_checked_on=old, operates_in=["E08000009"]),
        create_organisation(name="Quiet group", postcode="WN1 1XL", email="", phone="", website=""),
        create_organisation(name="Closed food group", postcode="SK1 3XE", practice_areas=[food.id]),
        create_organisation(name="Outside", postcode="WA1 1UH"),  # located, outside Greater Manchester
        create_organisation(name="Nowhere food"),  # not on the map
    ]
    close_organisation(made[4])
    db.session.execute(text("UPDATE organisation SET last_checked_on = NULL WHERE name = 'Care circle'"))
    db.session.commit()
    return made, food, care


FILTER_SETS = [
    {},
    {"status": "any"},
    {"status": "closed"},
    {"borough": "E08000003"},
    {"operates_in": "E08000001"},
    {"operates_in": "E08000009"},
    {"type": "cic"},
    {"attention": "1"},
    {"attention": "1", "status": "any"},
    {"q": "food"},
    {"q": "food", "status": "any"},
    {"q": "care", "type": "cic"},
    {"q": "nothing matches this"},
]


@pytest.mark.parametrize("args", FILTER_SETS)
def test_the_stored_layer_keeps_exactly_what_the_search_finds(app, directory, args):
    _, food, care = directory
    for extra in ({}, {"practice_area": str(food.id)}, {"practice_area": str(care.id)}):
        filters = OrganisationFilters.from_args({**args, **extra})
        statement = queries.ranked_ids(filters)[0].order_by(None).subquery()
        expected = db.session.scalars(
            select(Organisation.id)
            .join(statement, statement.c.id == Organisation.id)
            .where(Organisation.latitude.is_not(None))
            .order_by(Organisation.id)
        ).all()
        assert map_layer.base_layer().layer(filters).ids.tolist() == expected, (args, extra)


def test_a_view_after_an_edit_shows_the_edit_and_a_new_layer_is_stored(app, signed_in, directory):
    made, _, _ = directory
    client, _ = signed_in("coordinator")
    assert made[0].id in _ids(client)
    before = _stored(app)
    update_organisation(made[0], {"postcode": ""})  # off the map
    assert made[0].id not in _ids(client)
    close_organisation(made[1])
    assert made[1].id not in _ids(client) and made[1].id in _ids(client, "status=closed")
    assert len(_stored(app)) > len(before) or _stored(app) != before


def test_changes_made_outside_the_application_count_too(app, signed_in, directory):
    made, _, _ = directory
    client, _ = signed_in("coordinator")
    assert made[2].id in _ids(client)
    db.session.execute(
        text("UPDATE organisation SET latitude = NULL, longitude = NULL WHERE id = :id"), {"id": made[2].id}
    )
    db.session.commit()
    assert made[2].id not in _ids(client)


def test_an_import_is_on_the_map_at_once(app, signed_in, directory):
    client, _ = signed_in("coordinator")
    upload = importer.read_csv(b"Name,Postcode\r\nImported Group,M3 2BW\r\n")
    importer.import_organisations(upload, importer.guess_mapping(upload.headers))
    imported = db.session.scalar(select(Organisation.id).where(Organisation.name == "Imported Group"))
    assert imported in _ids(client)


def test_a_second_worker_reads_the_stored_layer_instead_of_the_database(app, directory, monkeypatch):
    from coordination import create_app

    filters = OrganisationFilters()
    first = map_layer.base_layer()
    assert _stored(app)
    other = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_PATH=app.instance_path,
        UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],
    )

    def refuse():
        raise AssertionError("the second worker read every organisation again")

    monkeypatch.setattr(queries, "map_layer_rows", refuse)
    with other.app_context():
        second = map_layer.base_layer()
        assert second is not first
        assert second.ids.tolist() == first.ids.tolist()
        assert second.layer(filters).ids.tolist() == first.layer(filters).ids.tolist()
        db.session.remove()
        db.engine.dispose()


def test_without_a_writable_instance_folder_each_process_keeps_its_own_layer(app, signed_in, directory, caplog):
    made, _, _ = directory
    folder = map_layer.Path(app.instance_path) / map_layer.FOLDER
    if folder.exists():
        for stored in folder.iterdir():
            stored.unlink()
        folder.rmdir()
    folder.write_text("not a folder")  # nothing can be stored under it, whoever runs the tests
    try:
        client, _ = signed_in("coordinator")
        assert made[0].id in _ids(client)
        assert "kept in memory" in caplog.text or "not stored" in caplog.text
    finally:
        folder.unlink()


def test_a_view_waits_for_a_build_under_way_in_another_process(app, directory, monkeypatch):
    """The build lock is held (as by another worker); the view waits, then reads what that build stored."""
    path = map_layer._path(map_layer.version())
    path.parent.mkdir(parents=True, exist_ok=True)
    built = map_layer.base_from_rows(*queries.map_layer_rows())
    reads = []
    original = queries.map_layer_rows
    monkeypatch.setattr(queries, "map_layer_rows", lambda: reads.append(1) or original())
    result = {}

    def view():
        with app.app_context():
            result["layer"] = map_layer.base_layer()
            db.session.remove()

    # Another open file of the lock: flock treats it as another process's.
    with open(path.parent / ".build.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        thread = threading.Thread(target=view)
        thread.start()
        thread.join(0.3)
        assert thread.is_alive(), "the view waits while the other build holds the lock"
        map_layer._store(path, built)
        fcntl.flock(handle, fcntl.LOCK_UN)
    thread.join(10)
    assert not reads and result["layer"].ids.tolist() == built.ids.tolist()


def test_a_write_builds_the_new_layer_in_the_background(app, create_organisation, create_concept, monkeypatch):
    concept = create_concept("Tagged later")
    monkeypatch.setitem(app.config, "MAP_LAYER_BUILD_AFTER_WRITES", True)
    org = create_organisation(name="Background", postcode="M1 1AD")
    map_layer.wait_for_builds()
    assert map_layer._path(map_layer.version()).exists()
    # A statement on the tags table alone (no ORM object involved) is a write to the directory too.
    db.session.execute(insert(organisation_practice_area), [{"organisation_id": org.id, "concept_id": concept.id}])
    db.session.commit()
    map_layer.wait_for_builds()
    path = map_layer._path(map_layer.version())
    assert path.exists()
    assert map_layer._read(path).tag_concepts.tolist() == [concept.id]


def test_the_command_builds_the_layer_ahead_of_the_first_view(app, directory):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["organisations", "map-layer"])
    assert result.exit_code == 0, result.output
    assert "Built the map layer of 6 located organisations" in result.output
    again = runner.invoke(args=["organisations", "map-layer"])
    assert "up to date" in again.output


def test_an_import_gives_sqlite_s_planner_statistics_for_the_directory(app, directory):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its own statistics")
    if db.session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        db.session.execute(text("DELETE FROM sqlite_stat1"))  # none left by an earlier test
        db.session.commit()
    upload = importer.read_csv(b"Name,Postcode\r\nCounted Group,M3 2BW\r\n")
    importer.import_organisations(upload, importer.guess_mapping(upload.headers))
    analysed = set(db.session.scalars(text("SELECT DISTINCT tbl FROM sqlite_stat1")))
    assert set(map_layer.BASE_TABLES) <= analysed


def test_an_empty_directory_has_an_empty_map(app, signed_in):
    client, _ = signed_in("coordinator")
    for query in ("", "q=food", "attention=1&practice_area=3"):
        view = client.get(f"/organisations/map/clusters.json?zoom=9&{GM}&{query}").get_json()
        assert (view["total"], view["clusters"], view["places"]) == (0, [], [])
