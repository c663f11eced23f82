"""The poster pre-check (plain code, issue 30): what the text read off an activity's poster says about seed
004's rule, as a checklist for the reviewer. Seed 004: 活动宣传图……至少包含关键信息：（1）全国科普日文字（或
标识）；（2）活动名称；（3）时间；（4）主办单位; and 活动不得为商业推广、日常教学等.

The checklist never decides: an item not found may be on the poster as a picture (the 全国科普日 logo), in
an artistic font the OCR misreads, or split in a way this matching does not join. Each item says what it
matched, so the reviewer checks it against the poster beside it in seconds.

Items, in the seed's order:
- mark: 「全国科普日」 in the text (the logo itself is a picture: only its words are seen).
- name: the activity's name; punctuation and spaces ignored (OCR drops or changes them: ：→:, ·→.), lines
  joined (a long name wraps). Not whole but a long enough part of it (at least 60% and 4 characters) in
  one piece: partial, with that part.
- date: the start date in the forms Chinese posters use: 2026年9月20日 (or 9月20日, 9月20号, 09月20日),
  2026.9.20, 2026-09-20, 2026/9/20. A date on the poster that is not the start date: mismatch, with the
  dates it carries (the wrong-date case reviewers look for). An end date beside the right start date is
  no mismatch.
- time: the start time: 14:00 (full-width ：too), 14点, 14时, 下午2点 / 下午2:00.
- host: every host's name (主办单位); some of them: partial.

Hints (never a refusal): words that suggest what seed 004 excludes, 商业推广 (commercial promotion) and
日常教学 (routine teaching). The lists hold words that rarely belong on a genuine 科普日 poster and often
on an advertisement or a school's timetable; words common on genuine posters are left out on purpose
(免费, 报名, 预约, 门票, 课堂, 讲座, 培训, 学生, 赞助: a free lecture with booking is exactly what the
campaign wants, and a reviewer who sees a hint on every poster stops reading them).
"""
import re
import unicodedata
from datetime import datetime
from difflib import SequenceMatcher

from services.activities.rules import SHANGHAI

MARK = "全国科普日"
ITEMS = ("mark", "name", "date", "time", "host")
STATUSES = ("found", "partial", "not_found", "mismatch")
STATES = ("pending", "read", "unreadable")  # the OCR still to run, done, or the poster could not be read

# 商业推广: selling, discounts, franchising. 日常教学: a school's or a training centre's ordinary classes.
HINT_WORDS = {
    "commercial": ("优惠", "折扣", "打折", "促销", "特价", "限时", "抢购", "秒杀", "团购", "满减", "优惠券",
                   "代金券", "购买", "购物", "下单", "报名费", "收费", "售价", "原价", "现价", "加盟", "招商",
                   "代理商", "开业", "新品上市", "扫码购"),
    "teaching": ("课程表", "课表", "期末", "期中", "考试", "作业", "补课", "辅导班", "培训班", "招生", "学费",
                 "试听课", "课时", "教学进度", "家长会"),
}
HINT_CATEGORIES = tuple(HINT_WORDS)
# a price on the poster (99元, ￥99, 99元/人) reads like a sale
_PRICE = re.compile(r"(?:[¥￥]\s?\d+|\d+(?:\.\d+)?\s?元(?:/人|每人)?)")

_PARTIAL_SHARE, _PARTIAL_MIN = 0.6, 4
_ANY_DATE = re.compile(
    r"(?:(?P<y1>\d{4})\s*年\s*)?(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*[日号]"
    r"|(?<!\d)(?P<y2>\d{4})\s*[.\-/]\s*(?P<m2>\d{1,2})\s*[.\-/]\s*(?P<d2>\d{1,2})(?:(?!\d)|(?=\d{1,2}[:点时]))")


def normalized(text):
    """NFKC (full-width digits and colons become ASCII), lower case, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()


def spaced(text):
    """NFKC and lower case, runs of spaces kept as one (digits either side of a space stay apart)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).lower()


def _bare(text):
    """Letters and digits only (CJK characters included): what a name is compared on."""
    return "".join(ch for ch in normalized(text) if ch.isalnum())


def _line_of(lines, needle, key=normalized):
    """The first line whose form (by key) holds needle, else the lines joined (needle spans a wrap)."""
    for line in lines:
        if needle in key(line):
            return line
    return " ".join(lines)


def _item(key, status, matched=None, expected=None):
    return {"key": key, "status": status, "matched": matched, "expected": expected}


def _mark(lines, joined):
    if MARK in joined:
        return _item("mark", "found", _line_of(lines, MARK), MARK)
    return _item("mark", "not_found", None, MARK)


def _phrase(key, lines, wanted):
    """found when wanted is on the poster (punctuation and spaces aside), partial when a long enough
    piece of it is, else not_found."""
    target = _bare(wanted)
    text = "".join(_bare(line) for line in lines)
    if not target:
        return _item(key, "not_found", None, wanted)
    if target in text:
        return _item(key, "found", _line_of(lines, target, key=_bare), wanted)
    block = SequenceMatcher(None, target, text, autojunk=False).find_longest_match(0, len(target), 0, len(text))
    if block.size >= max(_PARTIAL_MIN, round(len(target) * _PARTIAL_SHARE)):
        piece = target[block.a:block.a + block.size]
        return _item(key, "partial", _line_of(lines, piece, key=_bare), wanted)
    return _item(key, "not_found", None, wanted)


def _hosts(lines, hosts):
    names = [h["name"] for h in hosts if h.get("name")]
    if not names:
        return _item("host", "not_found", None, "")
    found = [_phrase("host", lines, name) for name in names]
    whole = [f for f in found if f["status"] == "found"]
    expected = "、".join(names)
    if len(whole) == len(names):
        return _item("host", "found", "；".join(dict.fromkeys(f["matched"] for f in whole)), expected)
    some = [f for f in found if f["status"] != "not_found"]
    if some:
        return _item("host", "partial", "；".join(dict.fromkeys(f["matched"] for f in some)), expected)
    return _item("host", "not_found", None, expected)


def start_moment(activity):
    value = activity["start_at"]
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(SHANGHAI)


def dates_on(text):
    """(year or None, month, day, the text) of every date written on the poster."""
    found = []
    for m in _ANY_DATE.finditer(text):
        year, month, day = (m.group("y1"), m.group("m1"), m.group("d1")) if m.group("m1") else \
            (m.group("y2"), m.group("m2"), m.group("d2"))
        month, day = int(month), int(day)
        if 1 <= month <= 12 and 1 <= day <= 31:
            found.append((int(year) if year else None, month, day, m.group(0)))
    return found


def _date(lines, start):
    joined = " ".join(spaced(line) for line in lines)
    on_poster = dates_on(joined)
    expected = f"{start.year}年{start.month}月{start.day}日"
    same = [d for d in on_poster if (d[1], d[2]) == (start.month, start.day) and d[0] in (None, start.year)]
    if same:
        return _item("date", "found", _line_of(lines, same[0][3]), expected)
    if on_poster:
        return _item("date", "mismatch", "、".join(dict.fromkeys(d[3] for d in on_poster)), expected)
    return _item("date", "not_found", None, expected)


def _time_patterns(start):
    hour, minute = start.hour, start.minute
    forms = [rf"(?<!\d)0?{hour}:{minute:02d}(?!\d)"]
    if minute == 0:
        forms.append(rf"(?<!\d)0?{hour}[点时](?!\d)")
    elif minute == 30:
        forms.append(rf"(?<!\d)0?{hour}[点时]半")
    if hour > 12:  # 下午2点, 下午2:30, 晚上7点
        twelve = hour - 12
        forms.append(rf"(?:下午|晚上|晚)0?{twelve}(?::{minute:02d}|[点时])")
    return [re.compile(f) for f in forms]


def _time(lines, start):
    expected = f"{start.hour:02d}:{start.minute:02d}"
    for line in lines:
        text = normalized(_ANY_DATE.sub(" ", spaced(line)))  # a date run into the time (2026.9.2014:00) taken off
        if any(p.search(text) for p in _time_patterns(start)):
            return _item("time", "found", line, expected)
    return _item("time", "not_found", None, expected)


def hints(lines):
    """[{category, word, matched}] in the order of the word lists: each word once, with its line."""
    shown = []
    for category, words in HINT_WORDS.items():
        for word in words:
            for line in lines:
                if word in normalized(line):
                    shown.append({"category": category, "word": word, "matched": line})
                    break
    for line in lines:
        price = _PRICE.search(normalized(line))
        if price:
            shown.append({"category": "commercial", "word": price.group(0), "matched": line})
            break
    return shown


def checklist(lines, activity):
    """What the reviewer sees for a poster whose text is lines (the OCR's lines, top to bottom), checked
    against activity (name, start_at, hosts). state "read"."""
    lines = [line for line in (line.strip() for line in lines) if line]
    joined = "".join(normalized(line) for line in lines)
    start = start_moment(activity)
    return {"state": "read", "reason": None,
            "items": [_mark(lines, joined), _phrase("name", lines, activity["name"]), _date(lines, start),
                      _time(lines, start), _hosts(lines, activity.get("hosts") or [])],
            "hints": hints(lines), "lines": lines}


def unreadable(reason):
    """The poster could not be read (blank, too large, corrupt, or the reading ran out of time or memory):
    the reviewer looks at it as before. reason: a code, for the operators."""
    return {"state": "unreadable", "reason": reason, "items": [], "hints": [], "lines": []}


def pending():
    return {"state": "pending", "reason": None, "items": [], "hints": [], "lines": []}
