"""Activity figures per supervising unit (归口单位) of a campaign: the table a platform admin allocates nomination
quotas from (seed 004: the supervising unit reflects each channel's mobilization and is one factor of quota
allocation). Counted from the activities as last approved; a unit's admins see their own units' rows only,
platform admins every row and the province roll-up."""
from kepu_common.domain import regions
from kepu_common.interfaces.errors import Forbidden
from kepu_common.interfaces.messages import label
from services.activities import catalogue, directory

FIGURES = ("approved", "followups_complete", "nominated", "quota", "quota_left")
LABELS = {"approved": "审核通过的活动", "followups_complete": "补充信息已提交", "nominated": "已推优",
          "quota": "推优名额", "quota_left": "剩余名额", "org_id": "归口单位", "name": "单位名称",
          "category": "归口单位类别", "province": "省份", "province_name": "省份名称", "units": "按归口单位",
          "provinces": "按省份汇总"}


def unit_stats(cur, user_id, campaign_id):
    campaign = catalogue.get_campaign(cur, campaign_id)
    admin = directory.is_platform_admin(cur, user_id)
    mine = {str(o) for o in directory.orgs_of(cur, user_id)}
    if not admin and not mine:
        raise Forbidden("activity_stats_not_allowed", {"campaign_id": "not_an_admin"},
                        details={"required_roles": ["platform_admin", "org_admin"]})
    cur.execute("SELECT p.data->'supervising_unit'->>'org_id', p.data->'supervising_unit'->>'category', "
                "p.data->'supervising_unit'->>'name', p.data->'supervising_unit'->>'province', count(*), "
                "count(*) FILTER (WHERE f.status = 'submitted'), count(n.activity_id) "
                "FROM activities a JOIN activity_versions p ON p.activity_id = a.id AND p.revision = a.public_revision "
                "LEFT JOIN followups f ON f.activity_id = a.id LEFT JOIN nominations n ON n.activity_id = a.id "
                "WHERE a.campaign_id = %s GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC, 1", (str(campaign["id"]),))
    rows = cur.fetchall()
    cur.execute("SELECT org_id::text, quota FROM unit_quotas WHERE campaign_id = %s", (str(campaign["id"]),))
    overrides = dict(cur.fetchall())
    units = []
    for org_id, category, name, province, approved, complete, nominated in rows:
        if not admin and org_id not in mine:
            continue
        quota = overrides.get(org_id)
        quota = campaign["quotas"].get(category, 0) if quota is None else quota
        units.append({"org_id": org_id, "name": name, "category": category,
                      "category_label": label("org_category", category), "province": province,
                      "province_name": regions.lookup(province).name, "approved": approved,
                      "followups_complete": complete, "nominated": nominated, "quota": quota,
                      "quota_left": max(quota - nominated, 0)})
    provinces = []
    if admin:
        rolled = {}
        for unit in units:
            row = rolled.setdefault(unit["province"], {"province": unit["province"],
                                                       "province_name": unit["province_name"], "approved": 0,
                                                       "followups_complete": 0, "nominated": 0, "quota": 0})
            for key in ("approved", "followups_complete", "nominated", "quota"):
                row[key] += unit[key]
        provinces = sorted(rolled.values(), key=lambda r: (-r["approved"], r["province"]))
    return {"campaign_id": campaign["id"], "units": units, "provinces": provinces, "labels": LABELS,
            "scope": "all" if admin else "own_units"}
