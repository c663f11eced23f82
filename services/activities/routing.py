"""Review routing of an activity (plain code, no I/O): which stages its supervising unit's category
takes it through, and how statuses move.

provincial_cast / city_cast / county_cast:
    pending_provincial ──approved──▶ pending_national ──approved──▶ approved
          └──rejected──▶ provincial_rejected      └──rejected──▶ national_rejected
ministry / national_society:
    pending_national ──approved──▶ approved;  └──rejected──▶ national_rejected

Any edit (pending, rejected or approved) goes back to the first stage of the chain of the edited
version's supervising category; a decision on a stage the activity is not waiting for is stale.
"""
from kepu_common.interfaces.contracts import SUPERVISING_CATEGORIES

CHAINS = {
    "provincial_cast": ("provincial", "national"),
    "city_cast": ("provincial", "national"),
    "county_cast": ("provincial", "national"),
    "ministry": ("national",),
    "national_society": ("national",),
}
assert set(CHAINS) == set(SUPERVISING_CATEGORIES)

PENDING = {"provincial": "pending_provincial", "national": "pending_national"}
REJECTED = {"provincial": "provincial_rejected", "national": "national_rejected"}
STAGE_OF = {status: stage for stage, status in PENDING.items()}


def chain(category):
    return CHAINS[category]


def first_status(category):
    """The status a new or edited activity starts in."""
    return PENDING[CHAINS[category][0]]


def waiting_stage(status):
    """The review stage a status waits for, or None (rejected, approved)."""
    return STAGE_OF.get(status)


def after_decision(status, category, stage, decision):
    """The status a decision leads to, or None when it is stale (not the stage the activity waits for)."""
    if waiting_stage(status) != stage or stage not in CHAINS[category]:
        return None
    if decision == "rejected":
        return REJECTED[stage]
    stages = CHAINS[category]
    position = stages.index(stage)
    return PENDING[stages[position + 1]] if position + 1 < len(stages) else "approved"


def after_edit(category):
    """Editing sends any activity back to the first stage of its (possibly new) chain."""
    return first_status(category)


def review_request(status, category, province):
    """(stage, scope) to request for a status, or None: provincial review is scoped to the supervising
    unit's province, national review to nobody in particular."""
    stage = waiting_stage(status)
    if stage is None:
        return None
    return stage, (province if stage == "provincial" else None)
