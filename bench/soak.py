"""Soak: SOAK_SECONDS (default 1800) of mixed load through the gateway against the whole platform, started as
`make run` starts it (one process per service, the gateway under gunicorn with its default 2 workers x 16
threads, the reviewer UI, the local S3 endpoint), in a private vhost with its own databases.

The load: reads (search, a resource, the directory, /me, points, stats, leaderboard, activities, topics, review
queues), share starts and returns, redemptions, downloads, image uploads submitted as resources, sign-ups with
real-name verification, activities with a poster; a reviewer thread works every review queue through the API
(claim, then decide), so every upload, verification and activity goes through both of its reviews.

Every minute the resident set size (VmRSS) of every process of the platform is read from /proc. Printed: RSS
after set-up, after the warm-up (SOAK_WARMUP seconds, 300 by default, a quarter of shorter runs) and at the end,
with the growth after warm-up; requests and errors per kind. BENCH_ONLY=soak .venv/bin/python bench/run.py
writes them into docs/benchmarks.md; the samples go to SOAK_JSON (/tmp/soak/samples.json).
"""
import collections
import datetime
import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from PIL import Image  # noqa: E402

from bench.common import platform  # noqa: E402
from kepu_common.devtools import devstack  # noqa: E402
from services.identity.cli import create_admin  # noqa: E402

SECONDS = int(os.environ.get("SOAK_SECONDS", "1800"))
WARMUP = int(os.environ.get("SOAK_WARMUP", str(min(300, SECONDS // 4))))
SAMPLE_EVERY = int(os.environ.get("SOAK_SAMPLE_SECONDS", "60"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "4"))  # worker threads; each paces itself (THINK seconds between acts)
THINK = float(os.environ.get("SOAK_THINK", "0.1"))
SAMPLES = Path(os.environ.get("SOAK_JSON", "/tmp/soak/samples.json"))
AIM_GROWTH = 10.0  # % of RSS after warm-up
PASSWORD = "kepu2026soak"
REGION, PROVINCE = "440106", "440000"  # 广州市天河区: the activity route is provincial (广东) then national
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


def id_number(sequence, region=REGION, born="19850315"):
    """A valid resident ID number (GB 11643 check digit)."""
    body = f"{region}{born}{sequence:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def png(seed):
    """A small PNG whose bytes differ by seed (so each upload is its own file)."""
    out = io.BytesIO()
    Image.new("RGB", (64 + seed % 64, 48), ((seed * 37) % 256, (seed * 91) % 256, 200)).save(out, "PNG")
    return out.getvalue()


class Tally:
    """Answers per kind of request: counts by status, errors (5xx, time-outs, refused connections) and
    unexpected 4xx kept apart, with a few examples of each."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = collections.Counter()
        self.errors = collections.Counter()
        self.unexpected = collections.Counter()
        self.examples = []

    def record(self, kind, status, expected, text=""):
        with self.lock:
            self.requests[kind] += 1
            if status is None or status >= 500:
                self.errors[kind] += 1
            elif status not in expected:
                self.unexpected[kind] += 1
            else:
                return
            if len(self.examples) < 30:
                self.examples.append(f"{kind} {status} {text[:300]}")

    def snapshot(self):
        with self.lock:
            return {"requests": dict(self.requests), "errors": dict(self.errors), "unexpected_4xx": dict(self.unexpected),
                    "examples": list(self.examples)}


class Client:
    """One user's keep-alive session with the gateway; every answer is tallied under a kind. An expired access
    token is refreshed (POST /auth/refresh, once for every thread sharing this user) and the request sent again."""

    def __init__(self, base, tally, tokens=None):
        self.base, self.tally, self.tokens = base, tally, tokens
        self.session = requests.Session()
        self.lock = threading.Lock()

    def _send(self, kind, method, url, expect, headers, kwargs):
        if self.tokens:
            headers = {**headers, "Authorization": f"Bearer {self.tokens['access_token']}"}
        try:
            answer = self.session.request(method, url, headers=headers, timeout=30, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            self.tally.record(kind, None, expect, repr(exc))
            return None
        if answer.status_code == 401 and self.tokens and "token_expired" in answer.text:
            return answer  # not tallied: sent again once refreshed
        self.tally.record(kind, answer.status_code, expect, answer.text)
        return answer

    def _refresh(self, expired):
        with self.lock:
            if self.tokens["access_token"] != expired:
                return  # another thread refreshed it
            answer = self._send("token refresh", "POST", f"{self.base}/api/v1/auth/refresh", (200,), {},
                                {"json": {"refresh_token": self.tokens["refresh_token"]}})
            if ok(answer):
                self.tokens = answer.json()["tokens"]  # {user, tokens}, as login answers

    def call(self, kind, method, path, expect=(200, 201, 202), **kwargs):
        headers = kwargs.pop("headers", {})
        url = path if path.startswith("http") else f"{self.base}/api/v1{path}"
        sent_with = self.tokens and self.tokens["access_token"]
        answer = self._send(kind, method, url, expect, headers, kwargs)
        if answer is not None and answer.status_code == 401 and self.tokens and "token_expired" in answer.text:
            self._refresh(sent_with)
            answer = self._send(kind, method, url, expect, headers, kwargs)
            if answer is not None and answer.status_code == 401:
                self.tally.record(kind, 401, expect, answer.text)
        return answer


def ok(answer):
    return answer is not None and answer.status_code < 300


def wait_for(check, seconds=60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    return None


class World:
    """What the load acts on: an admin who reviews, two organizations in Guangdong, communicators who share,
    published resources, an approved activity, an item of the mall."""

    def __init__(self, running, tally):
        self.running, self.tally, self.base = running, tally, running.gateway_url
        self.lock = threading.Lock()
        self.sequence = 0
        self.resources, self.activities, self.communicators, self.pending = [], [], [], []

    def next_sequence(self):
        with self.lock:
            self.sequence += 1
            return self.sequence

    def client(self, tokens=None):
        return Client(self.base, self.tally, tokens)

    def sign_in(self, phone):
        answer = self.client().call("sign-in", "POST", "/auth/login", json={"phone": phone, "password": PASSWORD})
        return answer.json()["tokens"] if ok(answer) else None

    def sign_up(self, phone):
        anonymous = self.client()
        sent = anonymous.call("sign-up", "POST", "/auth/sms-code", json={"phone": phone})
        if not ok(sent):
            return None
        made = anonymous.call("sign-up", "POST", "/auth/register",
                              json={"phone": phone, "code": sent.json()["debug_code"], "password": PASSWORD})
        return made.json()["tokens"] if ok(made) else None

    def verified(self, phone, org_id=None, wait=True):
        """Sign up and ask for real-name verification (the reviewer thread decides it); signed in again once
        approved, to carry the communicator role. Returns the tokens, or None."""
        tokens = self.sign_up(phone)
        if tokens is None:
            return None
        user = self.client(tokens)
        sequence = self.next_sequence()
        asked = user.call("verification", "POST", "/me/verification", json={
            "real_name": "王科普", "id_number": id_number(sequence % 1000, born=f"19{60 + sequence // 1000:02d}0315"),
            "unit_name": "天河区第一中学", "unit_address": "广州市天河区", "communicator_type": "individual",
            "region_code": REGION, "org_id": org_id})
        if not ok(asked) or not wait:
            return None
        if not wait_for(lambda: ok(r := user.call("read /me", "GET", "/me"))
                        and r.json()["verification"]["status"] == "approved"):
            return None
        return self.sign_in(phone)

    def organization(self, phone, name, category):
        user = self.client(self.verified(phone))
        licence = user.call("upload licence", "POST", "/orgs/licence", data=png(self.next_sequence()),
                            headers={"Content-Type": "image/png"})
        org = user.call("organization", "POST", "/orgs", json={
            "name": name, "category": category, "region_code": REGION, "licence_key": licence.json()["licence_key"],
            "contact_name": "刘联络", "contact_phone": phone})
        org_id = org.json()["id"]
        wait_for(lambda: ok(r := user.call("read org", "GET", f"/orgs/{org_id}")) and r.json()["status"] == "approved")
        return self.sign_in(phone), org_id

    def upload(self, user, purpose="image"):
        data = png(self.next_sequence())
        body = {"purpose": purpose, "filename": "科普图片.png", "size": len(data), "content_type": "image/png",
                "sha256": hashlib.sha256(data).hexdigest(), "method": "stream"}
        started = wait_for(lambda: (lambda r: r if ok(r) else None)(user.call("upload", "POST", "/uploads", json=body,
                                                                              expect=(201, 403))), 30)
        if started is None:
            return None
        sent = user.call("upload", "PUT", f"/uploads/{started.json()['id']}/content", data=data,
                         headers={"Content-Type": "application/octet-stream"})
        return started.json()["id"] if ok(sent) else None

    def submit_resource(self, user):
        upload_id = self.upload(user)
        if upload_id is None:
            return None
        n = self.next_sequence()
        made = user.call("submit resource", "POST", "/resources", json={
            "title": f"科普挂图第{n}号：台风的形成", "type": "image", "keywords": ["台风", "气象"], "topics": ["气象"],
            "description": "气象专家讲解台风的形成过程与防御要点。", "upload_id": upload_id})
        return made.json()["id"] if ok(made) else None

    def submit_activity(self, user):
        poster = self.upload(user, "activity_poster")
        if poster is None:
            return None
        start = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=12)).replace(microsecond=0)
        made = user.call("submit activity", "POST", "/activities", json={
            "campaign_id": self.campaign, "name": f"走进天河：气象科普开放日（{self.next_sequence()}）", "mode": "offline",
            "type": "open_day", "start_at": start.isoformat(), "end_at": (start + datetime.timedelta(hours=3)).isoformat(),
            "region_code": REGION, "supervising_category": "county_cast", "supervising_org_id": self.supervisor,
            "youth_festival": True, "joint_action": {"included": True, "categories": ["science_museums"]},
            "hosts": [{"org_id": self.supervisor}], "organizers": [{"name": "天河区气象科普馆"}],
            "reservation": {"enabled": True, "url": "https://booking.example.cn/tianhe"}, "expected_participants": 200,
            "poster_upload_id": poster, "venue": {"address": "天河路 2 号气象观测场"},
            "details": {"content": "参观气象观测场，动手制作雨量筒。", "audience": "中小学生及家长",
                        "scientists": "广州市气象台预报员", "contact_person": "陈老师", "contact_phone": "020-38881234"}})
        return made.json()["id"] if ok(made) else None

    def set_up(self):
        running = self.running
        create_admin(running.database_url("identity"), "13900000000", PASSWORD, running.env["IDENTITY_SECRET_KEY_FILE"])
        self.admin = self.client(self.sign_in("13900000000"))
        self.stopping = False
        reviewer = threading.Thread(target=self.review_until, args=(lambda: self.stopping,), daemon=True)
        reviewer.start()
        self.admin.call("settings", "PATCH", "/admin/metrics/settings",
                        json={"channel_points": {"wechat_group": 10, "qq_group": 5}})
        item = self.admin.call("mall item", "POST", "/mall/items", json={"name": "科普图书", "cost": 1,
                                                                         "stock": 10_000_000})
        self.item = item.json()["id"]
        _, self.supervisor = self.organization("13900000001", "广州市天河区科学技术协会", "county_cast")
        publisher, self.publisher_org = self.organization("13900000002", "天河区气象科普馆", "other")
        self.publisher = self.client(publisher)
        today = datetime.date.today()
        campaign = self.admin.call("campaign", "POST", "/campaigns", json={
            "name": "全国科普日（浸泡测试）", "year": today.year, "theme": "提升全民科学素质",
            "window_start": (today - datetime.timedelta(days=5)).isoformat(),
            "window_end": (today + datetime.timedelta(days=60)).isoformat()})
        self.campaign = campaign.json()["id"]
        print("set-up: organizations approved", flush=True)
        for n in range(8):
            tokens = self.verified(f"1390000{n + 100:04d}", org_id=self.publisher_org)
            if tokens:
                self.communicators.append(self.client(tokens))
        print(f"set-up: {len(self.communicators)} communicators verified", flush=True)
        while len(self.resources) < 3:
            resource = self.submit_resource(self.publisher)
            if resource and wait_for(lambda: ok(self.client().call("read resource", "GET", f"/resources/{resource}",
                                                                   expect=(200, 404)))):
                self.resources.append(resource)
            print(f"set-up: {len(self.resources)} resources published", flush=True)
        while not self.activities:
            activity = self.submit_activity(self.publisher)
            if activity and wait_for(lambda: ok(r := self.publisher.call("read activity", "GET", f"/activities/{activity}"))
                                     and r.json()["review_status"] == "approved"):
                self.activities.append(activity)
        print("set-up: done", json.dumps(self.tally.snapshot(), ensure_ascii=False), flush=True)
        return reviewer

    def review_until(self, stop):
        """The reviewer at work: every open task, claimed then decided (approved)."""
        while not stop():
            page = self.admin.call("review list", "GET", "/review/tasks?status=open&page_size=50")
            items = page.json()["items"] if ok(page) else []
            for task in items:
                if ok(self.admin.call("review claim", "POST", f"/review/tasks/{task['id']}/claim", json={})):
                    self.admin.call("review decide", "POST", f"/review/tasks/{task['id']}/decision",
                                    json={"decision": "approved", "comment": "内容准确"})
            time.sleep(0.5 if items else 2.0)


# --- the mixed load --------------------------------------------------------------------------------------------
def act_read(world, user):
    anonymous = world.client()
    resource = random.choice(world.resources)
    choice = random.randrange(10)
    if choice == 0:
        anonymous.call("read search", "GET", f"/resources?q={quote(random.choice(['台风', '气象', '科普挂图']))}")
    elif choice == 1:
        anonymous.call("read resource", "GET", f"/resources/{resource}")
    elif choice == 2:
        user.call("read directory", "GET", f"/orgs?q={quote(random.choice(['科协', '天河', '气象']))}")
    elif choice == 3:
        user.call("read /me", "GET", "/me")
    elif choice == 4:
        user.call("read points", "GET", "/me/points")
    elif choice == 5:
        user.call("read stats", "GET", "/me/stats")
    elif choice == 6:
        user.call("read leaderboard", "GET", "/leaderboard?scope=city&code=440100&period=day")
    elif choice == 7:
        anonymous.call("read activities", "GET", f"/activities?region={PROVINCE}")
    elif choice == 8:
        anonymous.call("read topics", "GET", "/topics")
    elif random.random() < 0.5:
        world.admin.call("read review queues", "GET", "/review/queues")
    else:
        anonymous.call("reviewer UI sign-in page", "GET", f"{world.running.review_ui_url}/login")


def act_share(world, user):
    content_type, content_id = random.choice([("resource", r) for r in world.resources]
                                             + [("activity", a) for a in world.activities])
    started = user.call("share start", "POST", "/shares", json={"content_type": content_type, "content_id": content_id,
                                                               "channel": random.choice(["wechat_group", "qq_group"])})
    if ok(started):
        for _ in range(random.choice((1, 1, 2))):  # a repeated return is answered the same and counted once
            user.call("share return", "POST", f"/shares/{started.json()['share_id']}/return", expect=(202,))


def act_redeem(world, user):
    user.call("redeem", "POST", "/mall/redemptions", expect=(200, 201, 422),
              json={"item_id": world.item, "quantity": 1, "client_key": uuid.uuid4().hex,
                    "delivery": {"recipient": "王小明", "phone": "13800138000", "region_code": "110105",
                                 "address": "朝阳路1号"}})


def act_download(world, user):
    world.client().call("download", "GET", f"/resources/{random.choice(world.resources)}/download", expect=(302,),
                        headers={"User-Agent": BROWSER})


def act_upload(world, user):
    """A new resource; it is read, shared and downloaded once both reviews have published it."""
    with world.lock:
        waiting, world.pending = world.pending, []
    for resource in waiting:
        published = ok(world.client().call("read resource", "GET", f"/resources/{resource}", expect=(200, 404)))
        with world.lock:
            (world.resources if published else world.pending).append(resource)
    resource = world.submit_resource(world.publisher)
    if resource:
        with world.lock:
            world.pending.append(resource)


def act_sign_up(world, user):
    phone = f"137{world.next_sequence():08d}"
    world.verified(phone, org_id=world.publisher_org, wait=False)


def act_activity(world, user):
    world.submit_activity(world.publisher)


# (action, weight, at most once every N seconds): sign-ups stay well under the 300 per address per hour
ACTIONS = [(act_read, 60, 0), (act_share, 20, 0), (act_redeem, 4, 0), (act_download, 6, 0), (act_upload, 6, 10),
           (act_sign_up, 2, 20), (act_activity, 2, 60)]


def load(world, until):
    last = collections.defaultdict(float)
    weights = [w for _, w, _ in ACTIONS]
    while time.monotonic() < until:
        act, _, every = random.choices(ACTIONS, weights)[0]
        if every and time.monotonic() - last[act] < every * CLIENTS:
            act = act_read
        last[act] = time.monotonic()
        try:
            act(world, random.choice(world.communicators))
        except Exception as exc:  # an answer of an unexpected shape: counted, the load goes on
            world.tally.record(act.__name__, None, (), repr(exc))
        time.sleep(THINK)


# --- resident set sizes --------------------------------------------------------------------------------------
def _children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def processes(running, s3_pid):
    """name -> pid of every process of the platform: the services, gunicorn's master and workers, the S3 endpoint."""
    found = {}
    for name, process in running.processes.items():
        found[name] = process.pid
        for n, child in enumerate(sorted(_children(process.pid)), 1):
            found[f"{name} worker {n}"] = child
    if s3_pid:
        found["object store (SeaweedFS)"] = s3_pid
    return found


def sample(pids):
    return {name: _rss_kb(pid) for name, pid in pids.items()}


def _store_pid():
    """The local object store this benchmark started (SeaweedFS's `weed server`)."""
    me = os.getpid()
    for child in _children(me):
        command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if command and command[0].endswith(b"/weed"):
            return child
    return None


def error_lines(logs):
    """ERROR lines and tracebacks in each process's log; the logs are kept beside SOAK_JSON (logs/)."""
    found, kept = {}, SAMPLES.parent / "logs"
    kept.mkdir(parents=True, exist_ok=True)
    for log in sorted(Path(logs).glob("*.log")):
        text = log.read_text(errors="replace")
        (kept / log.name).write_text(text)
        found[log.stem] = [line[:400] for line in text.splitlines() if " ERROR " in line or line.startswith("Traceback")]
    return found


def run(seconds=SECONDS, warmup=WARMUP):
    SAMPLES.parent.mkdir(parents=True, exist_ok=True)
    tally = Tally()
    result = None
    try:
        with platform(()) as running:
            result = _soak(running, tally, seconds, warmup)
    except subprocess.TimeoutExpired as exc:  # the S3 endpoint slow to stop on a busy machine: stop it harder
        if result is None or "weed" not in str(exc.cmd):
            raise
        pid = _store_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
    return result


def _soak(running, tally, seconds, warmup):
    # every process is started here rather than by isolated_platform, to wait longer on a busy machine
    for name in devstack.SERVICES + ("gateway", "reviewui"):
        running.start(name)
    for name, url in (("gateway", running.gateway_url), ("reviewui", running.review_ui_url)):
        devstack.wait_for_port("127.0.0.1", int(url.rsplit(":", 1)[1]), 180, name)
    for name in devstack.SERVICES:
        running.wait_until_serving(name, timeout=180)
    world = World(running, tally)
    began = time.monotonic()
    reviewer = world.set_up()
    set_up_seconds = round(time.monotonic() - began)
    set_up_tally = tally.snapshot()
    tally.__init__()  # the soak's own counts start here
    pids = processes(running, _store_pid())
    samples = [{"t": 0, "rss_kb": sample(pids)}]
    started = time.monotonic()
    until = started + seconds
    clients = [threading.Thread(target=load, args=(world, until), daemon=True) for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    while time.monotonic() < until:
        time.sleep(min(SAMPLE_EVERY, max(0.0, until - time.monotonic())))
        samples.append({"t": round(time.monotonic() - started), "rss_kb": sample(pids)})
        SAMPLES.write_text(json.dumps({"samples": samples, "tally": tally.snapshot()}, ensure_ascii=False))
        print(f"soak t={samples[-1]['t']}s requests={sum(tally.requests.values())} "
              f"errors={sum(tally.errors.values())} rss_kb={json.dumps(samples[-1]['rss_kb'])}", flush=True)
    for thread in clients:
        thread.join(60)
    world.stopping = True
    reviewer.join(30)
    result = {"seconds": seconds, "warmup": warmup, "clients": CLIENTS, "set_up_seconds": set_up_seconds,
              "set_up_errors": sum(set_up_tally["errors"].values()), "samples": samples,
              "tally": tally.snapshot(), "log_errors": error_lines(running.logs),
              "resources": len(world.resources)}
    SAMPLES.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    # stopped here with time to stop on a busy machine (isolated_platform waits 30 s for each)
    stopping = [running.processes.pop(name) for name in list(running.processes)]
    for process in stopping:
        process.terminate()
    for process in stopping:
        process.wait(180)
    return result


def rss_table(result):
    """Per process: RSS after set-up, after warm-up, at the end (MB), growth after warm-up (%)."""
    samples = result["samples"]
    warm = min(samples, key=lambda s: abs(s["t"] - result["warmup"]))
    first, last = samples[0], samples[-1]
    rows = []
    for name in first["rss_kb"]:
        at_warm, at_end = warm["rss_kb"].get(name), last["rss_kb"].get(name)
        if not at_warm or not at_end:
            rows.append((name, first["rss_kb"][name], at_warm, at_end, None))
            continue
        rows.append((name, first["rss_kb"][name], at_warm, at_end, 100.0 * (at_end - at_warm) / at_warm))
    return warm["t"], last["t"], rows


def render(result, machine):
    warm_t, end_t, rows = rss_table(result)
    tally = result["tally"]
    total = sum(tally["requests"].values())
    errors = sum(tally["errors"].values())
    unexpected = sum(tally["unexpected_4xx"].values())
    worst = max((r[4] for r in rows if r[4] is not None), default=0.0)
    mb = lambda kb: f"{kb / 1024:.1f}" if kb else "gone"  # noqa: E731
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {machine}, with `BENCH_ONLY=soak .venv/bin/python bench/run.py` "
        f"(SOAK_SECONDS={result['seconds']}, {result['clients']} client threads). The machine was not reserved for it "
        "(other benchmarks and tests ran at times during the run), so request rates are not comparable with the "
        "quiet-machine figures above; memory and errors are what this measures.",
        "",
        f"{result['seconds'] // 60} minutes of mixed load through the gateway: {total:,} requests "
        f"({total / result['seconds']:.1f}/s), **{errors} errors** (5xx, time-outs, refused connections), "
        f"{unexpected} unexpected 4xx; {result['resources']} resources published by the end. Set-up "
        f"({result['set_up_seconds']} s: organizations, communicators, resources and an activity through both "
        f"reviews) is not counted. Resident set size (VmRSS), after set-up, after {warm_t} s of warm-up, and at "
        f"{end_t} s; aim < {AIM_GROWTH:.0f} % growth after warm-up (largest: {worst:+.1f} %):",
        "",
        "| process | after set-up MB | after warm-up MB | end MB | growth after warm-up |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, first, warm, end, growth in rows:
        lines.append(f"| {name} | {mb(first)} | {mb(warm)} | {mb(end)} | "
                     f"{'—' if growth is None else f'{growth:+.1f} %'} |")
    lines += ["", "| requests | count | errors | unexpected 4xx |", "|---|---:|---:|---:|"]
    for kind, count in sorted(tally["requests"].items(), key=lambda kv: -kv[1]):
        lines.append(f"| {kind} | {count:,} | {tally['errors'].get(kind, 0)} | {tally['unexpected_4xx'].get(kind, 0)} |")
    logged = {name: len(lines) for name, lines in result["log_errors"].items() if lines}
    lines += ["", "ERROR lines or tracebacks in the processes' logs: "
              + (", ".join(f"{name} {n}" for name, n in logged.items()) if logged else "none") + "."]
    return "\n".join(lines)


def figures(machine):
    result = run()
    print("soak", json.dumps({k: v for k, v in result.items() if k != "samples"}, ensure_ascii=False), flush=True)
    return render(result, machine)


if __name__ == "__main__":
    from bench.run import machine as this_machine

    print(render(run(), this_machine()))
