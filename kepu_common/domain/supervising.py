"""Which supervising-unit category (归口单位类别) a directory organization is chosen under (plain code).

Seed 004: "首先选择类别，如有关部委、省科协、市科协、区县科协、全国学会，然后输入关键字…点击选择", and "直辖市有关
区县，请首先选择“市科协”". A district CAST of 北京/天津/上海/重庆 is stored in the directory as a county CAST
(区县科协), but it is chosen under 市科协 (city_cast), never under 区县科协.

One function says it, and both sides use it: identity's directory search (`supervising_category`) offers
exactly the organizations this maps to the category asked for, and the activities service's rule
(`municipal_district_is_city_cast`, `supervising_category_mismatch`) accepts exactly those.
"""
from kepu_common.interfaces.contracts import SUPERVISING_CATEGORIES

MUNICIPALITIES = ("110000", "120000", "310000", "500000")  # 北京, 天津, 上海, 重庆


def is_municipal_district(region_path):
    """A division under a municipality (its district or anything below), not the municipality itself."""
    return len(region_path) >= 2 and region_path[0] in MUNICIPALITIES


def chosen_under(org_category, region_path):
    """The supervising category a directory organization is chosen under, or None when it cannot supervise
    an activity (a school, an enterprise...). region_path: the organization's division path, province first."""
    if org_category == "county_cast" and is_municipal_district(region_path):
        return "city_cast"
    return org_category if org_category in SUPERVISING_CATEGORIES else None


def directory_filter(supervising_category):
    """(SQL condition over `category` and `region_path`, params) selecting the organizations chosen_under maps
    to supervising_category: the same rule, for a directory kept in SQL (identity's organizations)."""
    district = "(cardinality(region_path) >= 2 AND region_path[1] = ANY(%(municipalities)s))"
    params = {"supervising_category": supervising_category, "municipalities": list(MUNICIPALITIES)}
    if supervising_category == "city_cast":
        return f"(category = 'city_cast' OR (category = 'county_cast' AND {district}))", params
    if supervising_category == "county_cast":
        return f"(category = 'county_cast' AND NOT {district})", params
    return "category = %(supervising_category)s", params
