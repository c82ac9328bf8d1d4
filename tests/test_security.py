"""Security headers, CSP, cookies and CSRF."""

import re

import pytest

from tests.conftest import PASSWORD, page


def test_every_page_carries_a_strict_content_security_policy(client):
    csp = client.get("/sign-in").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'self'"
    for name in ("script-src", "style-src"):
        sources = directives[name].split()
        assert all(s == "'self'" or s.startswith("'nonce-") for s in sources), sources
    assert "unsafe-eval" not in csp


def test_inline_scripts_carry_the_response_nonce(client):
    response = client.get("/sign-in")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    scripts = page(response).select("script:not([src])")
    assert scripts and all(s.get("nonce") == nonce for s in scripts)


def test_no_page_loads_scripts_or_styles_from_another_host(client):
    soup = page(client.get("/sign-in"))
    for tag in soup.select("script[src], link[href]"):
        url = tag.get("src") or tag.get("href")
        assert url.startswith("/"), url


@pytest.mark.parametrize(
    "header,value",
    [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ],
)
def test_security_headers_are_on_every_response(client, header, value):
    for path in ("/sign-in", "/healthz", "/no-such-page"):
        assert client.get(path).headers[header] == value


def test_pages_with_personal_data_are_not_cached(signed_in):
    client, _ = signed_in("coordinator")
    assert client.get("/accounts").headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_http_only_and_same_site_lax(client, create_user):
    user = create_user("coordinator")
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_state_changing_forms_are_refused_without_a_csrf_token(app, client, create_user):
    user = create_user("coordinator")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 400
        assert "form expired" in response.get_data(as_text=True)
        token = page(client.get("/sign-in")).select_one("input[name=csrf_token]")["value"]
        response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        response = client.post("/sign-out")
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_vendor_assets_are_served_from_the_app_but_nothing_else_in_node_modules(client):
    response = client.get("/vendor/leaflet/dist/leaflet.js")
    assert response.status_code == 200
    assert client.get("/vendor/leaflet/package.json").status_code == 404
    assert client.get("/vendor/sass/sass.dart.js").status_code == 404
    assert client.get("/vendor/../package.json").status_code == 404
