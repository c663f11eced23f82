"""Who is told what for each event identity consumes (plain code: an event in, notices out).

A notice goes to one person (`user_id`) or to every administrator of an organization (`org_id`: the
people who submit its resources and activities, known to identity as org_admin grants). Parameters that the
event does not carry (a resource's title, an organization's name) are named in `needs` and filled by the
service from what identity knows (its own organizations; titles remembered from `review_requested`
snapshots). An event that tells nobody anything gives no notice.
"""
from dataclasses import dataclass, field

AREA_ROLES = ("district_admin", "street_admin")


@dataclass(frozen=True)
class Notice:
    kind: str
    params: dict
    user_id: str = None  # one person ...
    org_id: str = None  # ... or the organization's administrators
    needs: tuple = field(default_factory=tuple)  # (param, subject_type, subject_id): a name to look up
    org_of: tuple = None  # (subject_type, subject_id): the organization is the one remembered for the subject
    skip_actor: str = None  # an administrator who did it themselves is not told


def _s(value):
    return str(value) if value is not None else None


def notices(event, area_name=None):
    """The notices an event gives. area_name(code) -> full name, for area-admin grants (injected: no I/O here)."""
    event_type = event["event_type"]
    handler = _HANDLERS.get(event_type)
    return handler(event, area_name) if handler else []


def _verification(event, _):
    user_id = _s(event["user_id"])
    if event["event_type"] == "user_verified":
        return [Notice("verification_approved", {}, user_id=user_id)]
    return [Notice("verification_rejected", {"reason": event.get("comment") or ""}, user_id=user_id)]


def _org(event, _):
    org_id = _s(event["org_id"])
    params = {"org_id": org_id, "org_name": ""}
    needs = (("org_name", "organization", org_id),)
    if event["event_type"] == "org_verified":
        return [Notice("org_approved", params, user_id=_s(event["registrant_id"]), needs=needs)]
    return [Notice("org_rejected", dict(params, reason=event.get("comment") or ""), user_id=_s(event["registrant_id"]),
                   needs=needs)]


def _role(event, area_name):
    if event["role"] not in AREA_ROLES:
        return []
    code = event["scope"]
    name = (area_name(code) if area_name else None) or code
    return [Notice("area_admin_granted", {"role": event["role"], "area_name": name, "area_code": code},
                   user_id=_s(event["user_id"]))]


# (previous status, status) -> kind; a rejection's reason comes from review_decided (see the service)
RESOURCE_KINDS = {
    ("pending_initial", "pending_scientific"): "resource_initial_passed",
    ("pending_initial", "initial_rejected"): "resource_initial_rejected",
    ("pending_scientific", "scientific_rejected"): "resource_scientific_rejected",
    ("pending_scientific", "published"): "resource_published",
}
RESOURCE_REJECTION_STAGES = {"resource_initial_rejected": "initial", "resource_scientific_rejected": "scientific"}
RESOURCE_REJECTION_KINDS = {stage: kind for kind, stage in RESOURCE_REJECTION_STAGES.items()}


def _resource(event, _):
    kind = RESOURCE_KINDS.get((event.get("previous_status"), event["status"]))
    if kind is None:
        return []
    resource_id = _s(event["resource_id"])
    params = {"resource_id": resource_id, "title": ""}
    if kind in RESOURCE_REJECTION_STAGES:
        params["reason"] = ""
    return [Notice(kind, params, org_id=_s(event["org_id"]), needs=(("title", "resource", resource_id),))]


# activity_approved is published once the whole route approved (its last stage: national); a provincial approval
# that sends the activity on to national review publishes no activity event, so it is read from review_decided
ACTIVITY_DECISIONS = {
    ("activity_approved", "national"): "activity_national_approved",
    ("activity_rejected", "provincial"): "activity_provincial_rejected",
    ("activity_rejected", "national"): "activity_national_rejected",
}


def decided_status(event):
    """The review status of the version a decision was taken on: `current_review_status` (what the owner last
    submitted). `review_status` describes the last approved version while one exists, so a rejected edit of an
    approved activity arrives with review_status "approved"; events from before the field existed carry only
    review_status, which then was the submitted version's."""
    return event.get("current_review_status") or event["review_status"]


# the status the decided version must be in for the event to be the decision it names (anything else is not a
# decision on the submitted version and tells nobody rather than the wrong thing)
DECIDED_STATUSES = {
    ("activity_approved", "national"): "approved",
    ("activity_rejected", "provincial"): "provincial_rejected",
    ("activity_rejected", "national"): "national_rejected",
}


def _activity(event, _):
    activity_id = _s(event["activity_id"])
    params = {"activity_id": activity_id, "title": ""}
    needs = (("title", "activity", activity_id),)
    org_id = _s(event["org_id"])
    event_type = event["event_type"]
    if event_type in ("activity_approved", "activity_rejected"):
        kind = ACTIVITY_DECISIONS.get((event_type, event.get("stage")))
        if kind is None or decided_status(event) != DECIDED_STATUSES[(event_type, event.get("stage"))]:
            return []
        if event_type == "activity_rejected":
            params["reason"] = event.get("reason") or ""
        return [Notice(kind, params, org_id=org_id, needs=needs)]
    if event_type == "activity_shelved":
        if event["shelf"] != "off":
            return []
        # taken off by its own organization: nobody needs telling; the service skips an actor who is its admin
        return [Notice("activity_shelved_by_admin", dict(params, reason=event.get("reason") or ""), org_id=org_id,
                       needs=needs, skip_actor=_s(event.get("actor_id")))]
    if event_type == "activity_nominated":
        return [Notice("activity_nominated", params, org_id=org_id, needs=needs)]
    if event_type == "activity_nomination_withdrawn":
        return [Notice("activity_nomination_withdrawn", params, org_id=org_id, needs=needs)]
    return []


def _redemption(event, _):
    """A prize posted (carrier and tracking number) or ready to collect (pickup code and site), or a redemption
    cancelled by a mall admin (with the reason). A person who cancelled their own redemption is not told."""
    redemption_id = _s(event["redemption_id"])
    params = {"redemption_id": redemption_id, "item": event.get("item_name") or ""}
    user_id = _s(event["user_id"])
    if event["event_type"] == "redemption_cancelled":
        if event.get("cancelled_by") == "owner":
            return []
        return [Notice("redemption_cancelled", dict(params, reason=event.get("reason") or ""), user_id=user_id)]
    if event.get("tracking_number"):
        return [Notice("redemption_fulfilled_delivery",
                       dict(params, carrier=event.get("carrier") or "", tracking_number=event["tracking_number"]),
                       user_id=user_id)]
    if event.get("pickup_code"):
        return [Notice("redemption_fulfilled_pickup",
                       dict(params, pickup_code=event["pickup_code"], pickup_place=event.get("pickup_site_name") or ""),
                       user_id=user_id)]
    return []  # fulfilled with neither (not something the mall accepts): nothing the person could act on


def _review_decided(event, _):
    """A provincial approval of an activity (see ACTIVITY_DECISIONS); the organization is the one its review
    snapshot named. Review closes a superseded task, so a decision is for the activity's current version."""
    if (event["subject_type"], event["stage"], event["decision"]) != ("activity", "provincial", "approved"):
        return []
    activity_id = str(event["subject_id"])
    return [Notice("activity_provincial_approved", {"activity_id": activity_id, "title": ""},
                   needs=(("title", "activity", activity_id),), org_of=("activity", activity_id))]


def _community(event, _):
    """A community its creator asked for, approved or rejected by review (the reason is on the community's page)."""
    kind = "community_approved" if event["event_type"] == "community_approved" else "community_rejected"
    return [Notice(kind, {"community_id": _s(event["community_id"]), "name": event.get("name") or ""},
                   user_id=_s(event["creator_id"]))]


# what a frontend opens for a comment: the page it was written on
COMMENT_TARGET_PATHS = {"resource": "/resources/{}", "activity": "/activities/{}", "post": "/posts/{}"}


def _post_or_comment(event, _):
    """A held post or comment rejected by review, or one hidden by a moderator (or an upheld report), tells its
    author; an author who hid their own tells nobody. No SMS: nothing to act on by a deadline."""
    author = _s(event["author_id"])
    if event["event_type"].endswith("_hidden") and _s(event.get("actor_id")) == author:
        return []
    if event["event_type"].startswith("post_"):
        community_id = _s(event["community_id"])
        return [Notice(event["event_type"], {"post_id": _s(event["post_id"]), "community_id": community_id,
                                             "community_name": ""}, user_id=author,
                       needs=(("community_name", "community", community_id),))]
    target_path = COMMENT_TARGET_PATHS[event["target_type"]].format(_s(event["target_id"]))
    return [Notice(event["event_type"], {"comment_id": _s(event["comment_id"]), "target_type": event["target_type"],
                                         "target_id": _s(event["target_id"]), "target_path": target_path},
                   user_id=author)]


def community_name(event):
    """(subject_type, subject_id, name) a community event tells: post notices name their community."""
    return "community", str(event["community_id"]), str(event["name"])


def _review_task(event, _):
    """A reviewer's claimed task past its service level, or taken from them by the stage's lead (review)."""
    hours = float(event["sla_hours"])
    params = {"task_id": _s(event["task_id"]), "subject": event["subject"], "stage_label": event["stage_label"],
              "sla_hours": int(hours) if hours.is_integer() else hours}
    return [Notice(event["event_type"], params, user_id=_s(event["user_id"]))]


_HANDLERS = {
    "user_verified": _verification, "user_verification_rejected": _verification,
    "org_verified": _org, "org_rejected": _org,
    "role_granted": _role,
    "resource_status_changed": _resource,
    "activity_approved": _activity, "activity_rejected": _activity, "activity_shelved": _activity,
    "activity_nominated": _activity, "activity_nomination_withdrawn": _activity,
    "redemption_fulfilled": _redemption, "redemption_cancelled": _redemption,
    "review_decided": _review_decided,
    "review_task_overdue": _review_task, "review_task_released": _review_task,
    "community_approved": _community, "community_rejected": _community,
    "post_rejected": _post_or_comment, "post_hidden": _post_or_comment,
    "comment_rejected": _post_or_comment, "comment_hidden": _post_or_comment,
}
CONSUMED = tuple(_HANDLERS)


def subject_name(event):
    """(subject_type, subject_id, name, org_id) a review_requested snapshot tells, for resources and activities."""
    snapshot = event.get("snapshot") or {}
    name = snapshot.get("title") or snapshot.get("name")
    if event["subject_type"] not in ("resource", "activity") or not name:
        return None
    return event["subject_type"], str(event["subject_id"]), str(name), snapshot.get("org_id")
