"""Help: the guides as pages, safe, linkable, searchable with synonyms; every 'how it is worked out' link lands."""

import re
from pathlib import Path

import pytest

from coordination.help import guides
from tests.conftest import ROOT, page


def test_every_role_sees_the_user_guides_and_only_coordinators_the_operators_guides(signed_in):
    client, _ = signed_in("contributor")
    soup = page(client.get("/help"))
    titles = [a.get_text(strip=True) for a in soup.select(".app-help-guides a")]
    assert "Claims: fees and expenses for contributors" in titles
    assert "Configuration" not in titles
    assert client.get("/help/configuration").status_code == 404
    assert client.get("/help/architecture").status_code == 404  # developers read it in the repository
    assert client.get("/help/no-such-guide").status_code == 404


def test_the_coordinator_also_sees_the_operators_guides(signed_in):
    client, _ = signed_in("coordinator")
    titles = [a.get_text(strip=True) for a in page(client.get("/help")).select(".app-help-guides a")]
    assert "Configuration" in titles
    assert client.get("/help/configuration").status_code == 200


def test_a_guide_has_one_h1_a_contents_list_and_headings_with_ids(signed_in):
    client, _ = signed_in("partner")
    soup = page(client.get("/help/engagement"))
    assert [h.get_text(strip=True) for h in soup.select("h1")] == ["Engagement figures, the gap index and the gap map"]
    assert soup.select_one("h2#the-gap-index") is not None
    contents = [a["href"] for a in soup.select(".app-guide__contents a")]
    assert "#the-gap-index" in contents
    for href in contents:
        assert soup.select_one(href) is not None, href


def test_links_between_guides_open_help_pages_and_repository_paths_become_text():
    html = str(
        guides.render_guide(
            "roles",
            "# Roles\n\nSee [the claims guide](claims.md#for-finance), [docs](docs/engagement.md), "
            "[code](../coordination/app.py) and [GOV.UK](https://www.gov.uk).\n",
            lambda slug: f"/help/{slug}",
        ).html
    )
    assert 'href="/help/claims#for-finance"' in html
    assert 'href="/help/engagement"' in html
    assert "app.py" not in html and ", code and" in html
    assert 'href="https://www.gov.uk"' in html


def test_raw_html_and_script_links_in_markdown_stay_inert():
    html = str(
        guides.render_guide(
            "roles",
            "# T\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n",
            lambda slug: f"/help/{slug}",
        ).html
    )
    assert "<script" not in html and "<img" not in html
    assert "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert "&lt;script&gt;" in html


def test_the_search_finds_sections_by_their_words_and_by_a_practice_areas_other_names(signed_in):
    from coordination.terminology import demo

    demo.seed(None)  # the starting vocabulary: "self-care" is a name of supported self-management
    client, _ = signed_in("coordinator")
    soup = page(client.get("/help", query_string={"q": "gap index"}))
    hrefs = [a["href"] for a in soup.select(".app-help-results a")]
    assert hrefs[0] in ("/help/engagement#the-gap-index", "/help/engagement")
    assert "/help/engagement#the-gap-index" in hrefs
    soup = page(client.get("/help", query_string={"q": "self care"}))
    assert "Supported self-management" in soup.select_one("#also-searched").get_text()
    assert soup.select(".app-help-results a")  # the terminology guide speaks of supported self-management


def test_a_search_with_no_match_says_so(signed_in):
    client, _ = signed_in("finance")
    soup = page(client.get("/help", query_string={"q": "zebra crossing quantum"}))
    assert "No section of the guides uses those words" in soup.get_text()


TEMPLATE_LINK = re.compile(r"help_url\('([a-z-]+)'(?:, '([a-z0-9-]+)')?\)")


@pytest.mark.parametrize(
    "template",
    sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html") if "help_url(" in p.read_text()),
)
def test_every_how_it_is_worked_out_link_lands_on_a_real_section(template):
    for slug, anchor in TEMPLATE_LINK.findall(Path(ROOT / template).read_text()):
        guide = guides.LIBRARY.guide(slug, lambda s: f"/help/{s}")
        assert guide is not None, slug
        if anchor:
            assert anchor in {s.anchor for s in guide.sections}, f"{template}: {slug}#{anchor}"


def test_no_page_mentions_a_guide_by_its_repository_path():
    for path in (ROOT / "templates").rglob("*.html"):
        assert "docs/" not in path.read_text(), path


def test_no_guide_has_a_table_column_without_a_heading():
    """A blank header cell is read out as nothing by screen readers (axe: empty-table-header) on the help pages."""
    problems = []
    for path in sorted((ROOT / "docs").glob("*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, (line, below) in enumerate(zip(lines, lines[1:]), start=1):
            if line.startswith("|") and below.replace(" ", "").startswith("|---"):
                cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
                if any(not cell for cell in cells):
                    problems.append(f"{path}:{number}: {line}")
    assert not problems, problems
