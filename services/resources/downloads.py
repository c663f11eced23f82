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
"""
import hashlib
import re
from datetime import timedelta

import counter_robots

DOUBLE_CLICK = timedelta(seconds=30)
USER_AGENT_MAX = 512  # stored and matched; longer ones are cut (no browser sends more)

_MORE_ROBOTS = re.compile(r"[A-Za-z0-9]Spider\b|^Spider\b")
_BROWSERS_NAMED_LIKE_ROBOTS = re.compile(r"baiduboxapp/[\d.]+")

COUNTED, DOUBLE_CLICKED, ROBOT = "counted", "double_click", "robot"


def is_robot(user_agent):
    """Whether a request with this User-Agent comes from a robot or a script; None means not known (an
    internal caller that did not say), which is not judged."""
    if user_agent is None:
        return False
    agent = _BROWSERS_NAMED_LIKE_ROBOTS.sub("", user_agent[:USER_AGENT_MAX]).strip()
    if not agent:
        return True
    return bool(counter_robots.is_robot(agent) or counter_robots.is_machine(agent) or _MORE_ROBOTS.search(agent))


def visitor_key(user_id, client_address, user_agent):
    """Who is downloading, as the double-click rule compares them: the user, else address and agent
    (hashed: the key is compared, never read back)."""
    if user_id:
        return f"user:{user_id}"
    digest = hashlib.sha256(f"{client_address or ''}\n{(user_agent or '')[:USER_AGENT_MAX]}".encode()).hexdigest()
    return f"anon:{digest[:32]}"


def outcome(user_agent, previous_at, now):
    """counted, double_click or robot for a request at `now`, given the same visitor's previous request
    for the same resource (None when there was none in the window)."""
    if is_robot(user_agent):
        return ROBOT
    if previous_at is not None and now - previous_at <= DOUBLE_CLICK:
        return DOUBLE_CLICKED
    return COUNTED
