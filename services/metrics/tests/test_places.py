"""Board codes and region names (services/metrics/places.py): no I/O."""
import pytest

from kepu_common.interfaces.errors import InvalidInput
from services.metrics import directory, places


@pytest.mark.parametrize("city_code, province_code", [("110100", "110000"), ("120100", "120000"),
                                                      ("310100", "310000"), ("500100", "500000"),
                                                      ("500200", "500000")])
def test_a_municipalitys_city_code_and_its_province_code_give_one_board(city_code, province_code):
    for scope in ("city", "province"):
        assert places.board_code(scope, city_code) == province_code
        assert places.board_code(scope, province_code) == province_code
    # where metrics files a district's shares: the same code
    district = {"110000": "110105", "120000": "120101", "310000": "310101", "500000": "500101"}[province_code]
    assert directory.city_and_province(district) == (province_code, province_code)


def test_a_citys_code_passes_and_so_do_cities_without_counties():
    assert places.board_code("city", "440100") == "440100"
    assert places.board_code("city", "441900") == "441900"  # 东莞
    assert places.board_code("province", "440000") == "440000"
    assert places.board_code("org", "not-a-division") == "not-a-division"
    # county-level cities directly under a province are their own city, where metrics files their people
    for county_city in ("469001", "429004", "419001"):
        assert places.board_code("city", county_city) == county_city
        assert directory.city_and_province(county_city)[0] == county_city
    assert directory.city_and_province("440305") == ("440300", "440000")


@pytest.mark.parametrize("scope, code, field_code", [
    ("city", "440000", "not_a_city"), ("city", "110105", "not_a_city"), ("city", "460000", "not_a_city"),
    ("city", "440305", "not_a_city"), ("city", "999999", "region_unknown"),
    ("province", "440100", "not_a_province"), ("province", "123456", "region_unknown")])
def test_a_code_of_another_level_is_refused_never_an_empty_board(scope, code, field_code):
    with pytest.raises(InvalidInput) as refused:
        places.board_code(scope, code)
    assert refused.value.payload["message"] == "leaderboard_code_invalid"
    assert refused.value.payload["fields"]["code"]["code"] == field_code


def test_region_names():
    assert places.name("110105") == "北京市朝阳区"
    assert places.name("110100") == "北京市"
    assert places.name("440100") == "广东省广州市"
    assert places.name(None) is None and places.name("999999") is None
