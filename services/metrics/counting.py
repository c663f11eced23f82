"""The counting rule for shares (计数规则), decided the way COUNTER decides which downloads count. Pure: no I/O.

A share counts when it comes back (返回科普中国) inside its return window, and each share is decided once, at
its first valid return. A returned share is counted unless:

- `duplicate`: the same person already has a counted share of the same content on the same channel that
  Asia/Shanghai day (COUNTER's "unique item" per session, with the day as the session). An article is a
  resource, so the content is its id, whatever content_type the share named;
- `minute_ceiling`: the person already has `per_minute` counted shares in that clock minute (a person
  shares by hand; a burst beyond that is a script).

Shares are decided in the order they returned (returned_at, then share id), so the same returns give the
same counts whatever batches they arrive in. Every raw return is kept for audit with its outcome
(share_returns), and what did not count never feeds leaderboards, recognition or points.
"""
from dataclasses import dataclass, field

from services.metrics.periods import shanghai_day

COUNTED = "counted"
DUPLICATE = "duplicate"
MINUTE_CEILING = "minute_ceiling"
NOT_COUNTED = (DUPLICATE, MINUTE_CEILING)
# outcomes of a raw return that decided nothing (audit only)
REPEAT = "repeat"          # its share was decided by an earlier return
NOT_OWNER = "not_owner"    # someone else's share
LATE = "late"              # after the share's return window
UNKNOWN_SHARE = "unknown_share"
OUTCOMES = (COUNTED, DUPLICATE, MINUTE_CEILING, REPEAT, NOT_OWNER, LATE, UNKNOWN_SHARE)

DEFAULT_PER_MINUTE = 10


def minute_of(moment):
    """The clock minute of an aware datetime (Asia/Shanghai is a whole number of hours from UTC)."""
    return moment.replace(second=0, microsecond=0)


def content_key(share):
    """(user, content, channel, Asia/Shanghai day): at most one counted share per key."""
    return str(share["user_id"]), str(share["content_id"]), share["channel"], shanghai_day(share["returned_at"])


def _keys(share):
    """(content key, (user, minute)) of a share, computed once."""
    user, at = str(share["user_id"]), share["returned_at"]
    return (user, str(share["content_id"]), share["channel"], shanghai_day(at)), (user, minute_of(at))


@dataclass
class Tally:
    """What was counted already: the keys (content_key) and counted shares per (user, minute)."""

    keys: set = field(default_factory=set)
    per_minute: dict = field(default_factory=dict)

    def add(self, share):
        self._add(*_keys(share))

    def _add(self, key, minute):
        self.keys.add(key)
        self.per_minute[minute] = self.per_minute.get(minute, 0) + 1


def decide(returns, tally, per_minute):
    """The outcome of each returned share, in the order they returned; tally is updated in place.

    returns: [{"share_id", "user_id", "content_id", "channel", "returned_at"}], each share once (its first
    valid return). Returns [(share, outcome)] with outcome COUNTED, DUPLICATE or MINUTE_CEILING."""
    if per_minute < 1:
        raise ValueError("per_minute must be at least 1")
    decided = []
    for share in sorted(returns, key=lambda s: (s["returned_at"], str(s["share_id"]))):
        key, minute = _keys(share)
        if key in tally.keys:
            outcome = DUPLICATE
        elif tally.per_minute.get(minute, 0) >= per_minute:
            outcome = MINUTE_CEILING
        else:
            outcome = COUNTED
            tally._add(key, minute)
        decided.append((share, outcome))
    return decided


def count(returns, per_minute):
    """Counted shares per user over a set of returned shares (each share once): the rule's totals."""
    totals = {}
    for share, outcome in decide(returns, Tally(), per_minute):
        if outcome == COUNTED:
            totals[str(share["user_id"])] = totals.get(str(share["user_id"]), 0) + 1
    return totals


def first_returns(events, shares):
    """Each share's first valid return, and every event's outcome when it decides nothing.

    events: raw share_returned events ({"event_id", "share_id", "user_id", "returned_at"});
    shares: {str(share_id): {"user_id", "content_id", "channel", "expires_at", "decided"}} for the shares known.
    Returns ([share dicts with returned_at, each share once], {event_id: outcome} for the events that are not
    their share's first valid return: REPEAT, NOT_OWNER, LATE or UNKNOWN_SHARE)."""
    outcomes, first, seen = {}, {}, set()
    for event in sorted(events, key=lambda e: e["returned_at"]):  # stable: ties keep their arrival order
        if event["event_id"] in seen:  # the same event twice (a redelivery inside one batch)
            continue
        seen.add(event["event_id"])
        share = shares.get(str(event["share_id"]))
        if share is None:
            outcomes[event["event_id"]] = UNKNOWN_SHARE
        elif str(event["user_id"]) != str(share["user_id"]):
            outcomes[event["event_id"]] = NOT_OWNER
        elif event["returned_at"] > share["expires_at"]:
            outcomes[event["event_id"]] = LATE
        elif share["decided"] or str(event["share_id"]) in first:
            outcomes[event["event_id"]] = REPEAT
        else:
            first[str(event["share_id"])] = {**share, "share_id": event["share_id"], "returned_at": event["returned_at"],
                                        "event_id": event["event_id"]}
    return list(first.values()), outcomes
