"""Which download requests count, as pure rules (COUNTER Code of Practice): one visitor, one resource, one
count per double-click window; robots and scripts not at all.

- A visitor is the signed-in user, else the client address with its user agent (COUNTER's session
  identity for anonymous use: people behind one school's address with different browsers stay apart).
- Double-click rule: a request counts when the same visitor's previous request for the same resource
  (counted or not) is more than 30 seconds older. A chain of requests each within 30 s of the last is
  one download, so 200 requests in a burst, or a script that never pauses 30 s, count once.
- Robots and machines: the COUNTER-Robots list (package `counter-robots`, kept by its maintainers and
  updated with `pip install -U counter-robots`), which matches case-sensitively as shipped, plus the
  crawlers of Chinese search engines that name themselves "...Spider" (YisouSpider, 360Spider) and that
  its lower-case `spider` misses. Baidu's app (`baiduboxapp`) is a browser people read with: it is taken
  out before the list's `baidu` pattern sees it. A missing user agent is a machine, as COUNTER says.
  The list is matched regardless of case too (GOOGLEBOT, CURL/8 are what they are), after the browsers'
  own tokens that would read as robot words that way (QQBrowser's `Core/`, `SogouMobileBrowser`, the
  CUBOT phones) are taken out.
- Address caps, on top of the double-click rule, for visitors who are not signed in (a user agent costs
  nothing to change: one address with 60 browser strings is not 60 people): at most ADDRESS_CAP counted
  downloads of one resource per client address, and NETWORK_CAP per network (the address's /24 for
  IPv4, /64 for IPv6, what one household, school or mobile carrier's NAT hands out), in CAP_WINDOW.
  Beyond them a request is recorded as `capped`. Signed-in people count as themselves wherever they are.
- Retention (PIPL storage limitation): the full address and user agent are what these rules need, and
  only for their windows; after RAW_RETENTION an event keeps its network and its outcome, not the
  address or the agent (download_log.truncate_old, run hourly).
"""
import hashlib
import ipaddress
import re
from datetime import timedelta
from importlib.resources import files

import counter_robots

DOUBLE_CLICK = timedelta(seconds=30)
USER_AGENT_MAX = 512  # stored and matched; longer ones are cut (no browser sends more)

ADDRESS_CAP = 10
NETWORK_CAP = 30
CAP_WINDOW = timedelta(hours=1)
RAW_RETENTION = timedelta(hours=48)  # a day's counts can still be audited against the raw requests

_MORE_ROBOTS = re.compile(r"[A-Za-z0-9]Spider\b|^Spider\b")
_BROWSERS_NAMED_LIKE_ROBOTS = re.compile(r"baiduboxapp/[\d.]+")
# read without regard to case, these browser tokens match the list's `core`, `sogou`, `bot`
_BROWSER_TOKENS = re.compile(r"\bCore/[\d.]+|SogouMobileBrowser/[\d.]+|\bCUBOT[ _][\w-]*")


def _list_ignoring_case():
    """The package's own lists (its shipped data files), compiled without regard to case."""
    lines = []
    for name in ("robot.txt", "machine.txt"):
        lines += [line for line in (files(counter_robots) / "data" / name).read_text().splitlines() if line.strip()]
    return re.compile("|".join(lines), re.IGNORECASE)


_ROBOTS_ANY_CASE = _list_ignoring_case()

COUNTED, DOUBLE_CLICKED, ROBOT, CAPPED = "counted", "double_click", "robot", "capped"


def is_robot(user_agent):
    """Whether a request with this User-Agent comes from a robot or a script; None means not known (an
    internal caller that did not say), which is not judged."""
    if user_agent is None:
        return False
    agent = _BROWSERS_NAMED_LIKE_ROBOTS.sub("", user_agent[:USER_AGENT_MAX]).strip()
    if not agent:
        return True
    if counter_robots.is_robot(agent) or counter_robots.is_machine(agent) or _MORE_ROBOTS.search(agent):
        return True
    return bool(_ROBOTS_ANY_CASE.search(_BROWSER_TOKENS.sub("", agent)))


def network_of(client_address):
    """The network an address counts with: its /24 (IPv4; an IPv4-mapped IPv6 address as IPv4) or /64
    (IPv6), as text; "" when the address is not one (an internal caller)."""
    try:
        address = ipaddress.ip_address((client_address or "").strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def visitor_key(user_id, client_address, user_agent):
    """Who is downloading, as the double-click rule compares them: the user, else address and agent
    (hashed: the key is compared, never read back)."""
    if user_id:
        return f"user:{user_id}"
    digest = hashlib.sha256(f"{client_address or ''}\n{(user_agent or '')[:USER_AGENT_MAX]}".encode()).hexdigest()
    return f"anon:{digest[:32]}"


def outcome(user_agent, previous_at, now, from_address=0, from_network=0):
    """counted, double_click, robot or capped for a request at `now`, given the same visitor's previous
    request for the same resource (None when there was none in the window) and, for a visitor who is not
    signed in, how many downloads of the resource already counted from the same address and network in
    CAP_WINDOW (0 for a signed-in one)."""
    if is_robot(user_agent):
        return ROBOT
    if previous_at is not None and now - previous_at <= DOUBLE_CLICK:
        return DOUBLE_CLICKED
    if from_address >= ADDRESS_CAP or from_network >= NETWORK_CAP:
        return CAPPED
    return COUNTED
