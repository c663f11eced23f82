"""Every service run as three instances at once (separate processes, competing consumers on the same queues)
gives the figures one instance gives: a workload through the gateway (sign-ups, real-name and organization
reviews, uploads, resources and an activity through both of their reviews, shares and repeated returns,
redemptions with a repeated key, downloads) ends in exactly the totals it must; and the timers run once:
the daily rollup (an advisory lock) is done by one instance, and a reviewer's claim expires the same on every
instance (it is a time stored with the task, not a timer)."""
import hashlib
import re
import subprocess
import time
from datetime import date, datetime, timedelta, timezone

import psycopg2
import pytest
import requests

from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API
from services.identity.cli import create_admin
from services.metrics.periods import shanghai_day
from tests import images
from tests.test_activities_journey import activity_form
from tests.test_identity_journey import PASSWORD, eventually, get, post, sign_up, verify_by_admin
from tests.test_resources_journey import id_number

INSTANCES = 3
COMMUNICATORS = 6
RESOURCES = 3
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"}
REGION = "440106"


def soon(check, timeout=90.0):
    """What the events bring about, waited for as long as a busy machine (2 shared cores) may take."""
    return eventually(check, timeout)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory, jwt_keys, s3_endpoint):
    """The platform with every service as INSTANCES processes; the gateway (one) calls whichever answers."""
    logs = tmp_path_factory.mktemp("instances-logs")
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, logs, jwt_keys["public_path"],
        components=(),
        GATEWAY_WORKERS=1, GATEWAY_THREADS=8, OUTBOX_POLL_INTERVAL=0.2, GATEWAY_RPC_TIMEOUT=30, MAX_WORKERS=4,
        REVIEW_CLAIM_MINUTES=0.05,  # a claim keeps others off for 3 s
    ) as platform:
        extra = []
        try:
            # started here rather than by isolated_platform, to wait longer for them on a busy machine
            platform.start("gateway")
            devstack.wait_for_port("127.0.0.1", int(platform.gateway_url.rsplit(":", 1)[1]), 300, "gateway")
            for name in devstack.SERVICES:
                platform.start(name)
            for n in range(2, INSTANCES + 1):
                for name in devstack.SERVICES:
                    log = open(logs / f"{name}-{n}.log", "ab")
                    extra.append(subprocess.Popen(devstack.service_command(name), env=platform.env, stdout=log,
                                                  stderr=subprocess.STDOUT, cwd=devstack.ROOT))
            platform.vhost = platform.env["AMQP_URI"].rsplit("/", 1)[1]
            assert eventually(lambda: all_queues_have(platform, INSTANCES), timeout=600), consumers(platform)
            yield platform
        finally:
            # stopped here with time to stop on a busy machine (isolated_platform waits 30 s for each)
            extra += [platform.processes.pop(name) for name in list(platform.processes)]
            for process in extra:
                process.terminate()
            for process in extra:
                process.wait(180)


def consumers(platform):
    """queue name -> consumers, of the services' queues (RPC and events; not the gateway's reply queues, nor the
    dead-letter queue, which nothing consumes)."""
    answer = requests.get(f"{RABBIT_API}/api/queues/{requests.utils.quote(platform.vhost, safe='')}", timeout=10)
    return {q["name"]: q.get("consumers", 0) for q in answer.json()
            if not q["name"].startswith(("rpc.reply", "kepu.dead-letter"))}


def all_queues_have(platform, count):
    found = consumers(platform)
    return all(f"rpc-{name}" in found for name in devstack.SERVICES) and all(n == count for n in found.values())


def review(platform, admin, subject_id, stage):
    """The reviewer decides the task of that subject in the review service (claim, then approve)."""
    tasks = soon(lambda: [t for t in get(platform, f"/review/tasks?stage={stage}&page_size=200", admin)
                                .json()["items"] if t["subject_id"] == str(subject_id)])
    assert tasks, f"no {stage} task for {subject_id}"
    assert post(platform, f"/review/tasks/{tasks[0]['id']}/claim", {}, admin).status_code == 200
    decided = post(platform, f"/review/tasks/{tasks[0]['id']}/decision", {"decision": "approved"}, admin)
    assert decided.status_code == 200, decided.text
    return tasks[0]["id"]


def login(platform, phone):
    signed_in = soon(lambda: (lambda r: r if r.status_code == 200 else None)(
        post(platform, "/auth/login", {"phone": phone, "password": PASSWORD})))
    assert signed_in, phone
    return signed_in.json()["tokens"]["access_token"]


def communicator(platform, admin, phone, sequence):
    token = sign_up(platform, phone)["tokens"]["access_token"]
    asked = post(platform, "/me/verification", {
        "real_name": "王科普", "id_number": id_number(sequence, REGION), "unit_name": "天河区第一中学",
        "unit_address": "广州市天河区", "communicator_type": "individual", "region_code": REGION}, token)
    assert asked.status_code == 202, asked.text
    review(platform, admin, asked.json()["id"], "realname")
    assert soon(lambda: get(platform, "/me", token).json()["verification"]["status"] == "approved")
    return login(platform, phone)


def organization(platform, admin, phone, sequence, name, category):
    token = communicator(platform, admin, phone, sequence)
    licence = requests.post(f"{platform.gateway_url}/api/v1/orgs/licence", data=images.png(), timeout=20,
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"})
    org = post(platform, "/orgs", {"name": name, "category": category, "region_code": REGION,
                                   "licence_key": licence.json()["licence_key"], "contact_name": "刘联络",
                                   "contact_phone": phone}, token)
    assert org.status_code == 202, org.text
    review(platform, admin, org.json()["id"], "org")
    assert soon(lambda: get(platform, f"/orgs/{org.json()['id']}", token).json()["status"] == "approved")
    return login(platform, phone), org.json()["id"]


def uploaded(platform, token, purpose, colour):
    data = images.png(colour=colour)
    body = {"purpose": purpose, "filename": "科普.png", "size": len(data), "content_type": "image/png",
            "sha256": hashlib.sha256(data).hexdigest(), "method": "stream"}
    started = soon(lambda: (lambda r: r if r.status_code == 201 else None)(post(platform, "/uploads", body, token)))
    assert started, "the resources service never learned this organization's admin"
    sent = requests.put(f"{platform.gateway_url}/api/v1/uploads/{started.json()['id']}/content", data=data, timeout=30,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})
    assert sent.status_code == 200, sent.text
    return started.json()["id"]


def rolled_up_lines(platform, day):
    """'rolled up <day>: N counted share(s)' lines of every metrics instance: (instance log, N)."""
    found = []
    for log in sorted(platform.logs.glob("metrics*.log")):
        found += [(log.stem, int(n)) for n in re.findall(rf"rolled up {day}: (\d+) counted", log.read_text())]
    return found


def test_three_instances_of_every_service_give_the_figures_of_one(scaled):
    platform = scaled
    create_admin(platform.database_url("identity"), "13900150000", PASSWORD)
    admin = login(platform, "13900150000")
    patched = requests.patch(f"{platform.gateway_url}/api/v1/admin/metrics/settings", timeout=20,
                             json={"channel_points": {"wechat_group": 10}}, headers={"Authorization": f"Bearer {admin}"})
    assert patched.status_code == 200, patched.text

    _, supervisor = organization(platform, admin, "13900150001", 151, "广州市天河区科学技术协会", "county_cast")
    publisher, org_id = organization(platform, admin, "13900150002", 152, "天河区气象科普馆", "other")
    sharers = []
    for n in range(COMMUNICATORS):
        token = communicator(platform, admin, f"139001501{n:02d}", 160 + n)
        joined = post(platform, "/orgs/membership", {"org_id": org_id}, token)
        assert joined.status_code == 200, joined.text
        sharers.append(token)

    # resources through both reviews; the last one's initial review shows a claim expiring on any instance
    other_reviewer = sign_up(platform, "13900150009")
    verify_by_admin(platform, other_reviewer, admin)  # reviewer roles go only to real-name-verified accounts
    assert post(platform, f"/admin/users/{other_reviewer['user']['id']}/roles", {"role": "reviewer", "scope": "initial"},
                admin).status_code == 200
    other_reviewer = login(platform, "13900150009")
    resources = []
    for n in range(RESOURCES):
        made = post(platform, "/resources", {"title": f"台风的形成（{n + 1}）", "type": "image", "keywords": ["台风"],
                                             "topics": ["气象"], "description": "台风的形成与防御。",
                                             "upload_id": uploaded(platform, publisher, "image", (200, 10 * n, 90))},
                    publisher)
        assert made.status_code == 201, made.text
        resources.append(made.json()["id"])
    for resource in resources[:-1]:
        review(platform, admin, resource, "initial")
    tasks = soon(lambda: [t for t in get(platform, "/review/tasks?stage=initial", admin).json()["items"]
                                if t["subject_id"] == resources[-1]])
    task = tasks[0]["id"]
    assert post(platform, f"/review/tasks/{task}/claim", {}, admin).status_code == 200
    held = [post(platform, f"/review/tasks/{task}/claim", {}, other_reviewer).status_code for _ in range(INSTANCES)]
    assert held == [409] * INSTANCES  # whichever instance answers, the claim holds
    time.sleep(3.5)
    assert post(platform, f"/review/tasks/{task}/claim", {}, other_reviewer).status_code == 200
    assert post(platform, f"/review/tasks/{task}/decision", {"decision": "approved"}, other_reviewer).status_code == 200
    for resource in resources:
        review(platform, admin, resource, "scientific")
    for resource in resources:
        assert soon(lambda: requests.get(f"{platform.gateway_url}/api/v1/resources/{resource}",
                                               timeout=10).status_code == 200)

    # an activity through provincial and national review
    today = date.today()
    campaign = post(platform, "/campaigns", {"name": "全国科普日（多实例）", "year": today.year, "theme": "科学素质",
                                             "window_start": (today - timedelta(days=5)).isoformat(),
                                             "window_end": (today + timedelta(days=40)).isoformat()}, admin)
    assert campaign.status_code == 201, campaign.text
    form = activity_form(campaign.json()["id"], supervisor, "county_cast",
                         uploaded(platform, publisher, "activity_poster", (10, 200, 90)), "走进天河：多实例开放日")
    activity = soon(lambda: (lambda r: r if r.status_code == 201 else None)(post(platform, "/activities", form,
                                                                                        publisher)))
    assert activity, "the activities service never learned the directory or the publisher's role"
    activity = activity.json()["id"]
    review(platform, admin, activity, "provincial")
    review(platform, admin, activity, "national")
    assert soon(lambda: get(platform, f"/activities/{activity}", publisher).json()["review_status"] == "approved")

    # every sharer shares every resource and the activity, and comes back twice with each share
    contents = [("resource", r) for r in resources] + [("activity", activity)]
    for token in sharers:
        for content_type, content_id in contents:
            started = soon(lambda: (lambda r: r if r.status_code == 201 else None)(post(
                platform, "/shares", {"content_type": content_type, "content_id": content_id,
                                      "channel": "wechat_group"}, token)))
            assert started, f"metrics never learned {content_type} {content_id} is shareable"
            for _ in range(2):
                assert post(platform, f"/shares/{started.json()['share_id']}/return", None, token).status_code == 202
    shares = COMMUNICATORS * len(contents)
    counted = lambda: platform.query("metrics", "SELECT count(*) FROM shares WHERE day IS NOT NULL")[0][0]  # noqa: E731
    assert soon(lambda: counted() == shares), counted()

    for token in sharers:
        assert soon(lambda: get(platform, "/me/points", token).json()["balance"] == len(contents) * 10)
        mine = get(platform, "/me/stats", token).json()
        assert (mine["shares_today"], mine["shares_total"], mine["points"]) == (len(contents),) * 2 + (40,), mine

    # the shares become yesterday's, as the clock would make them (in one transaction, so that a timer sees
    # all of it or none): one instance's timer rolls the day up again
    yesterday = shanghai_day(datetime.now(timezone.utc)) - timedelta(days=1)
    with psycopg2.connect(platform.database_url("metrics")) as conn, conn.cursor() as cur:
        cur.execute("UPDATE shares SET returned_at = returned_at - interval '1 day', day = day - 1 "
                    "WHERE day IS NOT NULL")
        cur.execute("UPDATE memberships SET joined_at = joined_at - interval '1 day'")
        # and the sharers verified a day earlier too: a day's boards hold people verified before it ended
        cur.execute("UPDATE communicators SET verified_at = verified_at - interval '1 day'")
        cur.execute("UPDATE rollups SET stale = true WHERE day = %s", (yesterday,))
    conn.close()

    # the mall: each sharer redeems twice (one key sent twice); 40 points each, 15 a time
    item = post(platform, "/mall/items", {"name": "科普图书", "cost": 15, "stock": 50}, admin)
    assert item.status_code == 201, item.text
    for n, token in enumerate(sharers):
        for key in ("a", "b", "a"):
            redeemed = post(platform, "/mall/redemptions", {
                "item_id": item.json()["id"], "quantity": 1, "client_key": f"instances-{n}-{key}",
                "delivery": {"recipient": "王科普", "phone": "13800007002", "region_code": "110105",
                             "address": "朝阳路1号"}}, token)
            assert redeemed.status_code in (200, 201), redeemed.text

    # downloads: the same visitor twice within 30 s counts once, whichever instance counts
    for resource in resources:
        for _ in range(2):
            assert requests.get(f"{platform.gateway_url}/api/v1/resources/{resource}/download", headers=BROWSER,
                                allow_redirects=False, timeout=10).status_code == 302

    # --- the totals ----------------------------------------------------------------------------------------
    for token in sharers:
        assert get(platform, "/me/points", token).json()["balance"] == len(contents) * 10 - 2 * 15
    items = get(platform, "/mall/items", sharers[0]).json()["items"]
    assert [i["stock"] for i in items if i["id"] == item.json()["id"]] == [50 - 2 * COMMUNICATORS]
    assert platform.query("metrics", "SELECT count(*), sum(delta) FROM ledger") == [
        (shares + 2 * COMMUNICATORS, shares * 10 - 2 * COMMUNICATORS * 15)]
    for resource in resources:
        assert soon(lambda: requests.get(f"{platform.gateway_url}/api/v1/resources/{resource}",
                                               timeout=10).json()["downloads"] == 1)
    members = get(platform, f"/orgs/{org_id}/members", publisher).json()["items"]
    assert len(members) == COMMUNICATORS + 1, members  # and the organization's admin
    # one task per request, each decided once: realname (sharers, two registrants, the second reviewer: reviewer
    # roles go only to real-name-verified accounts), org, initial, scientific, provincial, national
    assert sorted(platform.query("review", "SELECT stage, count(*), count(DISTINCT subject_id), "
                                           "count(*) FILTER (WHERE status = 'decided') FROM tasks GROUP BY stage")) == [
        ("initial", RESOURCES, RESOURCES, RESOURCES), ("national", 1, 1, 1), ("org", 2, 2, 2), ("provincial", 1, 1, 1),
        ("realname", COMMUNICATORS + 3, COMMUNICATORS + 3, COMMUNICATORS + 3),
        ("scientific", RESOURCES, RESOURCES, RESOURCES)]
    for service in devstack.SERVICES:
        assert soon(lambda: platform.query(service, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                    == [(0,)]), service

    # --- the rollup ran once for the day: by one instance, under the advisory lock ---------------------------
    done = soon(lambda: platform.query("metrics", "SELECT shares, done_at FROM rollups WHERE day = %s AND NOT "
                                                  "stale AND shares > 0", (yesterday,)), timeout=150)
    assert done and done[0][0] == shares, done
    stats = soon(lambda: (lambda r: r if r.status_code == 200 else None)(
        get(platform, f"/orgs/{org_id}/stats", publisher)))
    assert (stats.json()["communicators"], stats.json()["shares_total"]) == (COMMUNICATORS + 1, shares), stats.text
    # every instance's timer (each minute) has come round at least once since then
    time.sleep(max(0.0, 62 - (datetime.now(timezone.utc) - done[0][1]).total_seconds()))
    lines = rolled_up_lines(platform, yesterday)
    assert [n for _, n in lines if n] == [shares], lines  # the day with its shares: rolled up once
    assert len(lines) <= 2, lines  # and at most once before, empty, if the first tick came before the shares moved
    print(f"\n{INSTANCES} instances each: {shares} shares counted once, {2 * COMMUNICATORS} redemptions, "
          f"{RESOURCES} downloads counted, rollup of {yesterday} by {[name for name, _ in lines]}")
