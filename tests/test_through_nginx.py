"""The gateway's hostile-input, envelope and share-return fast-path checks, now also through nginx as deployed
(issue 26: "nothing a client sends may behave differently").

nginx runs with deploy/nginx/nginx.conf (only upstreams, ports and paths changed, as tests/test_deploy_files.py
runs it) in front of the split gateway as deployed: the API under granian, the streamed uploads under gunicorn
(GATEWAY_TRUSTED_PROXIES=1, as docker-compose.yml sets it). Two gateways share one share key: one with the share
return's fast path (the default), one without it (GATEWAY_SHARE_FAST_PATH=false, every return through Flask's
view). "Straight" is the same application under gunicorn, without nginx. For every request below:
- through nginx (and granian), the answer is the one the gateway gives straight under gunicorn (status, JSON body,
  headers but the hop's own), so the server makes no difference a client can see either;
- through nginx, the fast-path gateway answers exactly as the one without the fast path;
- the hostile-input cases are the parametrizations of gateway/tests/test_hostile_input.py, unchanged, and through
  nginx they are refused by the gateway as there (400, the field named with the same code).
The one request nginx answers itself, an encoded NUL in the path, is refused there in the envelope (below).
"""
import uuid
from collections import namedtuple
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest
import requests

from gateway import hostile_input
from gateway.tests import test_hostile_input
from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API
from services.metrics import contracts
from tests.test_deploy_files import needs_nginx, nginx_conf, running_nginx

pytestmark = needs_nginx

PINGS = test_hostile_input.PINGS
# what a hop may set or change on its own: the date, the server's name, the connection's handling
HOP_HEADERS = {"date", "server", "connection", "keep-alive", "transfer-encoding", "content-length"}
Gateway = namedtuple("Gateway", "direct proxied")


def parametrized(test):
    """The argument values of a test's @pytest.mark.parametrize, as written in its module."""
    (mark,) = [mark for mark in test.pytestmark if mark.name == "parametrize"]
    return mark.args[1]


HOSTILE_DEPTH = parametrized(test_hostile_input.test_json_nested_too_deep_is_refused)
HOSTILE_FIELDS = parametrized(test_hostile_input.test_hostile_strings_and_numbers_name_their_field)


@pytest.fixture(scope="module")
def gateways(tmp_path_factory, jwt_keys, s3_endpoint):
    """{"fast": Gateway, "slow": Gateway} and the share key they both verify with."""
    key_path = tmp_path_factory.mktemp("share-key") / contracts.SHARE_KEY_NAME
    key = contracts.load_key(key_path)
    found = {}
    with ExitStack() as stack:
        for name, fast in (("fast", "true"), ("slow", "false")):
            platform = stack.enter_context(devstack.isolated_platform(
                AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp(f"{name}-logs"),
                jwt_keys["public_path"], components=("gateway", "gateway-api"),
                GATEWAY_WORKERS=1, GATEWAY_THREADS=4, GATEWAY_TRUSTED_PROXIES=1, SHARE_KEY_FILE=str(key_path),
                GATEWAY_SHARE_FAST_PATH=fast))
            api, uploads = (url.rsplit("/", 1)[1] for url in (platform.gateway_api_url, platform.gateway_url))
            url, _ = stack.enter_context(running_nginx(tmp_path_factory.mktemp(f"{name}-nginx"), nginx_conf(),
                                                       api, uploads_upstream=uploads))
            found[name] = Gateway(platform.gateway_url, url)
        yield key, found


def send(base, method, path, headers=None, body=None):
    return requests.request(method, base + path, headers=headers or {}, data=body, timeout=30,
                            allow_redirects=False)


def seen(response):
    """What a client sees of an answer, but what the hop may set on its own."""
    try:
        body = response.json()
    except ValueError:
        body = response.content
    return response.status_code, body, {name.lower(): value for name, value in response.headers.items()
                                        if name.lower() not in HOP_HEADERS}


def same_through_nginx(gateway, method, path, headers=None, body=None):
    """The answer through nginx, after checking it is the one the gateway gives straight."""
    straight = send(gateway.direct, method, path, headers, body)
    proxied = send(gateway.proxied, method, path, headers, body)
    assert seen(proxied) == seen(straight), (method, path)
    return proxied


def field_codes(response):
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    return {name: value["code"] for name, value in error["fields"].items()}


@pytest.fixture
def admin(make_token):
    return {"Authorization": f"Bearer {make_token(['platform_admin'])}", "Content-Type": "application/json",
            "X-Request-ID": "nginx-hostile"}


# ---- hostile input (gateway/tests/test_hostile_input.py's cases) ----------------------------------------

@pytest.mark.parametrize("text", HOSTILE_DEPTH)
def test_json_nested_too_deep_is_refused_through_nginx(gateways, admin, text):
    _, found = gateways
    answer = same_through_nginx(found["fast"], "POST", PINGS, admin, text.encode("utf-8", "surrogatepass"))
    assert field_codes(answer) == {"body": "json_too_deep"}
    assert answer.json()["error"]["details"]["max_depth"] == hostile_input.JSON_MAX_DEPTH


@pytest.mark.parametrize("text, field, code", HOSTILE_FIELDS)
def test_hostile_strings_and_numbers_name_their_field_through_nginx(gateways, admin, text, field, code):
    _, found = gateways
    answer = same_through_nginx(found["fast"], "POST", PINGS, admin, text.encode("utf-8", "surrogatepass"))
    assert field_codes(answer)[field] == code


def test_a_control_character_in_the_path_is_refused_by_nginx_itself_in_the_envelope(gateways, make_token):
    """The one difference through nginx: it refuses an encoded NUL in the path while parsing the request line
    (nginx's own rule, not a setting), before any header is read, so the answer is its 400 in the envelope with
    its own request id (in the body; its error pages send no X-Request-ID header); straight, the gateway's edge refuses it naming the field. Refused either way."""
    key, found = gateways
    user = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {make_token(['communicator'], sub=user)}", "X-Request-ID": "nginx-path"}
    path = f"/api/v1/shares/{signed(key, user)}%00/return"
    for name in ("fast", "slow"):
        assert field_codes(send(found[name].direct, "POST", path, headers))["path"] == "edge_control_character"
        proxied = send(found[name].proxied, "POST", path, headers)
        assert proxied.status_code == 400
        error = proxied.json()["error"]
        assert error["code"] == "bad_request" and error["message"] == "请求格式不正确。"
        assert len(error["request_id"]) == 32  # nginx's $request_id: the request line was refused before headers


# ---- the envelope ------------------------------------------------------------------------------------

def test_the_gateways_errors_pass_nginx_unchanged(gateways, admin):
    _, found = gateways
    gateway = found["fast"]
    not_found = same_through_nginx(gateway, "GET", "/api/v1/no-such-thing", {"X-Request-ID": "nginx-404"})
    assert not_found.status_code == 404 and not_found.json()["error"]["code"] == "not_found"
    assert not_found.json()["error"]["request_id"] == "nginx-404"
    english = same_through_nginx(gateway, "GET", "/api/v1/no-such-thing",
                                 {"X-Request-ID": "nginx-404", "Accept-Language": "en"})
    assert "/api/v1/docs" in english.json()["error"]["message"]
    wrong_method = same_through_nginx(gateway, "DELETE", PINGS, {"X-Request-ID": "nginx-405"})
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "method_not_allowed"
    malformed = same_through_nginx(gateway, "POST", PINGS, admin, b'{"message": ')
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_json"
    form = same_through_nginx(gateway, "POST", PINGS, {**admin, "Content-Type": "application/x-www-form-urlencoded"},
                              b"message=hi")
    assert form.status_code == 415 and form.json()["error"]["message"] == "请求内容须为 JSON 格式。"
    schema = same_through_nginx(gateway, "POST", PINGS, admin, b'{"message": "", "extra": 1}')
    assert field_codes(schema) == {"message": "length_between", "extra": "unknown_field"}
    unsigned = same_through_nginx(gateway, "GET", "/api/v1/me", {"X-Request-ID": "nginx-401"})
    assert unsigned.status_code == 401 and set(unsigned.json()) == {"error"}


def test_the_request_id_is_kept_when_sane_and_replaced_when_not_through_nginx(gateways):
    _, found = gateways
    proxied = found["fast"].proxied
    assert send(proxied, "GET", "/healthz", {"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    replaced = send(proxied, "GET", "/api/v1/nothing", {"X-Request-ID": "bad id <script>"})
    assert "<" not in replaced.headers["X-Request-ID"]
    assert replaced.json()["error"]["request_id"] == replaced.headers["X-Request-ID"]


# ---- the share return: the fast path answers as Flask's view, through nginx -------------------------------

def signed(key, user, hours=1):
    return contracts.make_share_id(key, uuid.uuid4(), user, datetime.now(timezone.utc) + timedelta(hours=hours))


def same_fast_and_slow(found, method, path, headers, body=None):
    answers = [same_through_nginx(found[name], method, path, headers, body) for name in ("fast", "slow")]
    assert seen(answers[0]) == seen(answers[1]), (method, path)
    return answers[0]


def test_an_accepted_return_through_nginx_is_the_same_with_and_without_the_fast_path(gateways, make_token):
    key, found = gateways
    user = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {make_token(['communicator'], sub=user)}", "X-Request-ID": "nginx-share"}
    for name in ("fast", "slow"):  # Flask verifies a token first, the fast path uses it from then on
        assert send(found[name].proxied, "POST", f"/api/v1/shares/{signed(key, user)}/return", headers).status_code == 202
    for _ in range(3):
        answer = same_fast_and_slow(found, "POST", f"/api/v1/shares/{signed(key, user)}/return", headers)
        assert answer.status_code == 202
    assert answer.headers["X-Content-Type-Options"] == "nosniff" and answer.headers["Cache-Control"] == "no-store"


def test_everything_the_fast_path_cannot_prove_answers_the_same_through_nginx(gateways, make_token):
    """gateway/tests/test_share_fast_path.py's variants, sent through nginx to both gateways."""
    key, found = gateways
    user, other = str(uuid.uuid4()), str(uuid.uuid4())
    token = make_token(["communicator"], sub=user)
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "same-id"}
    for name in ("fast", "slow"):
        send(found[name].proxied, "POST", f"/api/v1/shares/{signed(key, user)}/return", headers)  # token cached
    mine = signed(key, user)
    late = signed(key, user, hours=-1)
    forged = mine[:-3] + ("abc" if not mine.endswith("abc") else "abd")
    expired = make_token(["communicator"], sub=user, ttl=-10)
    variants = [
        ("someone else's share", "POST", f"/api/v1/shares/{signed(key, other)}/return", headers, None),
        ("forged", "POST", f"/api/v1/shares/{forged}/return", headers, None),
        ("after the window", "POST", f"/api/v1/shares/{late}/return", headers, None),
        ("not a share id", "POST", "/api/v1/shares/x/return", headers, None),
        ("upper-case hex", "POST", f"/api/v1/shares/{mine.upper()}/return", headers, None),
        ("no token", "POST", f"/api/v1/shares/{mine}/return", {"X-Request-ID": "same-id"}, None),
        ("another scheme", "POST", f"/api/v1/shares/{mine}/return",
         {"Authorization": f"Token {token}", "X-Request-ID": "same-id"}, None),
        ("a token never verified", "POST", f"/api/v1/shares/{mine}/return",
         {"Authorization": f"Bearer {expired}", "X-Request-ID": "same-id"}, None),
        ("a query string", "POST", f"/api/v1/shares/{mine}/return?x=%00", headers, None),
        ("a body", "POST", f"/api/v1/shares/{mine}/return", {**headers, "Content-Type": "application/json"},
         b'{"share_id": "%s"}' % mine.encode()),
        ("GET", "GET", f"/api/v1/shares/{mine}/return", headers, None),
        ("a trailing slash", "POST", f"/api/v1/shares/{mine}/return/", headers, None),
        ("a forged client address", "POST", f"/api/v1/shares/{signed(key, other)}/return",
         {**headers, "X-Forwarded-For": "203.0.113.9"}, None),
    ]
    assert {name for name, *_ in variants} >= {"forged", "no token", "a trailing slash"}
    for name, method, path, request_headers, body in variants:
        answer = same_fast_and_slow(found, method, path, request_headers, body)
        assert answer.status_code != 202 or name in ("a query string", "a body"), name
