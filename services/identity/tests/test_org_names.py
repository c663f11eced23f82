"""The name matcher on real organization names: 省/市/区县科协, 学会, 街道, 学校, 企业."""
import pytest

from services.identity.org_names import CONTAINS, EXACT, PREFIX, rank, search_key, short_division, tier

DIRECTORY = [
    "中国科学技术协会",
    "广东省科学技术协会",
    "广州市科学技术协会",
    "北京市朝阳区科学技术协会",
    "辽宁省朝阳市科学技术协会",
    "上海市浦东新区科学技术协会",
    "广西壮族自治区科学技术协会",
    "延边朝鲜族自治州科学技术协会",
    "中华医学会",
    "北京市朝阳区建外街道办事处",
    "北京市第八十中学",
    "中山大学",
    "深圳市腾讯计算机系统有限公司",
    "中国科学技术馆",
]


@pytest.mark.parametrize("full, short", [
    ("北京市", "北京"), ("广东省", "广东"), ("朝阳区", "朝阳"), ("浦东新区", "浦东"), ("大兴安岭地区", "大兴安岭"),
    ("广西壮族自治区", "广西"), ("新疆维吾尔自治区", "新疆"), ("延边朝鲜族自治州", "延边"),
    ("黔西南布依族苗族自治州", "黔西南"), ("巴音郭楞蒙古自治州", "巴音郭楞"), ("香港特别行政区", "香港"),
    ("双江拉祜族佤族布朗族傣族自治县", "双江"),
    # one character left would be no name at all
    ("城区", "城区"), ("赵县", "赵县"),
])
def test_divisions_shorten_the_way_people_say_them(full, short):
    assert short_division(full) == short


def test_a_key_shortens_divisions_and_abbreviates():
    assert search_key("北京市朝阳区科学技术协会") == "北京朝阳科协"
    assert search_key("广西壮族自治区科学技术协会") == "广西科协"
    assert search_key("中国科学技术馆") == "中国科技馆"
    assert search_key("Ｋepu　科普 第３中学") == "kepu科普第3中学"  # full-width, spaces, digits


def test_words_that_only_look_like_places_stay():
    assert search_key("中山大学") == "中山大学"  # 中山市 is a division, 中山 alone is not shortened
    assert search_key("中华医学会") == "中华医学会"


@pytest.mark.parametrize("query", ["科协", "朝阳区科协", "北京朝阳", "北京市朝阳区科协", "北京朝阳科协",
                                   "朝阳科学技术协会", "北京市朝阳区科学技术协会", "科学技术协"])
def test_short_forms_find_the_full_name(query):
    assert "北京市朝阳区科学技术协会" in rank(query, DIRECTORY, limit=20)


def test_province_short_form_finds_the_province_first():
    assert rank("广东省科协", DIRECTORY)[0] == "广东省科学技术协会"
    assert rank("广东科协", DIRECTORY) == ["广东省科学技术协会"]
    assert rank("广西科协", DIRECTORY) == ["广西壮族自治区科学技术协会"]
    assert rank("延边科协", DIRECTORY) == ["延边朝鲜族自治州科学技术协会"]


def test_exact_then_prefix_then_contains():
    assert tier("北京朝阳科协", "北京市朝阳区科学技术协会") == EXACT
    assert tier("北京市朝阳区科学技术协会", "北京市朝阳区科学技术协会") == EXACT
    assert tier("北京朝阳", "北京市朝阳区科学技术协会") == PREFIX
    assert tier("朝阳区科协", "北京市朝阳区科学技术协会") == CONTAINS
    assert rank("科协", DIRECTORY)[:1] == ["中国科学技术协会"]  # shortest first within a tier
    assert rank("朝阳", DIRECTORY) == ["北京市朝阳区科学技术协会", "辽宁省朝阳市科学技术协会", "北京市朝阳区建外街道办事处"]


@pytest.mark.parametrize("query, expected", [
    ("中华医学会", ["中华医学会"]),  # 学会
    ("建外街道", ["北京市朝阳区建外街道办事处"]),  # 街道
    ("北京八十中", []),  # no fuzzy guesses: 八十中 is not in 第八十中学
    ("北京第八十中学", ["北京市第八十中学"]),  # 学校
    ("深圳腾讯", ["深圳市腾讯计算机系统有限公司"]),  # 企业
    ("腾讯", ["深圳市腾讯计算机系统有限公司"]),
    ("科技馆", ["中国科学技术馆"]),
    ("上海浦东科协", ["上海市浦东新区科学技术协会"]),
])
def test_real_names(query, expected):
    assert rank(query, DIRECTORY) == expected


def test_nothing_for_an_empty_query_or_a_stranger():
    assert rank("", DIRECTORY) == []
    assert rank("   ", DIRECTORY) == []
    assert rank("上海朝阳", DIRECTORY) == []
