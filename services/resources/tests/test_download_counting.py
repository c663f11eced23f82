"""Downloads counted once per visitor per 30 seconds, robots not at all, every request kept: in a running
resources service (RabbitMQ, PostgreSQL, S3), with requests arriving together."""
import eventlet
import psycopg2
import pytest
from marshmallow import ValidationError

from kepu_common.bus.rpc_client import RpcClient
from services.resources import download_log, downloads
from services.resources.tests.conftest import ADMIN_A, MB, NOBODY, call, sql, uploaded, video_of_size
from services.resources.tests.test_catalogue import decide, form, outbox

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"


def published(resources, amqp_uri, title):
    video = uploaded(resources, video_of_size(1 * MB))
    resource = call(resources, "submit", ADMIN_A, form(video["id"], title=title))
    decide(resources, amqp_uri, resource["id"], "initial", "approved")
    decide(resources, amqp_uri, resource["id"], "scientific", "approved")
    return resource


def downloads_of(resources, resource_id):
    return call(resources, "get_resource", resource_id, None)["downloads"]


def events(resources, resource_id):
    return sql(resources, "SELECT outcome, visitor, client_address, user_agent, user_id FROM download_events "
                          "WHERE resource_id = %s ORDER BY id", (resource_id,))


@pytest.fixture
def two(resources, amqp_uri):
    return published(resources, amqp_uri, "雾霾的成因"), published(resources, amqp_uri, "台风来了怎么办")


@pytest.fixture
def client(resources, amqp_uri):
    rpc = RpcClient(amqp_uri, timeout=60)
    yield rpc
    rpc.close()


def test_200_anonymous_requests_together_count_once(resources, two, client):
    hammered, other = two
    visitor = {"client_address": "203.0.113.7", "user_agent": BROWSER}
    pool = eventlet.GreenPool(50)  # over real RPC, as the gateway's workers send them
    links = list(pool.imap(lambda _: client.call("resources", "download", hammered["id"], None, visitor), range(200)))
    assert len(links) == 200 and all(link["url"] for link in links)  # every request still gets its file
    assert downloads_of(resources, hammered["id"]) == 1
    recorded = events(resources, hammered["id"])
    assert len(recorded) == 200  # the raw events are all kept
    assert sorted({row[0] for row in recorded}) == ["counted", "double_click"]
    assert sum(1 for row in recorded if row[0] == "counted") == 1
    assert {(row[2], row[3], row[4]) for row in recorded} == {("203.0.113.7", BROWSER, None)}
    announced = [e for e in outbox(resources, "resource_downloaded") if e["resource_id"] == hammered["id"]]
    assert len(announced) == 1 and announced[0]["user_id"] is None
    # one download more from someone else puts the other resource first: the burst did not buy first place
    call(resources, "download", other["id"], None, {"client_address": "203.0.113.8", "user_agent": BROWSER})
    call(resources, "download", other["id"], None, {"client_address": "203.0.113.9", "user_agent": BROWSER})
    ranked = call(resources, "search", {"sort": "downloads"})["items"]
    assert [(r["id"], r["downloads"]) for r in ranked] == [(other["id"], 2), (hammered["id"], 1)]


def test_robots_are_recorded_and_never_counted(resources, two):
    resource, _ = two
    for agent in ("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
                  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "curl/8.5.0",
                  "python-requests/2.32.3", ""):
        call(resources, "download", resource["id"], None, {"client_address": "198.51.100.1", "user_agent": agent})
    call(resources, "download", resource["id"], NOBODY, {"client_address": "198.51.100.2", "user_agent": "Wget/1.21"})
    assert downloads_of(resources, resource["id"]) == 0
    assert [row[0] for row in events(resources, resource["id"])] == ["robot"] * 6
    assert [e for e in outbox(resources, "resource_downloaded") if e["resource_id"] == resource["id"]] == []


def test_two_visitors_count_twice_and_each_once(resources, two):
    resource, _ = two
    school = "198.51.100.20"  # two browsers behind one school's address are two visitors
    for _ in range(3):
        call(resources, "download", resource["id"], None, {"client_address": school, "user_agent": BROWSER})
        call(resources, "download", resource["id"], None, {"client_address": school, "user_agent": PHONE})
    assert downloads_of(resources, resource["id"]) == 2
    # a signed-in user is one visitor wherever they come from
    call(resources, "download", resource["id"], NOBODY, {"client_address": "198.51.100.30", "user_agent": BROWSER})
    call(resources, "download", resource["id"], NOBODY, {"client_address": "198.51.100.31", "user_agent": PHONE})
    assert downloads_of(resources, resource["id"]) == 3
    announced = [e for e in outbox(resources, "resource_downloaded") if e["resource_id"] == resource["id"]]
    assert [e["user_id"] for e in announced] == [None, None, NOBODY]
    assert [row[0] for row in events(resources, resource["id"])].count("double_click") == 5


def test_a_visitor_counts_again_after_the_window(resources, two):
    resource, _ = two
    visitor = {"client_address": "192.0.2.5", "user_agent": BROWSER}
    call(resources, "download", resource["id"], None, visitor)
    call(resources, "download", resource["id"], None, visitor)
    # the same visitor's last request 31 seconds ago (the window is measured on the database's clock)
    sql(resources, "UPDATE download_events SET at = at - interval '31 seconds' WHERE resource_id = %s",
        (resource["id"],))
    call(resources, "download", resource["id"], None, visitor)
    assert downloads_of(resources, resource["id"]) == 2
    assert [row[0] for row in events(resources, resource["id"])] == ["counted", "double_click", "counted"]


def test_a_visitor_that_does_not_fit_is_refused_and_nothing_recorded(resources, two):
    resource, _ = two
    with pytest.raises(ValidationError):  # over RPC, InvalidInput with the field code
        call(resources, "download", resource["id"], None, {"client_address": "x" * 65, "user_agent": BROWSER})
    assert events(resources, resource["id"]) == [] and downloads_of(resources, resource["id"]) == 0


def test_sixty_browser_strings_from_one_address_count_up_to_the_address_cap(resources, two):
    resource, _ = two
    for n in range(60):  # a script that changes its user agent every time
        call(resources, "download", resource["id"], None,
             {"client_address": "198.51.100.77", "user_agent": f"{BROWSER} Build/{n}"})
    assert downloads_of(resources, resource["id"]) == downloads.ADDRESS_CAP
    outcomes = [row[0] for row in events(resources, resource["id"])]
    assert outcomes.count("capped") == 60 - downloads.ADDRESS_CAP and len(outcomes) == 60


def test_a_network_has_a_cap_of_its_own_and_signed_in_people_count_as_themselves(resources, two):
    resource, _ = two
    for n in range(downloads.NETWORK_CAP + 10):  # a different address of one /24 each time
        call(resources, "download", resource["id"], None,
             {"client_address": f"192.0.2.{n + 1}", "user_agent": BROWSER})
    assert downloads_of(resources, resource["id"]) == downloads.NETWORK_CAP
    # the same network in IPv6 terms: one /64
    for n in range(3):
        call(resources, "download", resource["id"], None,
             {"client_address": f"2001:db8:5:6::{n + 1}", "user_agent": BROWSER})
    assert downloads_of(resources, resource["id"]) == downloads.NETWORK_CAP + 3
    call(resources, "download", resource["id"], NOBODY, {"client_address": "192.0.2.200", "user_agent": BROWSER})
    assert downloads_of(resources, resource["id"]) == downloads.NETWORK_CAP + 4


def test_old_download_events_keep_their_network_not_the_address_or_agent(resources, two):
    resource, _ = two
    call(resources, "download", resource["id"], None, {"client_address": "203.0.113.45", "user_agent": BROWSER})
    call(resources, "download", resource["id"], None, {"client_address": "203.0.113.46", "user_agent": PHONE})
    sql(resources, "UPDATE download_events SET at = at - interval '49 hours' WHERE resource_id = %s AND "
                   "client_address = '203.0.113.45'", (resource["id"],))
    with psycopg2.connect(resources.config["DATABASE_URL"]) as conn, conn.cursor() as cur:
        assert download_log.truncate_old(cur) >= 1
    rows = sorted(sql(resources, "SELECT client_address, network, user_agent, outcome, raw FROM download_events "
                                 "WHERE resource_id = %s", (resource["id"],)))
    assert rows == [("203.0.113.0/24", "203.0.113.0/24", None, "counted", False),
                    ("203.0.113.46", "203.0.113.0/24", PHONE, "counted", True)]
