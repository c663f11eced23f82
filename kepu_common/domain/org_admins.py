"""Who may act for an organization, as a service keeps it from identity's role events.

Services that take organization accounts' requests (resources, activities) keep two tables of their own,
`org_admins (user_id, org_id)` and `platform_admins (user_id)`, filled from `role_granted` /
`role_revoked`, so no request has to ask identity.
"""
import uuid

from kepu_common.bus.consumers import event_consumer
from kepu_common.data.db import claim_events
from kepu_common.interfaces.errors import Forbidden, InvalidInput


def apply_role_event(cur, event, granted):
    """org_admin (scope: the organization's id) and platform_admin grants; other roles are not ours."""
    user_id, role = str(event["user_id"]), event["role"]
    if role == "org_admin":
        if granted:
            cur.execute("INSERT INTO org_admins (user_id, org_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        (user_id, event["scope"]))
        else:
            cur.execute("DELETE FROM org_admins WHERE user_id = %s AND org_id = %s", (user_id, event["scope"]))
    elif role == "platform_admin":
        if granted:
            cur.execute("INSERT INTO platform_admins (user_id) VALUES (%s) ON CONFLICT DO NOTHING", (user_id,))
        else:
            cur.execute("DELETE FROM platform_admins WHERE user_id = %s", (user_id,))


def orgs_of(cur, user_id):
    cur.execute("SELECT org_id FROM org_admins WHERE user_id = %s ORDER BY org_id", (str(user_id),))
    return [row[0] for row in cur.fetchall()]


def is_platform_admin(cur, user_id):
    if user_id is None:
        return False
    cur.execute("SELECT 1 FROM platform_admins WHERE user_id = %s", (str(user_id),))
    return cur.fetchone() is not None


def acting_org(cur, user_id, org_id=None):
    """The organization a user uploads, publishes or submits for: one they administer (org_id picks among
    several). One rule with one set of codes for every service that takes organization accounts' requests."""
    orgs = orgs_of(cur, user_id)
    if not orgs:
        raise Forbidden("org_account_required", details={"required_roles": ["org_admin"]})
    if org_id is None:
        if len(orgs) > 1:
            raise InvalidInput("org_id_needed", {"org_id": "org_id_needed"},
                               details={"org_ids": [str(org) for org in orgs]})
        return orgs[0]
    if uuid.UUID(str(org_id)) not in orgs:
        raise Forbidden("not_an_org_admin", {"org_id": "org_not_yours"})
    return uuid.UUID(str(org_id))


class OrgAdminsFromIdentity:
    """For a PlatformService with org_admins and platform_admins tables: keeps them from identity's events.

    The consumers keep their queues' names (evt-identity-role_granted--<service>.on_role_granted)."""

    @event_consumer("identity", "role_granted")
    def on_role_granted(self, events):
        self._take_roles(events, f"{self.name}.on_role_granted", True)

    @event_consumer("identity", "role_revoked")
    def on_role_revoked(self, events):
        self._take_roles(events, f"{self.name}.on_role_revoked", False)

    def _take_roles(self, events, consumer, granted):
        with self.db, self.db.cursor() as cur:
            for event in claim_events(cur, consumer, events):
                apply_role_event(cur, event, granted)
