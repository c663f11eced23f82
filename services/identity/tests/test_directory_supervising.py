"""The directory's 归口单位 suggestions agree with the activity form's rule, for every municipality and every
supervising category: what the search offers under a category is accepted under it, and what the rule
accepts is offered (seed 004: 直辖市有关区县，请首先选择“市科协”)."""
import uuid

import pytest

from kepu_common.domain import regions
from kepu_common.interfaces.contracts import ORG_CATEGORIES, SUPERVISING_CATEGORIES
from services.activities import rules
from services.identity.org_names import search_key
from services.identity.service import IdentityService
from services.identity.tests.test_accounts import call, register, sql

MUNICIPALITIES = {"110000": ("北京市", "110105", "朝阳区"), "120000": ("天津市", "120101", "和平区"),
                  "310000": ("上海市", "310115", "浦东新区"), "500000": ("重庆市", "500101", "万州区")}
# a province beside them: its county and city CASTs keep their own categories
OTHERS = [("广州市天河区科学技术协会", "county_cast", "440106"), ("广州市科学技术协会", "city_cast", "440100"),
          ("广东省科学技术协会", "provincial_cast", "440000")]


def directory_rows():
    rows = list(OTHERS)
    for code, (city, district_code, district) in MUNICIPALITIES.items():
        rows += [(f"{city}{district}科学技术协会", "county_cast", district_code),
                 (f"{city}科学技术协会", "provincial_cast", code),
                 (f"{city}{district}科技馆", "other", district_code),
                 (f"{city}{district}实验小学", "school", district_code),
                 (f"{city}气象局", "ministry", code),
                 (f"{city}气象学会", "national_society", code)]
    return rows


@pytest.fixture
def directory(start_service):
    container = start_service(IdentityService)
    registrant = register(container, "13800150000")["user"]["id"]
    orgs = []
    for name, category, region in directory_rows():
        org_id = str(uuid.uuid4())
        sql(container, "INSERT INTO organizations (id, name, name_key, category, region_code, region_path, licence_key, "
                       "contact_name, contact_phone_sealed, contact_phone_masked, registrant_id, status) "
                       "VALUES (%s, %s, %s, %s, %s, %s, 'licences/x', '李联络', '\\x00', '010****0000', %s, 'approved')",
            (org_id, name, search_key(name), category, region, regions.path(region), registrant))
        orgs.append({"id": org_id, "name": name, "category": category, "region_code": region,
                     "status": "verified"})  # as the activities service keeps it from org_verified
    return container, orgs


def test_suggestions_and_rule_agree_for_every_municipality_and_category(directory):
    container, orgs = directory
    for province in [*MUNICIPALITIES, "440000"]:
        for category in SUPERVISING_CATEGORIES:
            offered = {hit["id"]: hit for hit in call(container, "search_orgs", {
                "supervising_category": category, "region": province, "limit": 50})}
            accepted = {org["id"] for org in orgs if rules.province_of(org["region_code"]) == province
                        and rules.check_supervising(category, org) == {}}
            assert set(offered) == accepted, (province, category)
            assert all(hit["supervising_category"] == category for hit in offered.values())


def test_a_municipal_district_is_found_by_keyword_under_city_cast_only(directory):
    container, _ = directory
    for code, (city, _, district) in MUNICIPALITIES.items():
        short = city[:2] + district[:2]  # 北京朝阳, as a user types it
        under_city = call(container, "search_orgs", {"q": short, "supervising_category": "city_cast"})
        assert [hit["name"] for hit in under_city] == [f"{city}{district}科学技术协会"], code
        assert under_city[0]["category"] == "county_cast" and under_city[0]["supervising_category"] == "city_cast"
        assert call(container, "search_orgs", {"q": short, "supervising_category": "county_cast"}) == []
        # the plain directory search keeps its meaning: the unit is a county CAST
        assert [h["name"] for h in call(container, "search_orgs", {"q": short, "category": "county_cast"})] == [
            f"{city}{district}科学技术协会"]
    tianhe = call(container, "search_orgs", {"q": "天河", "supervising_category": "county_cast"})
    assert [(h["name"], h["supervising_category"]) for h in tianhe] == [("广州市天河区科学技术协会", "county_cast")]
    assert call(container, "search_orgs", {"q": "天河", "supervising_category": "city_cast"}) == []


def test_every_hit_says_the_category_it_is_chosen_under(directory):
    container, orgs = directory
    hits = call(container, "search_orgs", {"q": "实验小学"})
    assert hits and all(hit["supervising_category"] is None for hit in hits)  # a school cannot supervise
