"""The user guides in docs/*.md as Help pages: safe HTML, linkable sections and a synonym-aware search.

Markdown is rendered by markdown-it-py with raw HTML switched off (anything that looks like a tag is shown
as text) and its own link check (no javascript: or data: links). Every heading gets an id made from its
words, so a page can link to a section (`help.guide`, slug, `#the-gap-index`). Links between guides
(`[roles](roles.md#accounts)`) become links to Help pages; links to other files in the repository, which a
reader of the service cannot open, become plain text.

The guides are read once and kept with their modification times: a changed file is read again on the
next request, so editing a guide needs no restart.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from markupsafe import Markup

from ..terminology.matching import PhraseIndex, normalise, tokens

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

DOCS = Path(__file__).resolve().parents[2] / "docs"


@dataclass(frozen=True)
class GuideInfo:
    slug: str
    summary: str
    # Guides for the people running the service (settings, servers) are shown to coordinators only.
    operators: bool = False


# In the order the Help page lists them. docs/architecture.md is for developers and stays in the repository.
GUIDES = (
    GuideInfo("roles", "Who can do what, accounts and security."),
    GuideInfo("organisations", "The directory: search, import, merging, the map and open data."),
    GuideInfo("terminology", "Practice areas and the local words for them; SKOS download and import."),
    GuideInfo("communities", "Communities of practice, events, attendance and pledges."),
    GuideInfo("engagement", "Every engagement figure, the gap index, the gap map and the small-number rule."),
    GuideInfo("connections", "Who now knows whom: how connections are counted, the measures and privacy."),
    GuideInfo("evaluation", "Questionnaires, feedback links, equality monitoring and the impact report."),
    GuideInfo("claims", "Fees and expenses: what can be claimed, reviewing, paying and prompt payment."),
    GuideInfo("geography", "Postcodes, boundaries and maps: sources, accuracy and official boundaries."),
    GuideInfo(
        "configuration", "Settings for the people running the service, including the map background.", operators=True
    ),
    GuideInfo("deployment", "Running the service with gunicorn and PostgreSQL.", operators=True),
)
BY_SLUG = {guide.slug: guide for guide in GUIDES}


@dataclass
class Section:
    """One heading and the text under it (up to the next heading of any level)."""

    guide: str
    guide_title: str
    anchor: str
    title: str
    level: int
    text: str = ""
    title_words: set = field(default_factory=set)
    words: list = field(default_factory=list)
    word_set: set = field(default_factory=set)


@dataclass
class Guide:
    slug: str
    title: str
    summary: str
    operators: bool
    html: Markup
    contents: list[tuple[int, str, str]]  # (level, anchor, title) of the h2 and h3 headings
    sections: list[Section]


def slugify(text: str) -> str:
    """A heading's id: lower-case ASCII words joined with hyphens ('The gap index' → 'the-gap-index')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "section"


def _unique(anchor: str, used: set[str]) -> str:
    candidate, n = anchor, 2
    while candidate in used:
        candidate, n = f"{anchor}-{n}", n + 1
    used.add(candidate)
    return candidate


def _plain(inline: Token) -> str:
    """The words of an inline token (code spans and link text included, markup left out)."""
    if not inline.children:
        return inline.content
    return "".join(
        " " if child.type in ("softbreak", "hardbreak") else child.content
        for child in inline.children
        if child.type in ("text", "code_inline", "softbreak", "hardbreak")
    )


_CLASSES = {
    "paragraph_open": "govuk-body",
    "bullet_list_open": "govuk-list govuk-list--bullet",
    "ordered_list_open": "govuk-list govuk-list--number",
    "table_open": "govuk-table app-stack-table",
    "thead_open": "govuk-table__head",
    "tbody_open": "govuk-table__body",
    "tr_open": "govuk-table__row",
    "th_open": "govuk-table__header",
    "td_open": "govuk-table__cell",
    "blockquote_open": "govuk-inset-text",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
    "code_inline": "app-code",
}
_HEADING_CLASSES = {
    "h1": "govuk-heading-xl",
    "h2": "govuk-heading-l",
    "h3": "govuk-heading-m",
    "h4": "govuk-heading-s",
    "h5": "govuk-heading-s",
    "h6": "govuk-heading-s",
}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """The guides' Markdown parser, made when a guide is first rendered (a worker serving other pages never
    loads markdown-it)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")

    def fence(renderer, tokens_, idx, options, env):
        token = tokens_[idx]
        return f'<pre class="app-code-block"><code>{md.utils.escapeHtml(token.content)}</code></pre>\n'

    md.add_render_rule("fence", fence)
    md.add_render_rule("code_block", fence)
    return md


def _link_target(href: str, guide_url) -> str | None:
    """Where a guide's link should go in the service, or None to show only its text."""
    parts = urlsplit(href)
    if parts.scheme in ("http", "https", "mailto"):
        return href
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return href  # "#section" within the same guide
    name = Path(parts.path).name
    if (
        name.endswith(".md")
        and name[:-3] in BY_SLUG
        and (parts.path == name or parts.path.startswith(("./", "docs/")) or parts.path == f"../docs/{name}")
    ):
        return guide_url(name[:-3]) + (f"#{parts.fragment}" if parts.fragment else "")
    return None


def _prepare(token_list: list[Token], guide_url) -> tuple[list, list[tuple[int, str, str, str]]]:
    """Give headings ids and classes, rewrite links and label table cells; return the headings found."""
    used: set[str] = set()
    headings = []
    header_cells: list[str] = []
    column = 0
    for index, token in enumerate(token_list):
        if token.type in _CLASSES:
            token.attrSet("class", _CLASSES[token.type])
        if token.type == "heading_open":
            title = _plain(token_list[index + 1])
            anchor = _unique(slugify(title), used)
            token.attrSet("id", anchor)
            token.attrSet("class", _HEADING_CLASSES[token.tag])
            headings.append((int(token.tag[1]), anchor, title, index))
        elif token.type == "thead_open":
            header_cells = []
        elif token.type == "th_open":
            header_cells.append(_plain(token_list[index + 1]))
            token.attrSet("scope", "col")
        elif token.type == "tr_open":
            column = 0
        elif token.type == "td_open":
            if column < len(header_cells) and header_cells[column]:
                token.attrSet("data-label", header_cells[column])
            column += 1
        elif token.type == "inline":
            _rewrite_links(token, guide_url)
    return token_list, headings


def _rewrite_links(inline: Token, guide_url) -> None:
    children = inline.children or []
    kept = []
    dropping = 0
    for child in children:
        if child.type == "link_open":
            target = _link_target(child.attrGet("href") or "", guide_url)
            if target is None:
                dropping += 1
                continue
            child.attrSet("href", target)
            child.attrSet("class", "govuk-link")
        elif child.type == "link_close" and dropping:
            dropping -= 1
            continue
        elif child.type == "code_inline":
            child.attrSet("class", "app-code")
        kept.append(child)
    inline.children = kept


def _sections(slug: str, title: str, token_list: list[Token], headings) -> list[Section]:
    """Split the guide into sections at every heading, with the plain text under each."""
    sections = []
    for number, (level, anchor, heading, start) in enumerate(headings):
        end = headings[number + 1][3] if number + 1 < len(headings) else len(token_list)
        texts = [
            _plain(t) if t.type == "inline" else t.content
            for t in token_list[start + 2 : end]
            if t.type in ("inline", "fence", "code_block")
        ]
        text = " ".join(" ".join(texts).split())
        words = tokens(f"{heading} . {text}")
        sections.append(
            Section(
                slug, title, anchor if level > 1 else "", heading, level, text, set(tokens(heading)), words, set(words)
            )
        )
    return sections


def render_guide(slug: str, source: str, guide_url) -> Guide:
    """Render one guide's Markdown (guide_url(slug) gives the address of another guide)."""
    info = BY_SLUG[slug]
    markdown = _markdown()
    token_list, headings = _prepare(markdown.parse(source), guide_url)
    title = next((h[2] for h in headings if h[0] == 1), slug.title())
    # The page supplies the h1 (with the guide's title), so the Markdown's own first heading is not repeated.
    if token_list and token_list[0].type == "heading_open" and token_list[0].tag == "h1":
        body_tokens = token_list[3:]
    else:
        body_tokens = token_list
    html = Markup(markdown.renderer.render(body_tokens, markdown.options, {}))
    contents = [(level, anchor, text) for level, anchor, text, _ in headings if level in (2, 3)]
    return Guide(
        slug, title, info.summary, info.operators, html, contents, _sections(slug, title, token_list, headings)
    )


class Library:
    """The guides, read from a docs directory and re-read when a file changes (thread-safe)."""

    def __init__(self, docs: Path = DOCS):
        self.docs = Path(docs)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Guide]] = {}

    def available(self) -> list[GuideInfo]:
        return [info for info in GUIDES if (self.docs / f"{info.slug}.md").exists()]

    def guide(self, slug: str, guide_url) -> Guide | None:
        """One rendered guide, or None when there is no such guide."""
        if slug not in BY_SLUG:
            return None
        path = self.docs / f"{slug}.md"
        if not path.exists():
            return None
        modified = path.stat().st_mtime
        with self._lock:
            cached = self._cache.get(slug)
            if cached and cached[0] == modified:
                return cached[1]
        guide = render_guide(slug, path.read_text(encoding="utf-8"), guide_url)
        with self._lock:
            self._cache[slug] = (modified, guide)
        return guide

    def guides(self, guide_url, operators: bool) -> list[Guide]:
        """The guides a reader may see (operators' guides only when operators is True)."""
        found = [self.guide(info.slug, guide_url) for info in self.available() if operators or not info.operators]
        return [guide for guide in found if guide is not None]


@dataclass
class Hit:
    section: Section
    score: float
    snippet: str


def search(guides: list[Guide], phrases: list[str], typed: str, limit: int = 30) -> list[Hit]:
    """Sections using any of the phrases as whole words (synonyms included), or every typed word; best first.

    phrases come from the terminology search's expand_query (the typed text first, then the names of any
    practice area it names), so "self care" also finds sections about "supported self-management".
    """
    keys = [normalise(phrase) for phrase in phrases if normalise(phrase)]
    typed_words = set(tokens(typed))
    if not keys and not typed_words:
        return []
    index = PhraseIndex(keys)
    typed_key = normalise(typed)
    hits = []
    for guide in guides:
        for section in guide.sections:
            found = index.found_in(section.words)
            all_words = bool(typed_words) and typed_words <= section.word_set
            if not found and not all_words:
                continue
            score = 0.0
            if typed_key in found:
                score += 4
            score += len(found - {typed_key}) * 2
            score += 3 if index.found_in(list(tokens(section.title))) else 0
            score += 1 if all_words else 0
            score += len(typed_words & section.title_words)
            score += 0.5 if section.level <= 2 else 0
            hits.append(Hit(section, score, _snippet(section.text, phrases, typed)))
    hits.sort(key=lambda hit: (-hit.score, hit.section.guide_title, hit.section.title))
    return hits[:limit]


def _snippet(text: str, phrases: list[str], typed: str, width: int = 220) -> str:
    """About a sentence of the section around the first word searched for."""
    lowered = text.casefold()
    words = [w for w in re.findall(r"[\w-]+", typed.casefold()) if len(w) > 2]
    spots = [lowered.find(p.casefold()) for p in phrases if p and p.casefold() in lowered]
    spots += [lowered.find(w) for w in words if w in lowered]
    start = max(min(spots) - width // 3, 0) if spots else 0
    piece = text[start : start + width].strip()
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


LIBRARY = Library()
