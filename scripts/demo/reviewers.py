"""Reviewers to try the review UI as people would: a provincial reviewer for Guangdong (where the demo's county
CAST activities go first) and a national reviewer, who also leads the national stage (sees and reassigns its
overdue and long-claimed tasks). Each verifies a real name first: roles that review go to verified accounts only."""
from scripts.demo.orgs import verify

# phone, review scope, leads that stage, region of the person, unit
REVIEWERS = [
    ("13830000001", "provincial:440000", False, "440104", "广东省科学技术协会"),
    ("13830000002", "national", True, "110108", "中国科学技术协会科学技术普及部"),
]


def reviewers(api, admin):
    """Returns [{"phone", "user_id", "scope"}]; granting again changes nothing."""
    signed = verify(api, admin, [(phone, 900 + n, region, unit, None)
                                 for n, (phone, _, _, region, unit) in enumerate(REVIEWERS)], workers=2)
    made = []
    for phone, scope, leads, _, _ in REVIEWERS:
        user_id = signed[phone][1]
        api.call("POST", f"/admin/users/{user_id}/roles", admin, json={"role": "reviewer", "scope": scope})
        if leads:
            api.call("POST", "/review/leads", admin, json={"user_id": user_id, "scope": scope})
        made.append({"phone": phone, "user_id": user_id, "scope": scope})
    return made
