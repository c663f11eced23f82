"""Topics (频道/专题) as people type them: one normalized key per topic, so 科学 防疫, 科学防疫 and the
full-width ＣＯＶＩＤ are found together. No I/O; migration 0004 computes the same key in SQL."""
import re
import unicodedata

_SPACE = re.compile(r"\s+")


def key(name):
    """The normalized form a topic is matched by: NFKC (full-width to half-width), no whitespace, lower case."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name)).lower()


def keys(names):
    """The distinct keys of a resource's topics, in order, without empty ones."""
    return [k for k in dict.fromkeys(key(name) for name in names) if k]
