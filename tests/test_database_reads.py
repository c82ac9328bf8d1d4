"""GET and HEAD requests read outside a transaction on PostgreSQL; their writes still begin and end one."""

import pytest
from sqlalchemy import func, select, text

from coordination.database import only_reads
from coordination.extensions import db
from coordination.terminology.models import UnfoundSearch


@pytest.mark.parametrize(
    "statement, reads",
    [
        ("SELECT organisation.id FROM organisation WHERE organisation.id = %(id)s", True),
        ("\n  select count(*) from data_version", True),
        ("SELECT organisation.id FROM organisation FOR UPDATE", False),
        ("SELECT id FROM claim WHERE id = 1 FOR NO KEY UPDATE SKIP LOCKED", False),
        ("SELECT pg_advisory_xact_lock(18)", False),
        ("SELECT nextval('claim_id_seq')", False),
        ("WITH moved AS (DELETE FROM claim_form_stash RETURNING id) SELECT count(*) FROM moved", False),
        ("INSERT INTO unfound_search (normalised) VALUES (%(n)s)", False),
        ("UPDATE user_session SET last_seen_at = now()", False),
        ("SAVEPOINT sa_savepoint_1", False),
        ("SELECT organisation.updated_at, organisation.for_update_notes FROM organisation", True),
    ],
)
def test_which_statements_only_read(statement, reads):
    assert only_reads(statement) is reads


def test_sqlite_requests_keep_their_engine(app):
    from coordination.database import Session

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with app.test_request_context("/"):
        assert isinstance(db.session(), Session)
        assert db.session.get_bind() is db.engine


@pytest.fixture
def probe_app(app, tmp_path):
    """A second app on the test database, with views that read, write, and fail after writing."""
    from coordination import create_app

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's driver begins its transactions in-process")
    probe = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_PATH=str(tmp_path / "instance"),
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    seen = {}

    def status() -> str:
        return db.session.connection().connection.dbapi_connection.info.transaction_status.name

    @probe.route("/probe/read", methods=["GET", "POST"])
    def read():
        db.session.scalar(select(func.count()).select_from(UnfoundSearch))
        seen["after read"] = status()
        return "read"

    @probe.get("/probe/write/<words>")
    def write(words):
        db.session.scalar(select(func.count()).select_from(UnfoundSearch))
        seen["after read"] = status()
        db.session.add(UnfoundSearch(normalised=words, words=words))
        db.session.flush()
        seen["after write"] = status()
        if words.startswith("fail"):
            raise RuntimeError("after the write")
        db.session.commit()
        seen["after commit"] = status()
        db.session.scalar(select(func.count()).select_from(UnfoundSearch))
        seen["after reading again"] = status()
        return "written"

    @probe.get("/probe/two-writes/<words>")
    def two_writes(words):
        db.session.add(UnfoundSearch(normalised=words, words=words))
        db.session.flush()
        db.session.add(UnfoundSearch(normalised=words, words=words))  # the same unique key: refused
        db.session.commit()
        return "never"

    @probe.get("/probe/streamed")
    def streamed():
        rows = db.session.execute(select(UnfoundSearch.id).execution_options(yield_per=10))
        seen["while streaming"] = status()
        return str(len(list(rows)))

    probe.config["PROPAGATE_EXCEPTIONS"] = False
    yield probe, seen
    with probe.app_context():
        db.session.remove()
        db.engine.dispose()
    with app.app_context():
        db.session.execute(text("DELETE FROM unfound_search WHERE normalised LIKE 'probe %'"))
        db.session.commit()


def _stored(app, words) -> int:
    with app.app_context():
        db.session.rollback()
        return db.session.scalar(select(func.count()).where(UnfoundSearch.normalised == words))


@pytest.mark.postgres
def test_a_get_reads_outside_a_transaction_and_a_post_inside_one(probe_app):
    probe, seen = probe_app
    client = probe.test_client()
    assert client.get("/probe/read").status_code == 200
    assert seen["after read"] == "IDLE"  # no BEGIN was sent, so there is no ROLLBACK to send
    assert client.post("/probe/read").status_code == 200
    assert seen["after read"] == "INTRANS"


@pytest.mark.postgres
def test_a_get_that_writes_begins_a_transaction_first_and_commits_it(app, probe_app):
    probe, seen = probe_app
    assert probe.test_client().get("/probe/write/probe kept").data == b"written"
    assert seen == {
        "after read": "IDLE",
        "after write": "INTRANS",
        "after commit": "IDLE",
        "after reading again": "IDLE",
    }
    assert _stored(app, "probe kept") == 1


@pytest.mark.postgres
def test_a_get_that_fails_after_writing_leaves_nothing(app, probe_app):
    probe, seen = probe_app
    assert probe.test_client().get("/probe/write/fail probe").status_code == 500
    assert seen["after write"] == "INTRANS"
    assert _stored(app, "fail probe") == 0


@pytest.mark.postgres
def test_a_get_whose_second_write_is_refused_keeps_neither(app, probe_app):
    probe, _ = probe_app
    assert probe.test_client().get("/probe/two-writes/probe twice").status_code == 500
    assert _stored(app, "probe twice") == 0


@pytest.mark.postgres
def test_reads_can_be_made_transactional_again(probe_app):
    probe, seen = probe_app
    probe.config["DATABASE_AUTOCOMMIT_READS"] = False
    with probe.app_context():
        db.engine.__dict__.pop("_coordination_reads", None)  # as a worker started with the setting would
    assert probe.test_client().get("/probe/read").status_code == 200
    assert seen["after read"] == "INTRANS"


@pytest.mark.postgres
def test_a_streamed_read_holds_its_cursor_in_a_transaction(probe_app):
    probe, seen = probe_app
    assert probe.test_client().get("/probe/streamed").status_code == 200
    assert seen["while streaming"] == "INTRANS"  # a server-side cursor lives only in a transaction


@pytest.mark.postgres
def test_a_stricter_isolation_chosen_for_the_engine_is_kept(probe_app):
    probe, seen = probe_app
    probe.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"isolation_level": "REPEATABLE READ"}
    with probe.app_context():
        db.engine.__dict__.pop("_coordination_reads", None)
    assert probe.test_client().get("/probe/read").status_code == 200
    assert seen["after read"] == "INTRANS"  # one snapshot for the whole request, as chosen
