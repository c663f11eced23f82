"""The resource review state machine (plain code, no I/O).

pending_initial ──approved──▶ pending_scientific ──approved──▶ published ──withdraw──▶ withdrawn
      │                              │
      └──rejected──▶ initial_rejected └──rejected──▶ scientific_rejected
initial_rejected / scientific_rejected / withdrawn ──revise──▶ pending_initial
"""
from kepu_common.interfaces.errors import Conflict

STAGE_OF = {"pending_initial": "initial", "pending_scientific": "scientific"}
_DECISIONS = {
    ("pending_initial", "approved"): "pending_scientific",
    ("pending_initial", "rejected"): "initial_rejected",
    ("pending_scientific", "approved"): "published",
    ("pending_scientific", "rejected"): "scientific_rejected",
}


def after_decision(status, stage, decision):
    """The status a review decision leads to, or None when the decision is stale (a redelivery, or a
    decision on a stage the resource has left: revised meanwhile, or already decided)."""
    if STAGE_OF.get(status) != stage:
        return None
    return _DECISIONS[(status, decision)]


def stage_to_request(status):
    """The review stage a status waits for, if any."""
    return STAGE_OF.get(status)


def after_revision(status):
    """Revising sends a rejected, still-pending or withdrawn resource back to initial review (a withdrawn
    one comes back only through a new review). A published one is withdrawn first."""
    if status == "published":
        raise Conflict("resource_not_revisable", {"status": f"resource_is_{status}"}, details={"status": status})
    return "pending_initial"


def after_withdrawal(status):
    if status != "published":
        raise Conflict("resource_not_published", {"status": f"resource_is_{status}"}, details={"status": status})
    return "withdrawn"
