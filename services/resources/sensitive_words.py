"""The sensitive-word check for community posts and comments (plain code, no I/O besides reading the list).

A text is normalized before it is matched, so the usual tricks do not hide a listed word:
- full-width and compatibility forms (ＡＢＣ, ①, ｶ) become their plain forms (Unicode NFKC), letters lower case;
- traditional characters become simplified (OpenCC's t2s tables: 發票 matches 发票);
- zero-width and other invisible format characters (U+200B…, U+FEFF, soft hyphen, bidi marks) are dropped;
- spaces, punctuation and symbols between characters are dropped (赌 博, 赌.博, 赌_博, 赌★博 all match 赌博).
The listed words are normalized the same way. Matching is one pass of pyahocorasick's Aho-Corasick
automaton over the normalized text: the cost grows with the text, not with the length of the list.

A hit does not refuse the text: it is held for a moderator (services/resources/moderation.py)."""
import unicodedata
from functools import lru_cache
from pathlib import Path

import ahocorasick
import opencc

DEFAULT_LIST = Path(__file__).resolve().parent / "data" / "sensitive_words.txt"
# categories dropped from the normalized text: separators, punctuation, symbols, control and format characters
_DROPPED_CATEGORIES = ("Z", "P", "S", "C")


@lru_cache(maxsize=1)
def _t2s():
    return opencc.OpenCC("t2s")


def normalize(text):
    """The form texts and words are compared in (see the module's docstring)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in _DROPPED_CATEGORIES)
    return _t2s().convert(kept) if kept else kept


def read_list(path):
    """Words of a list file: one a line, blank lines and lines starting with # ignored."""
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.lstrip().startswith("#")]


class WordList:
    """A compiled list: `hits(text)` gives the listed words a text contains (after normalization)."""

    def __init__(self, words):
        self._automaton = ahocorasick.Automaton()
        self.size = 0
        for word in words:
            key = normalize(word)
            if key and key not in self._automaton:
                self._automaton.add_word(key, word)
                self.size += 1
        if self.size:
            self._automaton.make_automaton()

    def hits(self, text):
        """The listed words found in text, each once, in the order they appear."""
        if not self.size or not text:
            return []
        found = {}
        for _end, word in self._automaton.iter(normalize(text)):
            found.setdefault(word, None)
        return list(found)


def from_settings(settings):
    """The list the service uses: RESOURCES.sensitive_words_file (default: data/sensitive_words.txt) plus
    any words in RESOURCES.sensitive_words."""
    path = settings.get("sensitive_words_file") or DEFAULT_LIST
    return WordList(read_list(path) + list(settings.get("sensitive_words") or ()))
