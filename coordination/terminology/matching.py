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
from collections.abc import Iterable
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")
_MAX_ROUNDS = 8

# US spellings → British, as word endings (so joined forms such as "selfmgmt" follow too), longest
# first. Over-matching ("size" → "sise", "staging" → "stageing") is harmless: keys are only
# compared with other keys, never shown.
_ENDINGS = [
    ("ization", "isation"),
    ("izations", "isations"),
    ("izing", "ising"),
    ("ized", "ised"),
    ("izer", "iser"),
    ("ize", "ise"),
    ("yzing", "ysing"),
    ("yzed", "ysed"),
    ("yze", "yse"),
    ("center", "centre"),
    ("centered", "centred"),
    ("centering", "centring"),
    ("color", "colour"),
    ("favor", "favour"),
    ("behavior", "behaviour"),
    ("labor", "labour"),
    ("neighbor", "neighbour"),
    ("honor", "honour"),
    ("humor", "humour"),
    ("rumor", "rumour"),
    ("counseling", "counselling"),
    ("counselor", "counsellor"),
    ("traveling", "travelling"),
    ("modeling", "modelling"),
    ("labeling", "labelling"),
    ("defense", "defence"),
    ("offense", "offence"),
    ("liter", "litre"),
    ("fiber", "fibre"),
    ("theater", "theatre"),
    ("program", "programme"),
    ("catalog", "catalogue"),
    ("dialog", "dialogue"),
    ("analog", "analogue"),
    ("aging", "ageing"),
    ("fulfill", "fulfil"),
    ("enroll", "enrol"),
    ("judgment", "judgement"),
    ("mold", "mould"),
    ("gray", "grey"),
    ("pediatric", "paediatric"),
    ("maneuver", "manoeuvre"),
    ("mgmt", "management"),
]
# Endings grouped by their last two letters, so most words are checked against none or one or two.
_BY_TAIL: dict[str, list[tuple[str, str]]] = {}
for _us, _uk in sorted(_ENDINGS, key=lambda pair: -len(pair[0])):
    _BY_TAIL.setdefault(_us[-2:], []).append((_us, _uk))


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
    for us, uk in _BY_TAIL.get(word[-2:], ()):
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
    text = (text or "").upper().casefold()
    if not text.isascii():  # most text is plain ASCII: skip the slow accent stripping
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return text.replace("&", " and ")


@lru_cache(maxsize=65536)
def _word_key(word: str) -> str:
    return _settle(word)


def tokens(text: str) -> list[str]:
    """The words of a text, each case-folded, in British spelling and singular."""
    return [_word_key(word) for word in _WORD.findall(_fold(text))]


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """The compact matching key: 'Self-Care', 'self care' and 'selfcares' all give 'selfcare'."""
    return _word_key("".join(tokens(text)))


# Settling a joined run changes only its last few letters (an ending rule after a plural); with margin.
_SETTLE_REACH = max(len(us) for us, _ in _ENDINGS) + 4


class PhraseIndex:
    """A set of phrase keys that can be looked for in many texts quickly.

    A text's words are joined into runs; a run is only extended while its start could still be the
    start of some key (checked on a prefix set, allowing for the letters settling can change), so
    most runs stop after a word or two instead of growing to the longest key.
    """

    def __init__(self, keys):
        self.keys = {key for key in keys if key}
        self.max_chars = max((len(key) for key in self.keys), default=0)
        self.prefixes = {key[:n] for key in self.keys for n in range(len(key) + 1)}

    def found_in(self, words: list[str]) -> set[str]:
        """The keys that some run of consecutive words settles to."""
        found = set()
        if not self.keys:
            return found
        limit = self.max_chars + _SETTLE_REACH
        for start in range(len(words)):
            joined = ""
            for word in words[start:]:
                joined += word
                if len(joined) > limit or joined[: len(joined) - _SETTLE_REACH] not in self.prefixes:
                    break
                key = _word_key(joined)
                if key in self.keys:
                    found.add(key)
        return found


def run_keys(words: list[str], max_chars: int) -> set[str]:
    """Keys of every run of consecutive words (up to max_chars long): the phrases a text contains."""
    keys = set()
    for start in range(len(words)):
        joined = ""
        for word in words[start:]:
            joined += word
            if len(joined) > max_chars + _SETTLE_REACH:
                break
            keys.add(_word_key(joined))
    return keys


def contains_phrase(text: str, phrase: str) -> bool:
    """True when the text uses the phrase as whole words (in any of its spellings and joinings)."""
    key = normalise(phrase)
    return bool(key) and key in PhraseIndex([key]).found_in(tokens(text))


def mentions(text: str, phrases: Iterable[str], index: PhraseIndex | None = None) -> list[str]:
    """The phrases (as given) that the text uses as whole words; pass an index when checking many texts."""
    keyed = [(phrase, normalise(phrase)) for phrase in phrases]
    if not text:
        return []
    index = index or PhraseIndex(key for _, key in keyed)
    found = index.found_in(tokens(text))
    return [phrase for phrase, key in keyed if key and key in found]


def variants(phrase: str) -> list[str]:
    """Plain-text forms of a phrase for substring pre-filters: as written, spaced, hyphenated and joined."""
    words = _WORD.findall(_fold(phrase))
    forms = [phrase.strip().casefold(), " ".join(words), "-".join(words), "".join(words)]
    seen: list[str] = []
    for form in forms:
        if form and form not in seen:
            seen.append(form)
    return seen
