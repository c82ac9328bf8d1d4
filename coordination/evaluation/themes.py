"""Suggesting barrier and enabler themes for written answers, in the words people actually use.

A theme matches an answer when the answer contains the theme's name, one of its own listed words, or any
name the terminology service knows for them (expand_query: "self-care" also finds "supported
self-management"). Suggestions are only suggestions: a coordinator ticks the themes that fit.
"""

from __future__ import annotations

import re

from ..terminology.interface import expand_query
from .models import Theme


def theme_phrases(theme: Theme) -> list[str]:
    """Every phrase that signals the theme: its name, its words and their synonyms."""
    seeds = [theme.name] + [w.strip() for w in (theme.words or "").split(",") if w.strip()]
    phrases: list[str] = []
    for seed in seeds:
        found, _, _ = expand_query(seed)
        for phrase in [seed, *found]:
            if phrase and phrase.casefold() not in (p.casefold() for p in phrases):
                phrases.append(phrase)
    return phrases


def _pattern(phrases: list[str]) -> re.Pattern | None:
    words = [re.escape(p.casefold()) for p in phrases if len(p) >= 3]
    return re.compile(r"\b(" + "|".join(sorted(words, key=len, reverse=True)) + r")", re.IGNORECASE) if words else None


def suggest_themes(texts: list[str | None], themes: list[Theme]) -> list[list[Theme]]:
    """For each text, the themes whose phrases it contains (in the themes' order)."""
    patterns = [(theme, _pattern(theme_phrases(theme))) for theme in themes]
    return [[theme for theme, pattern in patterns if text and pattern and pattern.search(text)] for text in texts]
