"""The sensitive-word check: listed words are found through the usual disguises, and innocent text is not."""
import pytest

from services.resources.sensitive_words import DEFAULT_LIST, WordList, from_settings, normalize, read_list

WORDS = WordList(["赌博", "代开发票", "Casino"])


@pytest.mark.parametrize("text", [
    "来玩赌博吧",
    "来玩赌\u200b博吧",            # zero-width space
    "来玩赌\u200d博吧",            # zero-width joiner
    "来玩赌\ufeff博吧",            # BOM / zero-width no-break space
    "来玩赌\u2060博吧",            # word joiner
    "来玩赌\u00ad博吧",            # soft hyphen
    "来玩赌\u202e博吧",            # right-to-left override
    "来玩赌 博吧",                 # a space
    "来玩赌\u3000博吧",            # an ideographic (full-width) space
    "来玩赌\t\n博吧",              # tab and newline
    "来玩赌.博吧", "来玩赌_博吧", "来玩赌★博吧", "来玩赌、博吧", "来玩赌-博吧",  # punctuation and symbols between
    "來玩賭博吧",                  # traditional characters
    "代開發票",                    # traditional
    "代 開 發 票",                 # traditional and spaced
    "ＣＡＳＩＮＯ night",           # full-width Latin, upper case
    "c a s i n o",                 # spaced Latin
    "CaSiNo",
])
def test_disguised_words_are_found(text):
    assert WORDS.hits(text), text


@pytest.mark.parametrize("text", ["科学防疫，人人有责", "博物馆里赌一把？不", "发票请向单位财务开具", "casinos are not here"[:3]])
def test_innocent_text_passes(text):
    assert WORDS.hits(text) == []


def test_each_word_once_in_order_of_appearance():
    assert WORDS.hits("代开发票，赌博，再赌博") == ["代开发票", "赌博"]


def test_listed_words_are_normalized_too():
    assert WordList(["賭 博"]).hits("赌博") == ["賭 博"]


def test_normalize_folds_width_case_traditional_and_drops_invisibles():
    assert normalize("Ｗ\u200bＷ Ｗ") == "www"
    assert normalize("發") == "发"
    assert normalize("") == ""


def test_empty_list_finds_nothing():
    assert WordList([]).hits("赌博") == []
    assert WordList(["", "  ", "\u200b"]).size == 0


def test_the_list_is_configurable(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("# comment\n\n谣言\n", encoding="utf-8")
    assert read_list(path) == ["谣言"]
    words = from_settings({"sensitive_words_file": str(path), "sensitive_words": ["假药"]})
    assert words.hits("谣 言和假藥") == ["谣言", "假药"]
    assert from_settings({}).size == len(read_list(DEFAULT_LIST))


def test_ten_thousand_words_compile_and_match():
    many = WordList([f"词{n:05d}" for n in range(10_000)] + ["赌博"])
    assert many.size == 10_001
    assert many.hits("这里有词00042和赌\u200b博") == ["词00042", "赌博"]
