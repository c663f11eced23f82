"""iCalendar (RFC 5545) export of public activities, built with the icalendar package.

Each activity is one VEVENT whose UID never changes (its id at a fixed domain), whose SEQUENCE is the
number of re-approvals (an approved edit raises it, so calendars replace the old event), and whose
STATUS is CANCELLED once it is taken off the shelf. Times are written in Asia/Shanghai with the
matching VTIMEZONE, so every client shows the organizers' wall-clock time.

ORGANIZER is the host organization (CN: the first 主办单位) at the contact the organizer chose to publish:
the optional `details.contact_email` (mailto:), else the published contact phone (tel:), the one the
activity page and the description already show. URL links back to the activity's page on the web
portal (`<web_url>/activities/<id>`, ACTIVITIES.web_url): it is added when a calendar is served
(`calendar(..., web_url=...)`), so changing the setting changes every feed without re-rendering.
"""
from datetime import datetime, timezone
from functools import lru_cache

from icalendar import Calendar, Event, Timezone, vCalAddress
from icalendar.parser import Contentline, Parameters
from icalendar.prop import vUri

from services.activities.rules import SHANGHAI

PRODID = "-//Kepu//全国科普日 activities//ZH"
UID_DOMAIN = "activities.kepu.cn"


def uid(activity_id):
    return f"{activity_id}@{UID_DOMAIN}"


def _time(value):
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(SHANGHAI)


def _description(activity):
    details = activity["details"]
    lines = [details.get("content", ""), f"面向对象：{details.get('audience', '')}",
             f"联系人：{details.get('contact_person', '')} {details.get('contact_phone', '')}"]
    if activity["reservation"].get("enabled"):
        lines.append(f"预约：{activity['reservation']['url']}")
    return "\n".join(line for line in lines if line.strip())


def location(activity):
    """LOCATION: the venue's division and address (an offline activity), else its region."""
    venue = activity.get("venue")
    if venue:
        return f"{venue['region']['full_name']}{venue['address']}"
    return activity["region"]["full_name"]


def host_name(activity):
    """The host organization the calendar names as organizer: the first 主办单位, else the supervising unit."""
    for host in activity.get("hosts") or []:
        if host.get("name"):
            return host["name"]
    return activity["supervising_unit"]["name"]


def organizer(activity):
    """ORGANIZER: the host at the published contact (contact_email as mailto:, else the contact phone as tel:)."""
    details = activity["details"]
    email = (details.get("contact_email") or "").strip()
    if email:
        address = f"mailto:{email}"
    else:
        phone = "".join(c for c in details.get("contact_phone", "") if c.isdigit() or c in "+-")
        address = f"tel:{phone}"
    value = vCalAddress(address)
    value.params["CN"] = host_name(activity)
    return value


def link(web_url, activity_id):
    """The activity's page on the web portal (ACTIVITIES.web_url)."""
    return f"{web_url.rstrip('/')}/activities/{activity_id}"


def with_link(vevent, web_url, activity_id):
    """A rendered VEVENT with its URL line added before END:VEVENT (folded as RFC 5545 says)."""
    closing = "END:VEVENT\r\n"
    if not web_url or not vevent.endswith(closing):
        return vevent
    line = Contentline.from_parts("URL", Parameters(), vUri(link(web_url, activity_id))).to_ical().decode()
    return vevent[:-len(closing)] + line + "\r\n" + closing


def event(activity, stamp=None):
    item = Event()
    item.add("uid", uid(activity["id"]))
    item.add("dtstamp", stamp or datetime.now(timezone.utc))
    item.add("sequence", activity["sequence"])
    item.add("summary", activity["name"])
    item.add("dtstart", _time(activity["start_at"]))
    item.add("dtend", _time(activity["end_at"]))
    item.add("location", location(activity))
    item.add("description", _description(activity))
    item.add("organizer", organizer(activity))
    item.add("status", "CONFIRMED" if activity["shelf"] == "on" else "CANCELLED")
    item.add("last-modified", activity["updated_at"])
    return item


def event_text(activity):
    """One VEVENT as text, rendered when the activity is approved or its shelf changes (DTSTAMP: then)."""
    return event(activity).to_ical().decode()


def calendar(vevents, name="全国科普日活动", web_url=None):
    """One VCALENDAR (text) around rendered VEVENTs, with the Asia/Shanghai VTIMEZONE their times refer to.

    vevents: texts, or (activity id, text) pairs, which get their URL on the web portal when web_url is set."""
    vevents = [with_link(v[1], web_url, v[0]) if isinstance(v, (tuple, list)) else v for v in vevents]
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    cal.add_component(_shanghai())
    text = cal.to_ical().decode()
    closing = "END:VCALENDAR\r\n"
    assert text.endswith(closing)
    return text[:-len(closing)] + "".join(vevents) + closing


@lru_cache(maxsize=1)
def _shanghai():
    return Timezone.from_tzid("Asia/Shanghai")
