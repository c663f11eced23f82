"""The platform's one time zone. Times are stored and sent in UTC; "today", "as of 00:00", campaign windows,
deadlines and quiet hours are Beijing time (Asia/Shanghai, no daylight saving)."""
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
