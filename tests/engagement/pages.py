"""The overview as a browser gets it: the page, then the gap map's script it links to (served apart)."""

from __future__ import annotations

import re
from html import unescape

SCRIPT = re.compile(r'<script nonce="[^"]+" src="(/engagement/gap-map\.js\?[^"]+)"></script>')


def gap_map_script_url(html: str) -> str:
    match = SCRIPT.search(html)
    assert match, "the overview links to its gap map's script"
    return unescape(match.group(1))


def overview_with_map(client, url: str) -> str:
    """The page's HTML followed by its map script's text (where the figures and markers are)."""
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    script = client.get(gap_map_script_url(html))
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    return html + "\n" + script.get_data(as_text=True)
