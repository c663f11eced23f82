"""The sensitive-word check for community posts and comments (plain code, no I/O besides reading the list).

A text is normalized before it is matched, so the usual tricks do not hide a listed word:
- full-width and compatibility forms (ＡＢＣ, ①, ｶ) become their plain forms (Unicode NFKC), letters lower case;
- traditional characters become simplified (OpenCC's t2s tables: 發票 matches 发票);
- zero-width and other invisible format characters (U+200B…, U+FEFF, soft hyphen, bidi marks) are dropped;
- spaces, punctuation and symbols between characters are dropped (赌 博, 赌.博, 赌_博, 赌★博 all match 赌博).
The listed words are normalized the same way. Matching is one pass of an Aho-Corasick automaton
(ahocorasick-rs, the Rust aho-corasick crate) over the normalized text: the cost grows with the text, not
with the length of the list. pyahocorasick was tried first and refused: with a Chinese list its root node has
thousands of children searched one by one, 1.3 ms per 80-character comment against 11 µs here (10,000 words,
measured once with bench/social.py's list and comments; pyahocorasick is not kept installed).

A hit does not refuse the text: it is held for a moderator (services/resources/moderation.py)."""
import unicodedata
from functools import lru_cache
from pathlib import Path

import ahocorasick_rs
import opencc

DEFAULT_LIST = Path(__file__).resolve().parent / "data" / "sensitive_words.txt"
# categories dropped from the normalized text: separators, punctuation, symbols, control and format characters
_DROPPED_CATEGORIES = ("Z", "P", "S", "C")


class _Dropped(dict):
    """str.translate's table: a code point of a dropped category maps to None, any other to itself; each
    code point is classified once (then a dict hit in C)."""

    def __missing__(self, code):
        kept = None if unicodedata.category(chr(code))[0] in _DROPPED_CATEGORIES else code
        self[code] = kept
        return kept


_DROP = _Dropped()


@lru_cache(maxsize=1)
def _t2s():
    return opencc.OpenCC("t2s")


def normalize(text):
    """The form texts and words are compared in (see the module's docstring)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = folded.translate(_DROP)
    return _t2s().convert(kept) if kept else kept


def read_list(path):
    """Words of a list file: one a line, blank lines and lines starting with # ignored."""
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.lstrip().startswith("#")]


class WordList:
    """A compiled list: `hits(text)` gives the listed words a text contains (after normalization)."""

    def __init__(self, words):
        keys = {}
        for word in words:
            key = normalize(word)
            if key and key not in keys:
                keys[key] = word
        self._keys = list(keys)
        self._words = list(keys.values())
        self.size = len(self._keys)
        self._automaton = ahocorasick_rs.AhoCorasick(self._keys) if self._keys else None

    def hits(self, text):
        """The listed words found in text, each once, in the order they appear (overlapping ones too)."""
        if not self.size or not text:
            return []
        found = {}
        for index, _start, _end in self._automaton.find_matches_as_indexes(normalize(text), overlapping=True):
            found.setdefault(self._words[index], None)
        return list(found)


def from_settings(settings):
    """The list the service uses: RESOURCES.sensitive_words_file (default: data/sensitive_words.txt) plus
    any words in RESOURCES.sensitive_words."""
    path = settings.get("sensitive_words_file") or DEFAULT_LIST
    return WordList(read_list(path) + list(settings.get("sensitive_words") or ()))
