"""Making user-typed text inert in map labels."""

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.safe_text import safe_properties, safe_text
from tests.geo.conftest import XSS_CORPUS

DANGEROUS = ["<", ">", "`", "${", "\\", '"', "'", "</script"]


@pytest.mark.parametrize("text", XSS_CORPUS)
def test_the_xss_corpus_loses_every_dangerous_character(text):
    made_safe = safe_text(text)
    for fragment in DANGEROUS:
        assert fragment not in made_safe


@pytest.mark.parametrize("text", XSS_CORPUS)
def test_made_safe_text_reads_back_as_the_original(text):
    assert html.unescape(safe_text(text)) == text


@given(
    st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=0x2000, exclude_characters="\x7f\u2028\u2029"),
        max_size=200,
    )
)
def test_any_printable_text_round_trips_and_stays_inert(text):
    made_safe = safe_text(text, max_length=None)
    assert html.unescape(made_safe) == text
    assert not any(ch in made_safe for ch in "<>`\\\"'${}")


def test_none_becomes_empty_and_numbers_become_text():
    assert safe_text(None) == ""
    assert safe_text(12) == "12"


def test_newlines_become_spaces_and_long_text_is_shortened():
    assert safe_text("a\nb\r\nc") == "a b  c"
    assert safe_text("x" * 600) == "x" * 499 + "…"


def test_properties_have_only_their_strings_made_safe():
    assert safe_properties({"name": "<b>", "count": 3}) == {"name": "&lt;b&gt;", "count": 3}
