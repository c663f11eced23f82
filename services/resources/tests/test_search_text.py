"""The search terms, without a database: what a document and a query turn into."""
from services.resources.search_text import MAX_POSITION, document_vector, query


def lexemes(vector):
    return {item.split(":")[0]: item.partition(":")[2] for item in vector.split(" ")}


def test_a_cjk_run_gives_its_pairs_and_its_last_character_at_consecutive_positions():
    assert lexemes(document_vector("雾霾天", [], "")) == {"雾霾": "1A", "霾天": "2A", "天": "3A"}


def test_fields_are_weighted_and_kept_apart():
    terms = lexemes(document_vector("雾霾", ["健康"], "防护"))
    assert terms["雾霾"].endswith("A") and terms["健康"].endswith("B") and terms["防护"].endswith("D")
    positions = [int(terms[word][:-1]) for word in ("雾霾", "健康", "防护")]
    assert all(later - earlier > 2 for earlier, later in zip(positions, positions[1:]))


def test_latin_words_are_lower_cased_and_full_width_forms_folded():
    assert set(lexemes(document_vector("ＣＯＶＩＤ-19 Vaccine", [], ""))) == {"covid", "19", "vaccine"}


def test_positions_never_exceed_postgres_limit():
    vector = document_vector("标题", [], "科普" * 20000)
    assert max(int(p[:-1]) for spots in lexemes(vector).values() for p in spots.split(",")) <= MAX_POSITION


def test_queries():
    assert query("雾霾") == "雾霾"
    assert query("新冠肺炎") == "(新冠 <-> 冠肺 <-> 肺炎)"
    assert query("雾") == "雾:*"
    assert query("COVID 疫苗") == "covid:* & 疫苗"
    assert query("，！ ") is None
    assert query("a'b|c&d") == "a:* & b:* & c:* & d:*"  # tsquery operators never pass through


def test_the_type_is_a_lexeme_no_text_can_produce():
    vector = document_vector("type video", [], "", "video")
    assert lexemes(vector)["type_video"] == "" and "type" in lexemes(vector)
