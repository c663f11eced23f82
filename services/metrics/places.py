"""Where a board is and what its places are called. Pure: no I/O (the division list is reference data).

Metrics files a communicator under a city and a province (directory.city_and_province). The districts of
the four municipalities (北京, 天津, 上海, 重庆) have the province as their parent in the Ministry of Civil
Affairs' list, so their city is the province code (110000). People also know a municipality by its
official city code (110100 北京市市辖区; 500200 重庆市县): every one of those codes names the same board
as the province code, for a city board and a province board alike. A county-level city directly under a
province (省直辖县级市: 五指山 469001, 仙桃 429004, 济源 419001) has no prefecture above it: it is its own city
board. Any other code that is not a city
(for scope city) or not a province (for scope province) is refused with its own error, never answered
with an empty board.
"""
from kepu_common.domain import regions
from kepu_common.interfaces.errors import InvalidInput

MUNICIPALITIES = ("110000", "120000", "310000", "500000")
# the municipalities' official city-level codes (市辖区, 县) -> the code metrics files them under
MUNICIPAL_CITY_CODES = {"110100": "110000", "120100": "120000", "310100": "310000", "500100": "500000",
                        "500200": "500000"}


def _refuse(field_code, code):
    field = (field_code, {"as_of": regions.data_as_of()}) if field_code == "region_unknown" else field_code
    return InvalidInput("leaderboard_code_invalid", {"code": field}, given=code)


def board_code(scope, code):
    """The code a city or province board is filed under; other scopes' codes pass through unchanged."""
    if scope not in ("city", "province"):
        return code
    code = str(code).strip()
    if code in MUNICIPAL_CITY_CODES:
        return MUNICIPAL_CITY_CODES[code]
    division = regions.lookup(code)
    if division is None:
        raise _refuse("region_unknown", code)
    level = regions.LEVELS[division.level]
    if scope == "city" and (level == "city" or code in MUNICIPALITIES or _directly_under_a_province(division)):
        return code
    if scope == "province" and level == "province":
        return code
    raise _refuse("not_a_city" if scope == "city" else "not_a_province", code)


def _directly_under_a_province(division):
    """A county-level city under a province itself (省直辖县级市: 五指山, 仙桃, 济源): its own city board."""
    parent = regions.lookup(division.parent_code) if division.parent_code else None
    return (regions.LEVELS[division.level] == "county" and parent is not None
            and regions.LEVELS[parent.level] == "province" and parent.code not in MUNICIPALITIES)


def name(code):
    """The full name of a division (广东省广州市天河区) for a code metrics holds; None when there is none."""
    if not code:
        return None
    code = MUNICIPAL_CITY_CODES.get(str(code), str(code))
    if regions.lookup(code) is None:
        return None
    return regions.describe(code)["full_name"]
