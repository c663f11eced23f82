"""The division lookup (GET /regions) reads the same table every check validates against."""
from kepu_common.domain import regions


def test_children_go_province_city_county_township():
    provinces = regions.children("")
    assert len(provinces) == 33 and provinces[0].code == "110000"
    assert {d.level for d in regions.children("440000")} == {2}  # 广东省's cities
    assert [d.code for d in regions.children("110105")][:2] == ["110105001", "110105002"]  # 朝阳区's streets
    assert regions.entry(regions.any_lookup("110105001")) == {
        "code": "110105001", "name": "建外街道", "level": "township", "parent_code": "110105",
        "full_name": "北京市朝阳区建外街道", "has_children": False}


def test_cities_without_counties_count_as_counties():
    for city in ("441900", "442000", "620200", "460400"):  # 东莞, 中山, 嘉峪关, 儋州
        assert regions.counts_as_county(city)
        assert regions.children(city) and {d.level for d in regions.children(city)} == {4}
        assert regions.full_path(regions.children(city)[0].code)[:2] == [city[:2] + "0000", city]
    assert not regions.counts_as_county("440300")  # 深圳 has districts
    assert not regions.counts_as_county("440000") and regions.counts_as_county("110105")


def test_find_by_name_exact_first_and_within_a_parent():
    assert regions.find("朝阳区")[0].name == "朝阳区"
    assert [d.code for d in regions.find("建外街道")] == ["110105001"]
    inside = regions.find("东城街道", parent="441900")
    assert [d.code for d in inside] == ["441900003"]
    assert regions.find("  ") == [] and regions.find("不存在的地名") == []
    assert len(regions.find("街道", limit=5)) == 5
