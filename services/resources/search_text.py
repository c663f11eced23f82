"""Chinese-aware search terms for PostgreSQL full-text search, computed here so writes and queries agree.

Stock PostgreSQL has no Chinese parser, and pg_trgm cannot use its index for a 2-character pattern
(docs/architecture.md). A document becomes, per run of CJK characters, its character pairs plus the
run's last character, each at its own position; Latin letters and digits become lower-cased words.
A 2-character query is then a single lexeme, a longer one a phrase of pairs (新冠肺炎 = 新冠 <-> 冠肺 <->
肺炎, so it matches exactly that substring), and a single character a prefix match on the pairs.
"""
import re
import unicodedata

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_RUNS = re.compile(f"([{_CJK}]+)|([a-z0-9]+)")
MAX_POSITION = 16383  # PostgreSQL's limit; later positions are clamped to it
FIELD_GAP = 10  # keeps a phrase from matching across fields or runs
WEIGHTS = {"title": "A", "keywords": "B", "description": "D"}


def _normalize(text):
    # full-width letters and digits (ＣＯＶＩＤ１９) become ASCII; case is ignored
    return unicodedata.normalize("NFKC", text or "").lower()


def _runs(text):
    for match in _RUNS.finditer(_normalize(text)):
        cjk, word = match.groups()
        yield (cjk, True) if cjk else (word, False)


def _terms(run, is_cjk):
    """(offset, lexeme) for one run."""
    if not is_cjk:
        return [(0, run)]
    terms = [(i, run[i:i + 2]) for i in range(len(run) - 1)]
    terms.append((len(run) - 1, run[-1]))
    return terms


def type_term(resource_type):
    """The resource's type as a lexeme: text never yields one (no underscore in a word), and the GIN index
    can then intersect a word with a type instead of fetching every row with the word to filter by type."""
    return f"type_{resource_type}"


def document_vector(title, keywords, description, resource_type=None):
    """The tsvector literal for a resource (cast with ::tsvector)."""
    positions = {}
    position = 1
    for field, texts in (("title", [title]), ("keywords", keywords or []), ("description", [description])):
        weight = WEIGHTS[field]
        for text in texts:
            for run, is_cjk in _runs(text):
                for offset, lexeme in _terms(run, is_cjk):
                    at = min(position + offset, MAX_POSITION)
                    positions.setdefault(lexeme, {}).setdefault(at, weight)
                position += len(run) + FIELD_GAP
    terms = [f"{lexeme}:" + ",".join(f"{at}{weight}" for at, weight in sorted(spots.items()))
             for lexeme, spots in sorted(positions.items())]
    if resource_type:
        terms.append(type_term(resource_type))
    return " ".join(terms)


def query_parts(text):
    """What a user typed, as the parts that must all match: ("phrase", [pairs]) for a CJK run of 2+
    characters, ("prefix", stem) for one character or a Latin word (雾 finds 雾霾, covi finds covid)."""
    parts = []
    for run, is_cjk in _runs(text):
        if is_cjk and len(run) > 1:
            parts.append(("phrase", [run[i:i + 2] for i in range(len(run) - 1)]))
        else:
            parts.append(("prefix", run))
    return parts


def query(text):
    """The tsquery literal for what a user typed (cast with ::tsquery), or None if it holds no word.

    A phrase of pairs matches exactly that substring (新冠 <-> 冠肺 <-> 肺炎 is not 肺炎新冠).
    """
    parts = []
    for kind, value in query_parts(text):
        if kind == "prefix":
            parts.append(f"{value}:*")
        else:
            parts.append(value[0] if len(value) == 1 else "(" + " <-> ".join(value) + ")")
    return " & ".join(parts) or None
