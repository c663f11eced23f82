"""make demo against a platform of its own (its data would show in the other journeys' leaderboards and
recognition lists): run twice at the small size, the second run changes nothing, and afterwards the
activity listing, a leaderboard, the recognition list and an organization's statistics show data."""
import pytest
import requests

from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API, wait_for
from scripts.demo.run import run

COUNTED = {  # what a second run must not add to: service, table
    "identity": ("users", "organizations"), "resources": ("resources",), "activities": ("activities", "nominations"),
    "metrics": ("shares", "ledger", "redemptions", "mall_items"),
}


@pytest.fixture(scope="module")
def demo_platform(tmp_path_factory, jwt_keys, s3_endpoint):
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("demo-logs"),
        jwt_keys["public_path"], components=devstack.SERVICES + ("gateway",),
        GATEWAY_WORKERS=1, GATEWAY_THREADS=8, OUTBOX_POLL_INTERVAL=0.2, GATEWAY_RPC_TIMEOUT=10, MAX_WORKERS=4,
    ) as platform:
        yield platform


def counts(platform):
    return {(service, table): platform.query(service, f"SELECT count(*) FROM {table}")[0][0]
            for service, tables in COUNTED.items() for table in tables}


def get(platform, path, token=None):
    answer = requests.get(f"{platform.gateway_url}/api/v1{path}", timeout=20,
                          headers={"Authorization": f"Bearer {token}"} if token else {})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_demo_fills_a_living_platform_and_a_second_run_changes_nothing(demo_platform):
    first = run(demo_platform.gateway_url, demo_platform.database_url, "small", log=print)
    assert first["history_added"] > 1000 and first["redemptions"] > 0
    before = counts(demo_platform)
    second = run(demo_platform.gateway_url, demo_platform.database_url, "small", log=print)
    assert (second["history_added"], second["shares_today"]) == (0, 0)
    assert counts(demo_platform) == before

    admin = login(demo_platform, first["admin_phone"], first["password"])
    listing = get(demo_platform, "/activities?page_size=50")
    assert {a["time_status"] for a in listing["items"]} == {"not_started", "ongoing", "ended"}
    board = get(demo_platform, "/leaderboard?scope=national&period=total", admin)
    assert board["items"] and board["items"][0]["shares"] >= 300
    campaign = next(c for c in get(demo_platform, "/campaigns", admin)["items"] if "演示" in c["name"])
    recognised = get(demo_platform, f"/recognitions?campaign_id={campaign['id']}", admin)
    assert recognised["individuals"] and recognised["individuals"][0]["shares"] >= 300
    org_admin = login(demo_platform, first["org_admin_phones"][1], first["password"])
    org_id = get(demo_platform, "/me", org_admin)["roles"]
    org_id = next(r["scope"] for r in org_id if r["role"] == "org_admin")
    stats = get(demo_platform, f"/orgs/{org_id}/stats", org_admin)
    assert stats["communicators"] >= 2 and stats["shares_total"] > 100 and stats["as_of"]

    # reviewers to try the review UI with: verified, each with the stage the demo says, the national one its lead
    assert set(first["reviewer_phones"]) == {"provincial:440000", "national"} == set(second["reviewer_phones"])
    provincial = login(demo_platform, first["reviewer_phones"]["provincial:440000"], first["password"])
    me = get(demo_platform, "/me", provincial)
    assert {"role": "reviewer", "scope": "provincial:440000"} in me["roles"]
    assert me["verification"]["status"] == "approved"
    # the review service learns the role from identity's event: the queue opens to the reviewer once it has
    def queue():
        answer = requests.get(f"{demo_platform.gateway_url}/api/v1/review/tasks?stage=provincial",
                              headers={"Authorization": f"Bearer {provincial}"}, timeout=20)
        return answer if answer.status_code == 200 else None

    assert isinstance(wait_for(queue, step=0.5, what="the provincial queue opening").json()["items"], list)


def login(platform, phone, password):
    answer = requests.post(f"{platform.gateway_url}/api/v1/auth/login", json={"phone": phone, "password": password},
                           timeout=20)
    assert answer.status_code == 200, answer.text
    return answer.json()["tokens"]["access_token"]
