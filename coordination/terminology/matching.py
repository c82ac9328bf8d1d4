"""The one normaliser every search and report uses, and phrase matching built on it.

`normalise(text)` gives a compact key: case-folded, accents and punctuation gone, each word put
into British spelling and singular, then the words joined with nothing between them. Joining is
what makes "self-care", "self care" and "selfcare" the same key. Because the key loses word
boundaries, phrase matching inside longer text works on *tokens* (`tokens(text)`): a label is
found when the keys of some run of consecutive words joined together equal the label's key, so
"we offer selfcare groups" and "self-care" still meet, but "myself careful" never matches "self
care" (the run must start and end on whole words).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable

_WORD = re.compile(r"[a-z0-9]+")
_MAX_ROUNDS = 8

# Whole-word US → British spellings that suffix rules cannot reach.
_WORDS = {
    "program": "programme",
    "catalog": "catalogue",
    "dialog": "dialogue",
    "analog": "analogue",
    "aging": "ageing",
    "fulfill": "fulfil",
    "enroll": "enrol",
    "judgment": "judgement",
    "mold": "mould",
    "gray": "grey",
    "pediatric": "paediatric",
    "maneuver": "manoeuvre",
    "mgmt": "management",
}
# Endings in US spelling → British, longest first. Over-matching ("size" → "sise") is harmless:
# keys are only compared with other keys, never shown.
_ENDINGS = [
    ("ization", "isation"), ("izations", "isations"), ("izing", "ising"), ("ized", "ised"),
    ("izer", "iser"), ("ize", "ise"),
    ("yzing", "ysing"), ("yzed", "ysed"), ("yze", "yse"),
    ("center", "centre"), ("centered", "centred"), ("centering", "centring"),
    ("color", "colour"), ("favor", "favour"), ("behavior", "behaviour"), ("labor", "labour"),
    ("neighbor", "neighbour"), ("honor", "honour"), ("humor", "humour"), ("rumor", "rumour"),
    ("counseling", "counselling"), ("counselor", "counsellor"), ("traveling", "travelling"),
    ("modeling", "modelling"), ("labeling", "labelling"), ("defense", "defence"), ("offense", "offence"),
    ("liter", "litre"), ("fiber", "fibre"), ("theater", "theatre"),
]
_ENDINGS.sort(key=lambda pair: -len(pair[0]))


def _singular(word: str) -> str:
    """Simple English plurals: groups → group, bodies → body, classes → class, churches → church."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses") or word.endswith(("ches", "shes", "xes", "zzes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


def _british(word: str) -> str:
    """US spellings in their British form (organization → organisation, program → programme)."""
    if word in _WORDS:
        return _WORDS[word]
    for us, uk in _ENDINGS:
        if word.endswith(us):
            return word[: len(word) - len(us)] + uk
    return word


def _settle(word: str) -> str:
    """Apply the word rules until nothing changes (so normalising twice changes nothing)."""
    for _ in range(_MAX_ROUNDS):
        changed = _british(_singular(word))
        if changed == word:
            return word
        word = changed
    return word


def _fold(text: str) -> str:
    """Case-fold, strip accents and turn '&' into 'and'."""
    text = unicodedata.normalize("NFKD", (text or "").upper().casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("&", " and ")


@lru_cache(maxsize=65536)
def _word_key(word: str) -> str:
    return _settle(word)


def tokens(text: str) -> list[str]:
    """The words of a text, each case-folded, in British spelling and singular."""
    return [_word_key(word) for word in _WORD.findall(_fold(text))]


def normalise(text: str) -> str:
    """The compact matching key: 'Self-Care', 'self care' and 'selfcares' all give 'selfcare'."""
    return _word_key("".join(tokens(text)))


def run_keys(words: list[str], max_chars: int) -> set[str]:
    """Keys of every run of consecutive words (up to max_chars long): the phrases a text contains."""
    keys = set()
    for start in range(len(words)):
        joined = ""
        for word in words[start:]:
            joined += word
            if len(joined) > max_chars + 3:  # +3: a settled key can be a little longer ("program" → "programme")
                break
            keys.add(_word_key(joined))
    return keys


def contains_phrase(text: str, phrase: str) -> bool:
    """True when the text uses the phrase as whole words (in any of its spellings and joinings)."""
    key = normalise(phrase)
    if not key:
        return False
    return key in run_keys(tokens(text), len(key))


def mentions(text: str, phrases: Iterable[str]) -> list[str]:
    """The phrases (as given) that the text uses as whole words."""
    keyed = [(phrase, normalise(phrase)) for phrase in phrases]
    keyed = [(phrase, key) for phrase, key in keyed if key]
    if not keyed or not text:
        return []
    found = run_keys(tokens(text), max(len(key) for _, key in keyed))
    return [phrase for phrase, key in keyed if key in found]


def variants(phrase: str) -> list[str]:
    """Plain-text forms of a phrase for substring pre-filters: as written, spaced, hyphenated and joined."""
    words = _WORD.findall(_fold(phrase))
    forms = [phrase.strip().casefold(), " ".join(words), "-".join(words), "".join(words)]
    seen: list[str] = []
    for form in forms:
        if form and form not in seen:
            seen.append(form)
    return seen
