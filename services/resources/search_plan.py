"""How to read a keyword search: from the GIN index (few matches: fetch them all, sort, take a page) or
along the newest / most-downloaded index, testing rows until a page is full (many matches).

PostgreSQL makes this choice well for one lexeme it has statistics for, but treats the pairs of a
phrase as independent (新冠, 冠肺 and 肺炎 each in 6% of rows makes 0.02%, when the phrase is in 6%) and
then reads 60,000 rows through the GIN index for a page of 20. The choice is made here instead, from
the same statistics (pg_stats' most common lexemes), with a phrase as frequent as its rarest pair.
"""
import time

REFRESH_SECONDS = 600
# reading a row along the order index costs about twice a row fetched for the GIN index, which need
# not read the row's search terms; for a phrase both read them (positions are checked on the row)
ORDER_ROW_COST = 2.0
PHRASE_ORDER_ROW_COST = 1.0


class LexemeStats:
    def __init__(self, frequencies, min_frequency, rows):
        self.frequencies = frequencies
        self.unknown = min_frequency / 2  # what PostgreSQL assumes for a lexeme not in its list
        self.rows = max(rows, 1.0)
        self.by_first = {}
        for lexeme, frequency in frequencies.items():
            self.by_first[lexeme[0]] = self.by_first.get(lexeme[0], 0.0) + frequency

    def frequency(self, lexeme):
        return self.frequencies.get(lexeme, self.unknown)

    def part_frequency(self, kind, value):
        if kind == "phrase":
            return min(self.frequency(pair) for pair in value)
        # a prefix: every lexeme starting with its first character, an upper bound
        return min(1.0, self.by_first.get(value[0], self.unknown))


def read_by_order(stats, parts, type_lexeme, wanted):
    """True when walking the order index fills `wanted` rows sooner than fetching every match."""
    density = min(stats.part_frequency(kind, value) for kind, value in parts)
    candidates = stats.rows * (stats.frequency(type_lexeme) if type_lexeme else 1.0)
    matches = density * candidates
    # order index: about wanted / density rows tested; GIN index: every match fetched
    phrase = any(kind == "phrase" and len(value) > 1 for kind, value in parts)
    return matches * matches > (PHRASE_ORDER_ROW_COST if phrase else ORDER_ROW_COST) * wanted * candidates


_cache = {}


def lexeme_stats(cur):
    """The search column's statistics for this database, refreshed every REFRESH_SECONDS; None before
    the table was first analyzed."""
    key = cur.connection.dsn
    cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < REFRESH_SECONDS:
        return cached[1]
    cur.execute(
        "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples FROM pg_stats s "
        "JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = to_regnamespace(s.schemaname) "
        "WHERE s.schemaname = current_schema() AND s.tablename = 'resources' AND s.attname = 'search'")
    row = cur.fetchone()
    stats = None
    if row and row[0]:
        lexemes, frequencies, rows = row
        stats = LexemeStats(dict(zip(lexemes, frequencies)), frequencies[len(lexemes)], rows)
    _cache[key] = (time.monotonic(), stats)
    return stats


def steer(cur, by_order):
    """For this transaction's next query. Walking the order index (True): no other way is left open (no
    bitmap scan, sequential scan, sort or parallel workers: underestimating a phrase, the planner would
    otherwise read a whole index and sort). Reading the GIN index (False): the query itself sorts by an
    expression no index provides (search.SORTED_AFTER). Either way JIT stays off: it costs tens of
    milliseconds on a query of a few. None: the planner decides, as configured."""
    if by_order is None:
        return
    settings = ["jit"] + (["enable_bitmapscan", "enable_seqscan", "enable_sort"] if by_order else [])
    cur.execute("SELECT " + ", ".join(f"set_config('{name}', 'off', true)" for name in settings) +
                (", set_config('max_parallel_workers_per_gather', '0', true)" if by_order else ""))
