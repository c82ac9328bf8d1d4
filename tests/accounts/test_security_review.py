"""Security review for accounts: the sign-in 'next' link never leaves the site, however it is disguised."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\r/evil.example/",
        "/\x00/evil.example/",
        " //evil.example/",
        "/ /evil.example/",
        "/\\evil.example/",
        "///evil.example/",
        "https:/evil.example/",
    ],
)
def test_a_next_link_that_a_browser_would_read_as_another_site_goes_home_instead(client, create_user, target):
    user = create_user("coordinator")
    response = client.post("/sign-in", query_string={"next": target}, data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_local_next_link_with_a_query_string_is_still_followed(client, create_user):
    user = create_user("coordinator")
    response = client.post(
        "/sign-in",
        query_string={"next": "/organisations?q=carers&page=2"},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/organisations?q=carers&page=2"
