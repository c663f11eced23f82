"""Organizations of every category in six provinces, and their communicators: each person registers,
submits a real-name verification (members name their organization in it), the platform admin approves in
batches; registrants then register their organization with a licence image."""
from concurrent.futures import ThreadPoolExecutor

from scripts.demo import media
from scripts.demo.api import eventually, id_number

# name, category, region (county), registrant's phone
ORGS = [
    ("中国气象局气象宣传与科普中心", "ministry", "110108", "13810000001"),
    ("北京市朝阳区科学技术协会", "county_cast", "110105", "13810000002"),
    ("广东省科学技术协会", "provincial_cast", "440104", "13810000003"),
    ("上海市浦东新区科普教育基地", "other", "310115", "13810000004"),
    ("成都市武侯区第一中学", "school", "510107", "13810000005"),
    ("杭州市科学技术协会", "city_cast", "330106", "13810000006"),
    ("中国气象学会", "national_society", "110108", "13810000007"),
    ("武汉光谷智能科技有限公司", "enterprise", "420111", "13810000008"),
    ("四川省营养学会", "society", "510107", "13810000009"),
    ("广州市天河区石牌街道办事处", "street", "440106", "13810000010"),
    ("上海市浦东新区陆家嘴社区", "community", "310115", "13810000011"),
    # a county CAST outside the municipalities (a Beijing district's CAST supervises under 市科协: seed 004)
    ("广州市天河区科学技术协会", "county_cast", "440106", "13810000012"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["科普", "晓明", "海燕", "建国", "丽娟", "志强", "雨桐", "思远", "嘉怡", "子涵", "浩然", "欣怡"]


def member_phone(org_index, n):
    return f"1382{org_index:03d}{n:04d}"


def verify(api, admin, people, workers):
    """people: [(phone, sequence, region, unit, org_id)]; all end as verified communicators.
    Returns {phone: (token, user_id)} with tokens that carry the communicator role."""
    def submit(person):
        phone, n, region, unit, org_id = person
        token = api.sign_in(phone)
        me = api.call("GET", "/me", token)
        verification = me["verification"]
        if verification is None:
            verification = api.call("POST", "/me/verification", token, json={
                "real_name": SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)], "id_number": id_number(n, region),
                "unit_name": unit, "unit_address": unit, "communicator_type": "individual", "region_code": region,
                "org_id": org_id})
        return phone, token, me["id"], verification

    with ThreadPoolExecutor(workers) as pool:
        submitted = list(pool.map(submit, people))
    api.decide(admin, "realname", {v["id"]: "approved" for _, _, _, v in submitted if v["status"] == "pending"})

    def signed_in_again(entry):
        phone, token, user_id, verification = entry
        if verification["status"] != "approved":
            eventually(lambda: api.call("GET", "/me", token)["verification"]["status"] == "approved",
                       what="a verification to be approved")
            token = api.sign_in(phone)  # the communicator role arrives with a new token
        return phone, (token, user_id)

    with ThreadPoolExecutor(workers) as pool:
        return dict(pool.map(signed_in_again, submitted))


def organizations(api, admin, workers=6):
    """Every organization of ORGS verified. Returns [{"name", "category", "region", "phone", "token", "id"}]."""
    registrants = verify(api, admin, [(phone, n + 1, region, name, None)
                                       for n, (name, _, region, phone) in enumerate(ORGS)], workers)

    def entered(row):
        name, category, region, phone = row
        token, _ = registrants[phone]
        roles = api.call("GET", "/me", token)["roles"]
        owned = [r["scope"] for r in roles if r["role"] == "org_admin"]
        if owned:
            return {"name": name, "category": category, "region": region, "phone": phone, "token": token,
                    "id": owned[0], "new": False}
        licence = api.call("POST", "/orgs/licence", token, data=media.picture(name + "营业执照")[0],
                           headers={"Content-Type": "image/png"})
        org = api.call("POST", "/orgs", token, json={
            "name": name, "category": category, "region_code": region, "licence_key": licence["licence_key"],
            "contact_name": "李科普", "contact_phone": phone})
        return {"name": name, "category": category, "region": region, "phone": phone, "token": token,
                "id": org["id"], "new": True}

    with ThreadPoolExecutor(workers) as pool:
        orgs = list(pool.map(entered, ORGS))
    api.decide(admin, "org", {o["id"]: "approved" for o in orgs if o["new"]})

    def admin_token(org):
        if org["new"]:
            eventually(lambda: any(r["role"] == "org_admin" for r in api.call("GET", "/me", org["token"])["roles"]),
                       what="an organization to be approved")
            org["token"] = api.sign_in(org["phone"])
        return org

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(admin_token, orgs))


def communicators(api, admin, orgs, per_org, workers=6):
    """per_org(index) communicators in each organization, verified as its members.
    Returns [{"phone", "token", "user_id", "org": org}]."""
    people, home = [], {}
    for i, org in enumerate(orgs):
        for n in range(per_org(i)):
            phone = member_phone(i + 1, n + 1)
            people.append((phone, 100 + i * 100 + n, org["region"], org["name"], org["id"]))
            home[phone] = org
    signed = verify(api, admin, people, workers)
    return [{"phone": phone, "token": signed[phone][0], "user_id": signed[phone][1], "org": home[phone]}
            for phone, *_ in people]
