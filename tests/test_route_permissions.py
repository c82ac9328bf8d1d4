"""Every route is in the permissions table, and every role gets exactly what the table says."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from werkzeug.routing.converters import NumberConverter

from tests.conftest import sign_in

ROLES = ("coordinator", "finance", "partner", "contributor")
TESTS = Path(__file__).resolve().parent


def permission_table() -> dict:
    """The core table merged with every area's tests/<area>/routes.py."""
    table = dict(importlib.import_module("tests.routes").ROUTES)
    for info in pkgutil.iter_modules([str(TESTS)]):
        if info.ispkg and (TESTS / info.name / "routes.py").exists():
            area = importlib.import_module(f"tests.{info.name}.routes").ROUTES
            overlap = set(area) & set(table)
            assert not overlap, f"endpoints listed twice: {overlap}"
            table.update(area)
    return table


def sample_url(rule) -> str:
    """Fill a rule's variables with values that exist in no database (access is checked first)."""
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        numeric = isinstance(converter, NumberConverter) or kind in ("IntegerConverter", "FloatConverter")
        values[name] = 999999 if numeric else "E08000005" if "code" in name else "zz-none"
    return rule.build(values, append_unknown=False)[1]


def rules(app):
    return [rule for rule in app.url_map.iter_rules()]


def test_every_route_is_in_the_permission_table(app):
    table = permission_table()
    missing = sorted({rule.endpoint for rule in rules(app)} - set(table))
    assert not missing, f"add these endpoints to a tests/<area>/routes.py table: {missing}"


def test_the_permission_table_names_no_route_that_does_not_exist(app):
    stale = sorted(set(permission_table()) - {rule.endpoint for rule in rules(app)})
    assert not stale, f"remove these from the permission tables: {stale}"


def _cases(app):
    table = permission_table()
    for rule in rules(app):
        if rule.endpoint == "static" or table.get(rule.endpoint) == "public":
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, method, table[rule.endpoint]


@pytest.mark.parametrize("role", ROLES + (None,))
def test_each_role_gets_exactly_the_routes_the_table_allows(app, client, create_user, role):
    if role:
        sign_in(client, create_user(role))
    failures = []
    for rule, method, allowed in _cases(app):
        url = sample_url(rule)
        response = client.open(url, method=method)
        status = response.status_code
        if role is None:
            ok = status in (302, 401) and (status == 401 or "/sign-in" in response.headers.get("Location", ""))
        elif role in allowed:
            ok = status != 403
        else:
            ok = status == 403
        if not ok:
            failures.append(f"{method} {url} as {role or 'anonymous'}: {status} (table allows {sorted(allowed)})")
    assert not failures, "\n".join(failures)
