"""Import runs: the background step with its progress page, and undoing an import (web and command line)."""

import io
import json

from sqlalchemy import func, select

from coordination.audit import AuditEntry
from coordination.extensions import db
from coordination.organisations import import_runs
from coordination.organisations.models import ImportStatus, Organisation, OrganisationImport
from tests.conftest import page

FILE = (
    "Name,Charity number,Email,Phone,Areas served\n"
    "Existing Trust,1123456,new@existing.org,0161 496 0099,Wigan\n"
    "Brand New Group,,hello@new.org,,Bolton\n"
)


def _count():
    return db.session.scalar(select(func.count()).select_from(Organisation))


def _import_on_the_web(client, data: bytes = FILE.encode(), name="orgs.csv"):
    upload = client.post(
        "/organisations/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )
    mapping_url = upload.headers["Location"]
    preview = page(client.get(mapping_url))
    form = {
        select["name"]: (select.select_one("option[selected]") or {"value": ""})["value"]
        for select in preview.select("select")
    }
    posted = client.post(mapping_url, data=form)
    assert posted.status_code == 302
    return posted.headers["Location"]


def test_the_web_import_runs_in_the_background_and_the_progress_page_follows_it(app, signed_in):
    client, _ = signed_in("coordinator")
    app.config["IMPORT_IN_BACKGROUND"] = True
    try:
        progress_url = _import_on_the_web(client)
        run_id = int(progress_url.rsplit("/", 1)[1])
        first = page(client.get(progress_url))
        status = first.select_one("#import-status")["data-status"]
        if status in ("queued", "running"):
            # Without JavaScript the page refreshes itself until the import is done.
            assert first.select_one('meta[http-equiv="refresh"]') is not None
        import_runs.wait_for(run_id)
    finally:
        app.config["IMPORT_IN_BACKGROUND"] = False
    db.session.expire_all()
    done = page(client.get(progress_url))
    assert done.select_one("#import-status")["data-status"] == "finished"
    assert done.select_one('meta[http-equiv="refresh"]') is None
    assert done.select_one('[data-count="created"]').get_text() == "2"
    assert _count() == 2


def test_an_import_that_fails_in_the_background_says_why_and_changes_nothing(app, signed_in, monkeypatch):
    from coordination.organisations import importer

    client, _ = signed_in("coordinator")
    monkeypatch.setattr(importer, "_write", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk full")))
    progress = page(client.get(_import_on_the_web(client)))
    assert progress.select_one("#import-status")["data-status"] == "failed"
    assert "nothing was changed" in progress.select_one("#import-status").get_text()
    assert _count() == 0


def test_a_run_left_running_by_a_restarted_server_is_shown_as_stopped(app, signed_in):
    from datetime import timedelta

    from coordination.timeutil import utcnow

    client, _ = signed_in("coordinator")
    run = OrganisationImport(
        source="old.csv", status=ImportStatus.RUNNING, options={}, heartbeat_at=utcnow() - timedelta(hours=1)
    )
    db.session.add(run)
    db.session.commit()
    text = page(client.get(f"/organisations/imports/{run.id}")).select_one("#import-status").get_text()
    assert "stopped without finishing" in text


def test_undo_restores_changed_records_and_removes_created_ones(app, signed_in, create_organisation):
    client, user = signed_in("coordinator")
    existing = create_organisation(name="Existing Trust", charity_number="1123456", email="", phone="0161 496 0000")
    progress_url = _import_on_the_web(client)
    result = page(client.get(progress_url))
    changes = result.select_one("#changes").get_text()
    assert "0161 496 0000" in changes and "0161 496 0099" in changes and "new@existing.org" in changes
    db.session.refresh(existing)
    assert existing.phone == "0161 496 0099" and existing.operates_in_codes == ["E08000010"]
    assert _count() == 2
    undo = result.select_one("form[action$='/undo']")["action"]
    client.post(undo)
    db.session.expire_all()
    existing = db.session.get(Organisation, existing.id)
    assert existing.phone == "0161 496 0000" and existing.email is None and existing.operates_in_codes == []
    assert _count() == 1
    after = page(client.get(progress_url))
    assert after.select_one("#import-status")["data-status"] == "undone"
    assert "1 records put back and 1 removed" in after.select_one("#undo-result").get_text()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.import_undone"))
    assert entry.actor_id == user.id and entry.after["removed"] == 1
    # Undoing twice does nothing more.
    client.post(undo)
    assert _count() == 1


def test_undo_keeps_records_and_values_edited_since_the_import(app, signed_in, create_organisation):
    from coordination.organisations.operations import update_organisation

    client, _ = signed_in("coordinator")
    existing = create_organisation(name="Existing Trust", charity_number="1123456", email="", phone="0161 496 0000")
    progress_url = _import_on_the_web(client)
    run_id = int(progress_url.rsplit("/", 1)[1])
    new = db.session.scalar(select(Organisation).where(Organisation.name == "Brand New Group"))
    update_organisation(new, {"phone": "0161 496 0111"})
    db.session.refresh(existing)
    update_organisation(existing, {"phone": "0161 496 0222"})
    result = import_runs.undo_import(db.session.get(OrganisationImport, run_id))
    assert result["removed"] == 0 and result["kept_created"] == [new.id]
    db.session.expire_all()
    assert db.session.get(Organisation, new.id) is not None
    existing = db.session.get(Organisation, existing.id)
    assert existing.phone == "0161 496 0222" and existing.email is None  # kept the edit, put back the rest


def test_the_command_line_import_can_be_undone_from_the_command_line(app, tmp_path):
    source = tmp_path / "orgs.csv"
    source.write_text(FILE)
    runner = app.test_cli_runner()
    summary = json.loads(runner.invoke(args=["organisations", "import", str(source)]).output.strip().splitlines()[-1])
    assert summary["created"] == 2 and _count() == 2
    undone = runner.invoke(args=["organisations", "undo-import", str(summary["import"])])
    assert undone.exit_code == 0, undone.output
    assert json.loads(undone.output)["removed"] == 2 and _count() == 0
    again = runner.invoke(args=["organisations", "undo-import", str(summary["import"])])
    assert again.exit_code == 1 and "once" in again.output


def test_the_imports_page_lists_recent_imports(app, signed_in):
    client, _ = signed_in("coordinator")
    _import_on_the_web(client)
    rows = page(client.get("/organisations/imports")).select("#imports tbody tr")
    assert len(rows) == 1 and "orgs.csv" in rows[0].get_text()


def test_a_running_import_shows_how_far_it_has_got_and_refreshes_itself(app, signed_in):
    client, _ = signed_in("coordinator")
    run = OrganisationImport(
        source="big.csv",
        status=ImportStatus.RUNNING,
        options={},
        phase="Checking rows",
        total_rows=17500,
        processed_rows=500,
    )
    db.session.add(run)
    db.session.commit()
    shown = page(client.get(f"/organisations/imports/{run.id}"))
    assert "Checking rows: 500 of 17,500 rows" in shown.select_one("#import-status").get_text()
    assert shown.select_one("progress")["value"] == "500"
    assert shown.select_one('meta[http-equiv="refresh"]')["content"] == "2"
    assert shown.select_one("form[action$='/undo']") is None
