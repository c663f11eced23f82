"""What a decision changes, as data: the pure rules behind a review decision and a membership change.

A review decision on a communicator's verification or an organization's entry, and a move between
organizations, each become an `Effects`: the status the subject takes, the roles to grant, the
memberships to record and the events to announce. The service writes them (roles.grant, members.place,
the outbox) in the consumer's transaction; these functions read nothing and write nothing.
"""
from dataclasses import dataclass, field

# the communicator types whose approval also grants the role of the same name, scoped to their division
AREA_ROLES = ("district_admin", "street_admin")

# the comment an organization gets when another one with its name was approved first (reviewers read Chinese)
NAME_TAKEN_COMMENT = "同名机构已通过认证 (an organization with this name is already verified)"


@dataclass(frozen=True)
class Grant:
    user_id: object
    role: str
    scope: str
    note: str


@dataclass(frozen=True)
class Placement:
    """user_id belongs to org_id; move=False leaves a member of another organization where they are."""

    user_id: object
    org_id: object
    move: bool = True


@dataclass(frozen=True)
class Effects:
    status: str
    comment: str = ""
    grants: tuple = field(default_factory=tuple)
    placements: tuple = field(default_factory=tuple)
    events: tuple = field(default_factory=tuple)  # (event_type, payload)


def verification_decided(verification, decision, comment, reviewer_id):
    """A pending verification ({id, user_id, org_id, region_code, communicator_type}) approved or rejected.

    Approval makes the user a communicator and, when they named an organization, its member; a district
    or street admin also gets that role over the division they were verified for. The event
    says who the communicator is (metrics counts them per region, type and organization)."""
    user_id = verification["user_id"]
    payload = {"verification_id": verification["id"], "user_id": user_id, "comment": comment or "",
               "region_code": verification["region_code"], "communicator_type": verification["communicator_type"],
               "org_id": verification.get("org_id")}
    if decision != "approved":
        return Effects("rejected", comment or "", events=(("user_verification_rejected", payload),))
    placements = (Placement(user_id, verification["org_id"]),) if verification.get("org_id") else ()
    note = f"real-name verification approved by {reviewer_id}"
    grants = [Grant(user_id, "communicator", "", note)]
    if verification["communicator_type"] in AREA_ROLES:
        # an area admin administers the division they were verified for: a street admin their township
        area = verification.get("township_code") or verification["region_code"]
        grants.append(Grant(user_id, verification["communicator_type"], area, note))
    return Effects("approved", comment or "", grants=tuple(grants), placements=placements,
                   events=(("user_verified", payload),))


def org_decided(org, decision, comment, reviewer_id, name_taken):
    """A pending organization ({id, registrant_id}) approved or rejected.

    Approval makes the registrant its org_admin and its member (a registrant who belonged to another
    organization moves: member_left, member_joined). An approval loses to an organization of the same name that was
    approved first (name_taken): it becomes a rejection that says why."""
    org_id, registrant = org["id"], org["registrant_id"]
    if decision == "approved" and name_taken:
        decision, comment = "rejected", NAME_TAKEN_COMMENT
    payload = {"org_id": org_id, "registrant_id": registrant, "comment": comment or ""}
    if decision != "approved":
        return Effects("rejected", comment or "", events=(("org_rejected", payload),))
    return Effects("approved", comment or "",
                   grants=(Grant(registrant, "org_admin", str(org_id), f"organization approved by {reviewer_id}"),),
                   placements=(Placement(registrant, org_id),), events=(("org_verified", payload),))


def membership_events(user_id, previous_org, new_org, actor_id=None):
    """member_left / member_joined for a user whose organization went from previous_org to new_org."""
    if str(previous_org) == str(new_org):
        return []
    events = []
    if previous_org is not None:
        events.append(("member_left", {"user_id": user_id, "org_id": previous_org, "actor_id": actor_id}))
    if new_org is not None:
        events.append(("member_joined", {"user_id": user_id, "org_id": new_org, "actor_id": actor_id}))
    return events
