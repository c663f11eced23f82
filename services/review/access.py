"""Who sees and decides which tasks: reviewers per stage (provincial ones per province), platform admins all.
A stage's leads (granted in review by platform admins, scope as a reviewer's: '<stage>' or 'provincial:<province>')
see the stage's overdue and long-claimed tasks and reassign them; platform admins lead every stage."""
from kepu_common.interfaces.errors import Forbidden, InvalidInput
from kepu_common.interfaces.contracts import REVIEW_STAGES


class Access:
    """A reviewer's grants, as (role, scope) pairs kept from identity's role events."""

    def __init__(self, grants):
        self.admin = any(role == "platform_admin" for role, _ in grants)
        self.stages, self.leads = {}, {}
        for role, scope in grants:
            if role in ("reviewer", "lead"):
                stage, _, province = scope.partition(":")
                (self.stages if role == "reviewer" else self.leads).setdefault(stage, set()).add(province or None)

    def can_lead(self, stage, scope):
        if self.admin:
            return True
        provinces = self.leads.get(stage)
        if provinces is None:
            return False
        return stage != "provincial" or scope in provinces

    def require_lead(self, stage, scope):
        if not self.can_lead(stage, scope):
            raise Forbidden("review_lead_only", {"task": "review_lead_only"}, details={"stage": stage})

    @property
    def is_lead(self):
        return self.admin or bool(self.leads)

    def lead_filter_sql(self):
        """A WHERE fragment restricting tasks to the stages (and provinces) this reviewer leads."""
        return _filter(self.admin, self.leads)

    def can_review(self, stage, scope):
        if self.admin:
            return True
        provinces = self.stages.get(stage)
        if provinces is None:
            return False
        return stage != "provincial" or scope in provinces

    def require(self, stage, scope):
        if not self.can_review(stage, scope):
            raise Forbidden("task_outside_your_review", {"stage": "stage_not_yours"}, details={"stage": stage})

    def filter_sql(self):
        """A WHERE fragment and its args restricting tasks to what this reviewer may see."""
        return _filter(self.admin, self.stages)


def _filter(admin, stages):
    if admin:
        return "true", []
    clauses, args = [], []
    for stage, provinces in sorted(stages.items()):
        if stage == "provincial":
            clauses.append("(stage = 'provincial' AND scope = ANY(%s))")
            args.append(sorted(p for p in provinces if p))
        else:
            clauses.append("stage = %s")
            args.append(stage)
    return ("(" + " OR ".join(clauses) + ")") if clauses else "false", args


def check_lead_scope(scope):
    """A lead's scope, as a reviewer's: a stage, or 'provincial:<province code>'."""
    stage, _, province = (scope or "").partition(":")
    if stage not in REVIEW_STAGES or (stage == "provincial") != bool(province) or (
            province and not (len(province) == 6 and province.isascii() and province.isdigit()
                              and province.endswith("0000"))):
        raise InvalidInput("role_invalid", {"scope": ("review_stage_required", {"stages": "、".join(REVIEW_STAGES)})})
    return scope


def set_lead(cur, user_id, scope, granted):
    if granted:
        cur.execute("INSERT INTO reviewer_grants (user_id, role, scope) VALUES (%s, 'lead', %s) ON CONFLICT DO NOTHING",
                    (str(user_id), scope))
    else:
        cur.execute("DELETE FROM reviewer_grants WHERE user_id = %s AND role = 'lead' AND scope = %s",
                    (str(user_id), scope))


def load(cur, user_id):
    cur.execute("SELECT role, scope FROM reviewer_grants WHERE user_id = %s", (str(user_id),))
    return Access(cur.fetchall())


def apply_role_event(cur, event_type, event):
    if event["role"] not in ("reviewer", "platform_admin"):
        return
    if event_type == "role_granted":
        cur.execute("INSERT INTO reviewer_grants (user_id, role, scope) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (str(event["user_id"]), event["role"], event["scope"]))
    else:
        cur.execute("DELETE FROM reviewer_grants WHERE user_id = %s AND role = %s AND scope = %s",
                    (str(event["user_id"]), event["role"], event["scope"]))


def reviewers_of(cur, stage, scope):
    """The reviewers granted a stage (a provincial one for that province), by user id."""
    grant = f"provincial:{scope}" if stage == "provincial" else stage
    cur.execute("SELECT user_id FROM reviewer_grants WHERE role = 'reviewer' AND scope = %s ORDER BY user_id", (grant,))
    return [user_id for (user_id,) in cur.fetchall()]
