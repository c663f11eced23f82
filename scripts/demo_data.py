"""make demo: fill a running platform (make run) with realistic organizations and resources, through the
public API exactly as people would: communicators verify, organizations register, upload and submit,
a platform admin works the review queues. Run it again and it only adds what is missing.

Activities and shares join this command with their services.
"""
import hashlib
import io
import os
import sys
import time
from pathlib import Path

import requests
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu_common.cli import service_config  # noqa: E402
from services.identity.cli import create_admin  # noqa: E402

API = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000") + "/api/v1"
PASSWORD = os.environ.get("DEMO_PASSWORD", "kepu2026demo")
ADMIN_PHONE = os.environ.get("DEMO_ADMIN_PHONE", "13800138000")
ORGS = [
    ("中国气象局气象宣传与科普中心", "ministry", "110108", "13810000001"),
    ("北京市朝阳区科学技术协会", "county_cast", "110105", "13810000002"),
    ("广东省科学技术协会", "provincial_cast", "440104", "13810000003"),
    ("上海市浦东新区科普教育基地", "other", "310115", "13810000004"),
    ("成都市武侯区第一中学", "school", "510107", "13810000005"),
]
# title, type, keywords, description, topics, decision ("approved", "rejected: reason", or None = leave pending)
RESOURCES = [
    ("冬季雾霾天气如何做好个人防护", "image", ["雾霾", "健康", "空气污染"], "雾霾天尽量减少外出，出门佩戴防护口罩，回家后及时洗脸漱口。", ["健康"], "approved"),
    ("科学防疫 从勤洗手开始", "wallchart", ["防疫", "洗手", "健康"], "七步洗手法图解，适合社区、学校张贴。", ["科学防疫", "守护健康 抗击新型肺炎"], "approved"),
    ("地震来了怎么办：家庭应急避险指南", "article", ["地震", "应急", "避险"], "介绍地震发生时室内外避险要点与家庭应急包的准备。", ["应急科普"], "approved"),
    ("谣言：喝板蓝根能预防新冠肺炎", "debunk", ["辟谣", "新冠肺炎"], "板蓝根不能预防新冠肺炎，接种疫苗和做好个人防护才是有效手段。", ["辟谣"], "approved"),
    ("夏季食品安全小常识", "image", ["食品安全", "健康"], "高温天气食物易变质，生熟分开、彻底加热。", ["健康"], "rejected: 图片中的温度数据缺少来源"),
    ("青少年近视防控挂图", "wallchart", ["近视", "青少年", "健康"], "每天户外活动两小时，读写姿势要端正。", ["健康"], None),
    ("垃圾分类怎么分", "article", ["垃圾分类", "环保"], "可回收物、有害垃圾、厨余垃圾和其他垃圾的分类方法。", ["生态环境"], "approved"),
    ("心肺复苏急救步骤", "wallchart", ["急救", "心肺复苏"], "判断意识、呼救、胸外按压与人工呼吸的要点。", ["应急科普"], "approved"),
]
COLOURS = [(32, 96, 160), (200, 80, 60), (60, 150, 90), (220, 160, 40), (120, 80, 170)]


class ApiFailure(RuntimeError):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def call(method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = requests.request(method, API + path, headers=headers, timeout=60, **kwargs)
    if response.status_code >= 400:
        raise ApiFailure(response.status_code, f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


def eventually(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise RuntimeError("the platform did not catch up in time")


def account(phone):
    """Sign in, or register first (needs SMS_DEBUG_ECHO=1, as under make run)."""
    login = requests.post(f"{API}/auth/login", json={"phone": phone, "password": PASSWORD}, timeout=30)
    if login.status_code == 200:
        return login.json()["tokens"]["access_token"]
    code = call("POST", "/auth/sms-code", json={"phone": phone})["debug_code"]
    return call("POST", "/auth/register", json={"phone": phone, "code": code, "password": PASSWORD})["tokens"]["access_token"]


def id_number(n, region):
    body = f"{region}1988{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def approve_all(admin, stage, subject_ids, decisions=None):
    """The platform admin works the queue: approve (or reject with a reason) the named subjects."""
    wanted = set(subject_ids)
    tasks = eventually(lambda: (lambda found: found if {t["subject_id"] for t in found} >= wanted else None)(
        call("GET", f"/review/tasks?stage={stage}&page_size=200", admin)["items"]))
    for task in tasks:
        if task["subject_id"] not in wanted:
            continue
        decision = (decisions or {}).get(task["subject_id"], "approved")
        verdict, _, reason = decision.partition(": ")
        call("POST", f"/review/tasks/{task['id']}/claim", admin)
        call("POST", f"/review/tasks/{task['id']}/decision", admin, json={"decision": verdict, "comment": reason})


def picture(title, colour, size=(1600, 1000)):
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    for n in range(0, size[0], 80):
        draw.rectangle([n, size[1] - 200 - (n * 7) % 300, n + 60, size[1] - 120], fill=(255, 255, 255))
    draw.text((60, 60), hashlib.md5(title.encode()).hexdigest()[:12], fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue(), "image/png", ".png"


def article(title):
    text = f"Kepu demo article {hashlib.md5(title.encode()).hexdigest()[:8]}"
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue(), "application/pdf", ".pdf"


def upload(token, purpose, title, data, content_type, suffix):
    started = call("POST", "/uploads", token, json={
        "purpose": purpose, "filename": title + suffix, "size": len(data), "content_type": content_type,
        "sha256": hashlib.sha256(data).hexdigest(), "method": "stream"})
    return call("PUT", f"/uploads/{started['id']}/content", token, data=data,
                headers={"Content-Type": "application/octet-stream"})


def main():
    create_admin(service_config("identity")["DATABASE_URL"], ADMIN_PHONE, PASSWORD)
    admin = account(ADMIN_PHONE)
    made = 0
    for n, (name, category, region, phone) in enumerate(ORGS):
        token = account(phone)
        me = call("GET", "/me", token)
        if not me["verification"]:
            submitted = call("POST", "/me/verification", token, json={
                "real_name": "李科普", "id_number": id_number(n + 1, region), "unit_name": name,
                "unit_address": "中国", "communicator_type": "individual", "region_code": region})
            approve_all(admin, "realname", [submitted["id"]])
            eventually(lambda: call("GET", "/me", token)["verification"]["status"] == "approved")
        token = account(phone)  # the communicator role arrives with a new token
        if call("GET", "/auth/session", token)["roles"].count("org_admin") == 0:
            licence = call("POST", "/orgs/licence", token, data=picture(name, (250, 250, 250))[0],
                           headers={"Content-Type": "image/png"})
            org = call("POST", "/orgs", token, json={
                "name": name, "category": category, "region_code": region, "licence_key": licence["licence_key"],
                "contact_name": "李科普", "contact_phone": phone})
            approve_all(admin, "org", [org["id"]])
            eventually(lambda: any(r["role"] == "org_admin" for r in call("GET", "/me", token)["roles"]))
            token = account(phone)
        if call("GET", "/my/resources", token)["items"]:
            continue  # this organization's resources are there already
        submitted, decisions = [], {}
        for k, (title, kind, keywords, description, topics, decision) in enumerate(RESOURCES[n % 3::2]):
            data, content_type, suffix = article(title) if kind == "article" else picture(title, COLOURS[(n + k) % 5])
            done = eventually(lambda: _try(lambda: upload(token, kind, title, data, content_type, suffix)))
            resource = call("POST", "/resources", token, json={
                "title": title, "type": kind, "keywords": keywords, "description": description, "topics": topics,
                "upload_id": done["id"]})
            made += 1
            if decision:
                submitted.append(resource["id"])
                decisions[resource["id"]] = decision
        approve_all(admin, "initial", submitted)
        approve_all(admin, "scientific", submitted, decisions)
    print(f"demo data: {len(ORGS)} organizations, {made} new resources; platform admin {ADMIN_PHONE} / {PASSWORD}")
    found = call("GET", "/resources?q=%E5%81%A5%E5%BA%B7")["items"]  # 健康
    print(f"published resources matching 健康: {len(found)}")


def _try(action):
    try:
        return action()
    except ApiFailure as exc:
        if exc.status == 403:  # the resources service has not yet heard that this user runs the organization
            return None
        raise


if __name__ == "__main__":
    main()
