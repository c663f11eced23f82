"""Who sees and decides which tasks: reviewers per stage (provincial ones per province), platform admins all."""
from kepu_common.errors import Forbidden


class Access:
    """A reviewer's grants, as (role, scope) pairs kept from identity's role events."""

    def __init__(self, grants):
        self.admin = any(role == "platform_admin" for role, _ in grants)
        self.stages = {}
        for role, scope in grants:
            if role == "reviewer":
                stage, _, province = scope.partition(":")
                self.stages.setdefault(stage, set()).add(province or None)

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
        if self.admin:
            return "true", []
        clauses, args = [], []
        for stage, provinces in self.stages.items():
            if stage == "provincial":
                clauses.append("(stage = 'provincial' AND scope = ANY(%s))")
                args.append(sorted(p for p in provinces if p))
            else:
                clauses.append("stage = %s")
                args.append(stage)
        return ("(" + " OR ".join(clauses) + ")") if clauses else "false", args


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
