"""Choosing how to read a keyword search, from lexeme frequencies (no database)."""
from services.resources.search_plan import LexemeStats, read_by_order
from services.resources.search_text import query_parts

STATS = LexemeStats({"健康": 0.13, "雾霾": 0.019, "航天": 0.006, "新冠": 0.066, "冠肺": 0.06, "肺炎": 0.06,
                     "康码": 0.0001, "type_article": 0.35, "type_audio": 0.05}, 0.00004, 1_000_000)


def by_order(q, type_lexeme=None, wanted=21):
    return read_by_order(STATS, query_parts(q), type_lexeme, wanted)


def test_common_words_walk_the_order_index_rare_ones_use_the_gin_index():
    assert by_order("健康") and by_order("健康", "type_audio")
    assert not by_order("航天", "type_article") and not by_order("饕餮")  # unknown: rarer than any listed


def test_a_phrase_is_as_frequent_as_its_rarest_pair():
    assert by_order("新冠肺炎")
    assert not by_order("健康码")  # 健康 is everywhere, 康码 is not


def test_a_type_filter_and_deeper_pages_shift_the_balance():
    assert by_order("雾霾", "type_article") and not by_order("雾霾", "type_audio")
    assert by_order("雾霾", wanted=21) and not by_order("雾霾", wanted=10_001)  # page 500 needs 10,000 rows


def test_one_character_counts_every_pair_it_starts():
    assert by_order("健") and not by_order("航")
