"""The directory map's stored layer: every located organisation as arrays, once per directory data version.

A map view's clusters come from the located organisations matching its filters (clusters.Layer). Reading
those from the database costs what the directory holds (0.4–1 s at 117,500), so it is done once per
change, not per view and per worker: the **base layer** holds every located organisation in id order
(id, rounded coordinates, Web Mercator x and y) with small codes for what the filters without words test
(status, borough, type, boroughs worked in, practice areas, the "needs attention" facts). It is written
to the instance folder (`map-layers/base-<digest>.npz`, a temporary file renamed into place) and read
back with numpy in a few milliseconds by every worker, before or after a restart.

* Filters without words are masks over the base layer; a search with words is the search's own matched
  ids (`queries.map_matched_ids`, ids only) placed in the base layer by binary search. Either way the view
  is the same, byte for byte, as one built from the database.
* The digest names the database, the base tables' data versions (organisation, its boroughs and its
  tags) and FORMAT, so a stored layer is never read for other data. The version is read before the rows,
  so a layer may hold newer rows than its name says, never older ones: a view never shows a layer older
  than the data.
* Built ahead of time: a commit that wrote to the directory's tables (an edit, an import, the demo seed)
  starts a build of the new version in a background thread of that worker (`schedule`), and
  `flask organisations map-layer` (run by `make run` and after `flask organisations import`) builds it
  from the command line. A view that arrives first waits for the build under way (a file lock between
  processes, a lock within one) or builds it itself. When the instance folder cannot be written, each
  process builds and keeps its own layer in memory.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from geo.boroughs import BOROUGH_CODES

from .. import background
from ..caching import app_cache
from ..extensions import db
from ..terminology.interface import Concept
from ..versions import data_version
from . import clusters, queries
from .models import (
    ATTENTION_CHECK_DAYS,
    LocationStatus,
    Organisation,
    OrganisationBorough,
    OrganisationStatus,
    OrganisationType,
)

FORMAT = 1  # the stored file's layout
FOLDER = "map-layers"
KEEP = 3  # stored layers kept (the newest): a worker may still be reading the one before
BASE_TABLES = ("organisation", "organisation_borough", "organisation_practice_area")
WAIT_SECONDS = 10  # a view waits this long for another process's build (about 1 s at 117,500), then builds itself
_STATUSES = [member.value for member in OrganisationStatus]
_TYPES = [member.value for member in OrganisationType]
_LOCATIONS = [member.value for member in LocationStatus]
_UNLOCATED = [_LOCATIONS.index(s.value) for s in (LocationStatus.NO_POSTCODE, LocationStatus.UNKNOWN_POSTCODE)]
_OUTSIDE = _LOCATIONS.index(LocationStatus.OUTSIDE_GM.value)
log = logging.getLogger(__name__)


@dataclass
class BaseLayer:
    """Every located organisation of one data version, in id order (numpy arrays of one length)."""

    arrays: dict
    names: dict = field(default_factory=dict)  # id -> safe label, shared by the filtered layers made from it

    def __getattr__(self, name):
        try:
            return self.__dict__["arrays"][name]
        except KeyError:
            raise AttributeError(name) from None

    def mask(self, filters: queries.OrganisationFilters, today: date | None = None):
        """Which organisations the filters other than words keep (the same rules as _filter_conditions)."""
        import numpy as np

        keep = np.ones(len(self.ids), dtype=bool)
        if filters.status != "any":
            keep &= self.status == _STATUSES.index(filters.status)
        if filters.borough:
            keep &= self.borough == BOROUGH_CODES.index(filters.borough)
        if filters.operates_in:
            keep &= (self.operates_in & (1 << BOROUGH_CODES.index(filters.operates_in))) != 0
        if filters.practice_area:
            tagged = np.zeros(len(self.ids), dtype=bool)
            start, end = np.searchsorted(self.tag_concepts, [filters.practice_area, filters.practice_area + 1])
            tagged[self.tag_places[start:end]] = True
            keep &= tagged
        if filters.org_type:
            keep &= self.org_type == _TYPES.index(filters.org_type)
        if filters.needs_attention:
            before = ((today or date.today()) - timedelta(days=ATTENTION_CHECK_DAYS)).toordinal()
            keep &= (
                np.isin(self.location, _UNLOCATED)
                | ((self.location == _OUTSIDE) & ~self.works_somewhere)
                | (self.checked < before)  # never checked is stored as -1
                | self.no_contact
            )
        return keep

    def layer(self, filters: queries.OrganisationFilters) -> clusters.Layer:
        """The clusters' layer for these filters: a mask, and with words the search's matched ids."""
        import numpy as np

        keep = self.mask(filters)
        if filters.q:
            matched = queries.map_matched_ids(filters)
            found = np.zeros(len(self.ids), dtype=bool)
            found[np.searchsorted(self.ids, matched[np.isin(matched, self.ids)])] = True  # ids are in order
            keep &= found
        return clusters.Layer(
            ids=self.ids[keep],
            lat=self.lat[keep],
            lon=self.lon[keep],
            x=self.x[keep],
            y=self.y[keep],
            names=self.names,
        )


def base_from_rows(organisations, links, tags) -> BaseLayer:
    """The base layer from queries.map_layer_rows()."""
    import numpy as np

    count = len(organisations)
    columns = list(zip(*organisations)) if count else [()] * 9
    ids = np.array(columns[0], dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    coordinates = np.column_stack((np.array(columns[1], np.float64), np.array(columns[2], np.float64)))
    places = queries._rounded_places(coordinates[order])
    lat, lon = places[:, 0].copy(), places[:, 1].copy()
    x, y = clusters._mercator(lat, lon)

    def codes(column: int, values) -> object:
        index = {value: number for number, value in enumerate(values)}
        return np.array([index.get(value, -1) for value in columns[column]], dtype=np.int8)[order]

    checked = np.array(columns[7], dtype="datetime64[D]")[order]
    epoch = date(1970, 1, 1).toordinal()
    checked = np.where(np.isnat(checked), -1, checked.astype(np.int64) + epoch).astype(np.int32)

    def places_of(organisation_ids):
        """Each id's place in the layer, and which ids are in it at all (unlocated ones are not)."""
        wanted = np.array(organisation_ids, dtype=np.int64)
        if not count:
            return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
        at = np.minimum(np.searchsorted(ids, wanted), count - 1)
        return at, ids[at] == wanted

    link_ids, link_codes = (list(column) for column in zip(*links)) if links else ([], [])
    at, present = places_of(link_ids)
    works_somewhere = np.zeros(count, dtype=bool)
    works_somewhere[at[present]] = True
    bit = {code: 1 << number for number, code in enumerate(BOROUGH_CODES)}
    bits = np.array([bit.get(code, 0) for code in link_codes], dtype=np.int32)
    operates_in = np.zeros(count, dtype=np.int32)
    np.bitwise_or.at(operates_in, at[present], bits[present])
    tag_ids, tag_concepts = (list(column) for column in zip(*tags)) if tags else ([], [])
    at, present = places_of(tag_ids)
    concepts = np.array(tag_concepts, dtype=np.int64)[present]
    tag_order = np.lexsort((at[present], concepts))
    arrays = {
        "ids": ids,
        "lat": lat,
        "lon": lon,
        "x": x,
        "y": y,
        "status": codes(3, _STATUSES),
        "borough": codes(4, BOROUGH_CODES),
        "org_type": codes(5, _TYPES),
        "location": codes(6, _LOCATIONS),
        "checked": checked,
        "no_contact": np.array(columns[8], dtype=bool)[order],
        "works_somewhere": works_somewhere,
        "operates_in": operates_in,
        "tag_concepts": concepts[tag_order],
        "tag_places": at[present][tag_order],
    }
    return BaseLayer(arrays)


# --- One layer per data version: in memory, in the instance folder, or built ---------------------------


def version() -> tuple:
    return data_version(BASE_TABLES)


def _path(base_version: tuple) -> Path:
    whole = (FORMAT, db.engine.url.render_as_string(hide_password=True), base_version)
    digest = hashlib.blake2b(repr(whole).encode(), digest_size=16).hexdigest()
    return Path(current_app.instance_path) / FOLDER / f"base-{digest}.npz"


def _memory():
    return app_cache("map base layers", maxsize=2)


_locks_lock = threading.Lock()


def _process_lock(path: Path) -> threading.Lock:
    """One lock per stored layer within this process: a view waits for the build of its own version only."""
    with _locks_lock:
        locks = current_app.extensions.setdefault("coordination.map_layer_locks", {})
        if str(path) not in locks and len(locks) >= 8:
            locks.clear()  # old versions' locks (a thread holding one keeps its own reference)
        return locks.setdefault(str(path), threading.Lock())


def base_layer(base_version: tuple | None = None) -> BaseLayer:
    """The base layer of this data version (the current one by default): kept in memory, else read from
    the instance folder, else built now (after waiting for a build already under way)."""
    base_version = base_version if base_version is not None else version()
    path = _path(base_version)
    memory = _memory()
    with _process_lock(path):
        return memory.get_or_build(str(path), lambda: _read(path) or _build_once(path))


def _read(path: Path) -> BaseLayer | None:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as stored:
            return BaseLayer({name: stored[name] for name in stored.files})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as error:  # cut short or unreadable: built again
        log.warning("map layer %s unreadable (%s): building it again", path.name, error)
        return None


def _build_once(path: Path) -> BaseLayer:
    """Build and store the layer, unless another process stored it while this one waited for the lock."""
    with _file_lock(path.parent) as locked:
        if locked:
            stored = _read(path)
            if stored is not None:
                return stored
        started = time.perf_counter()
        # Hundreds of thousands of plain tuples, none in a cycle: the collector would walk them again and
        # again while they are made (a third of the build), so it waits until they are arrays.
        collecting = gc.isenabled()
        gc.disable()
        try:
            layer = base_from_rows(*queries.map_layer_rows())
        finally:
            if collecting:
                gc.enable()
        _store(path, layer)
        current_app.logger.info(
            "map layer of %s organisations built in %.2f s", f"{len(layer.ids):,}", time.perf_counter() - started
        )
        return layer


@contextmanager
def _file_lock(folder: Path):
    """Hold the folder's build lock (True), waiting for another process's build; False when the folder
    cannot be written (each process then builds its own) or the wait ran out."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".build.lock", "a+b")  # noqa: SIM115 - closed below, after the build
    except OSError as error:
        log.warning("map layers cannot be stored in %s (%s): kept in memory", folder, error)
        yield False
        return
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(0.02)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _store(path: Path, layer: BaseLayer) -> None:
    """Write the layer whole (a temporary file renamed into place), then keep only the newest few."""
    import numpy as np

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(temporary, "wb") as handle:
            np.savez(handle, **layer.arrays)
        os.replace(temporary, path)
        stored = sorted(path.parent.glob("base-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in stored[KEEP:]:
            old.unlink(missing_ok=True)
        for left in path.parent.glob(".base-*.tmp"):  # from a process that ended mid-write
            if time.time() - left.stat().st_mtime > 3600:
                left.unlink(missing_ok=True)
    except OSError as error:
        log.warning("map layer %s not stored (%s): kept in this process's memory", path.name, error)


def layer(filters: queries.OrganisationFilters, directory_version: tuple) -> clusters.Layer:
    """The clusters' layer for these filters at this directory version (kept for the next view)."""
    key = (directory_version, tuple(sorted(filters.to_args().items())))
    # Each layer holds arrays for every matching organisation, so only a few filter sets are kept.
    return app_cache("map layers", maxsize=4).get_or_build(key, lambda: base_layer().layer(filters))


# --- Built after every directory write, in the background ---------------------------------------------


def build_now() -> tuple[Path, int, bool]:
    """Make sure the current version's layer is stored (the command line): (file, organisations, built)."""
    db.session.rollback()  # a fresh read: the version and rows as committed now
    base_version = version()
    path = _path(base_version)
    built = not path.exists()
    layer = base_layer(base_version)
    return path, len(layer.ids), built


def schedule(app) -> None:
    """Build the current version's layer in a background thread of this process (again when a build is
    under way: the data changed during it)."""
    background.start(app, ("map-layer", id(app)), lambda: base_layer(), name="map-layer", again=True)


def wait_for_builds(timeout: float = 120) -> None:
    background.wait(timeout=timeout)


_WRITTEN = "coordination.map_layer.written"
_TABLES = frozenset(BASE_TABLES)


@event.listens_for(Session, "after_flush")
def _note_flush(session, context) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Organisation | OrganisationBorough) or (
            isinstance(instance, Concept) and instance in session.deleted  # its tags go with it
        ):
            session.info[_WRITTEN] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    written = state.is_insert or state.is_update or state.is_delete
    if written and getattr(getattr(state.statement, "table", None), "name", None) in _TABLES:
        state.session.info[_WRITTEN] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if not session.info.pop(_WRITTEN, False) or not has_app_context():
        return
    if current_app.config.get("MAP_LAYER_BUILD_AFTER_WRITES", True):
        schedule(current_app._get_current_object())


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop(_WRITTEN, None)
