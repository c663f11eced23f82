"""What people are told: every notification kind, its parameters, its link target and whether it may go by SMS.

Plain data, no I/O. The texts are in the catalogues (kepu_common/locale/<locale>/LC_MESSAGES/notifications.po),
keyed "notification.<kind>.title" and "notification.<kind>.body" (the inbox, in the reader's language) and
"notification.<kind>.sms" (the SMS template, Chinese: carriers in mainland China accept only registered
Chinese templates with the signature in front, see sms_templates.py). An inbox row stores the kind and its
parameters, never a rendered text, so it reads in whichever language its reader asks for.

`sms` says whether the kind needs action from its reader (a rejection, a deadline, a parcel to collect):
only those go by SMS, and each person may turn that off per kind (preferences.py).
`link` is what a frontend opens: a target type and the parameter naming the thing; `path` is the
app route it maps to.
"""
from dataclasses import dataclass

from kepu_common.interfaces.errors import InvalidInput


@dataclass(frozen=True)
class Kind:
    name: str
    params: tuple  # the parameters its texts use, all required when it is rendered
    target: str  # what a frontend opens
    target_param: str  # the parameter holding the target's id ("" for the person's own page)
    path: str  # the app route, filled from the parameters
    sms: bool = False  # a decision that needs action: also sent by SMS (unless the person turned it off)
    waiting_for: str = ""  # the event this kind needs that no service publishes yet ("" when consumed today)


_KINDS = (
    # --- identity: real-name verification, organization entry, area-admin roles -------------------------
    Kind("verification_approved", (), "verification", "", "/me/verification"),
    Kind("verification_rejected", ("reason",), "verification", "", "/me/verification", sms=True),
    Kind("org_approved", ("org_name",), "organization", "org_id", "/orgs/{org_id}"),
    Kind("org_rejected", ("org_name", "reason"), "organization", "org_id", "/orgs/{org_id}", sms=True),
    Kind("area_admin_granted", ("role_label", "area_name"), "area", "area_code", "/regions/{area_code}/communicators"),
    # --- resources: initial review, scientific review, publication ------------------------------------------
    Kind("resource_initial_passed", ("title",), "resource", "resource_id", "/my/resources/{resource_id}"),
    Kind("resource_initial_rejected", ("title", "reason"), "resource", "resource_id", "/my/resources/{resource_id}",
         sms=True),
    Kind("resource_scientific_rejected", ("title", "reason"), "resource", "resource_id",
         "/my/resources/{resource_id}", sms=True),
    Kind("resource_published", ("title",), "resource", "resource_id", "/resources/{resource_id}"),
    # --- activities: two review stages, the shelf, follow-up, nomination -----------------------------------
    Kind("activity_provincial_approved", ("title",), "activity", "activity_id", "/my/activities/{activity_id}"),
    Kind("activity_provincial_rejected", ("title", "reason"), "activity", "activity_id",
         "/my/activities/{activity_id}", sms=True),
    Kind("activity_national_approved", ("title",), "activity", "activity_id", "/activities/{activity_id}"),
    Kind("activity_national_rejected", ("title", "reason"), "activity", "activity_id",
         "/my/activities/{activity_id}", sms=True),
    Kind("activity_shelved_by_admin", ("title", "reason"), "activity", "activity_id", "/my/activities/{activity_id}",
         sms=True),
    Kind("activity_nominated", ("title",), "activity", "activity_id", "/activities/{activity_id}"),
    Kind("activity_followup_due_3d", ("title", "deadline"), "followup", "activity_id",
         "/activities/{activity_id}/followup", sms=True, waiting_for="activity_followup_due"),
    Kind("activity_followup_due_1d", ("title", "deadline"), "followup", "activity_id",
         "/activities/{activity_id}/followup", sms=True, waiting_for="activity_followup_due"),
    Kind("activity_followup_missed", ("title", "deadline"), "followup", "activity_id",
         "/activities/{activity_id}/followup", sms=True, waiting_for="activity_followup_due"),
    Kind("activity_nomination_withdrawn", ("title",), "activity", "activity_id", "/my/activities/{activity_id}"),
    # --- the points mall ---------------------------------------------------------------------------------------
    Kind("redemption_fulfilled_delivery", ("item", "carrier", "tracking_number"), "redemption", "redemption_id",
         "/me/redemptions/{redemption_id}", sms=True),
    Kind("redemption_fulfilled_pickup", ("item", "pickup_code", "pickup_place"), "redemption", "redemption_id",
         "/me/redemptions/{redemption_id}", sms=True),
    Kind("redemption_cancelled", ("item", "reason"), "redemption", "redemption_id", "/me/redemptions/{redemption_id}",
         sms=True),
    # --- the social half (resources): communities, posts, comments; inbox only -----------------------------------
    Kind("community_approved", ("name",), "community", "community_id", "/communities/{community_id}"),
    Kind("community_rejected", ("name",), "community", "community_id", "/communities/{community_id}"),
    Kind("post_rejected", ("community_name",), "post", "post_id", "/communities/{community_id}/posts/{post_id}"),
    Kind("post_hidden", ("community_name",), "post", "post_id", "/communities/{community_id}/posts/{post_id}"),
    Kind("comment_rejected", (), "comment", "comment_id", "{target_path}"),
    Kind("comment_hidden", (), "comment", "comment_id", "{target_path}"),
    # --- reviewers (the workbench's SLA) -----------------------------------------------------------------------
    Kind("review_task_overdue", ("subject", "stage_label", "sla_hours"), "review_task", "task_id",
         "/review/tasks/{task_id}"),
    Kind("review_task_released", ("subject", "stage_label", "sla_hours"), "review_task", "task_id",
         "/review/tasks/{task_id}"),
)

KINDS = {kind.name: kind for kind in _KINDS}
NAMES = tuple(KINDS)
SMS_KINDS = tuple(kind.name for kind in _KINDS if kind.sms)


def get(name, field="kind"):
    """The kind of that name; an unknown name is the caller's mistake, named with the field it came in."""
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        raise InvalidInput("notification_kind_unknown", {field: ("notification_kind_unknown", {"kind": name})},
                           kind=name) from None


def link(kind, params):
    """{"target", "id", "path"}: what a frontend opens for a notification of this kind."""
    target_id = params.get(kind.target_param, "") if kind.target_param else ""
    return {"target": kind.target, "id": str(target_id) if target_id else None, "path": kind.path.format(**params)}
