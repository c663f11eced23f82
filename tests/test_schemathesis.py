"""Schema fuzzing of every operation of the live OpenAPI document (issue 11): no answer is a 5xx, and
every error answer is the platform's envelope, whatever the input. Hostile strings ride along with what
schemathesis generates: each case is also sent once more with a NUL, a lone surrogate, full-width digits
or integers beyond 64 bits put into every string and number of its body, query and path.

Bounded and deterministic: a fixed number of examples per operation, derandomized (hypothesis derives
the seed from the test), no example database; one test per operation. The platform is the `platform` fixture's (tests/conftest.py) set-up, in
a private instance of its own: fuzzing as a platform administrator changes platform-wide settings
(points rules, campaigns, mall items) that the journeys in the shared one assert on.

Each answer generated here must also conform to its documented schema (schemathesis'
response_schema_conformance): the keys marked `required` are there, with their types (docs/api-clients.md).

Whether each status answered is documented for its operation (schemathesis' status_code_conformance) is
collected across the run and checked by the last test: a status answered but not documented fails it, naming
the operation (gateway/smorest.py documents what every operation of its kind can answer).
"""
import json
import re
import uuid
import zlib
from collections import Counter, defaultdict
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API

EXAMPLES_PER_OPERATION = 12
ROLES = (None, ("communicator",), ("org_admin",), ("platform_admin",))  # the four kinds of account
INT_BEYOND_64_BITS = 2 ** 70
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
UNDOCUMENTED = defaultdict(set)  # "METHOD path" -> statuses answered but not documented
ANSWERED = {"generated": Counter(), "hostile": Counter()}  # status -> how many, over the whole run


@pytest.fixture(scope="module")
def fuzzed_platform(tmp_path_factory, jwt_keys, s3_endpoint):
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("fuzz-logs"),
        jwt_keys["public_path"], components=devstack.SERVICES + ("gateway",),
        GATEWAY_WORKERS=1, GATEWAY_THREADS=8, OUTBOX_POLL_INTERVAL=0.2, GATEWAY_RPC_TIMEOUT=3, MAX_WORKERS=4,
    ) as platform:
        yield platform


@pytest.fixture(scope="module")
def api_schema(fuzzed_platform):
    return schemathesis.openapi.from_url(f"{fuzzed_platform.gateway_url}/api/v1/openapi.json")


@pytest.fixture(scope="module")
def tokens(make_token):
    user = str(uuid.uuid4())  # nobody the platform knows: nothing fuzzed here belongs to a real account
    return [None if roles is None else make_token(list(roles), sub=user) for roles in ROLES]


def documented_operations():
    """(method, path) of every operation, from the gateway's document built in this process (the same
    code serves the live one): one test each, named after it."""
    from gateway import create_app

    app = create_app({"TESTING": True})
    try:
        document = app.test_client().get("/api/v1/openapi.json").get_json()
    finally:
        app.extensions["rpc"].close()
    return [(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method in ("get", "post", "put", "patch", "delete")]


def hostile(value, style, keys=False):
    """value with every string (and, for "bigint", every number) made hostile in the given style; with
    keys, a JSON body's keys get the NUL too."""
    if isinstance(value, dict):
        return {hostile(key, style) if keys and style == "nul" else key: hostile(item, style, keys)
                for key, item in value.items()}
    if isinstance(value, list):
        return [hostile(item, style, keys) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return -INT_BEYOND_64_BITS if style == "bigint" else value
    if isinstance(value, str):
        if style == "nul":
            return value[:1] + "\x00" + value[1:]
        if style == "surrogate":
            return value + "\ud800"
        if style == "fullwidth":
            return value.translate(FULL_WIDTH) if any(ch.isdigit() for ch in value) else value + "１２３"
        if style == "bigint":
            return str(INT_BEYOND_64_BITS)
    return value


def styles_for(location):
    # a lone surrogate cannot be put in a URL (it has no UTF-8 form): bodies only
    return ("nul", "surrogate", "fullwidth", "bigint") if location == "body" else ("nul", "fullwidth", "bigint")


def assert_envelope(status, content_type, content):
    if status < 400:
        return
    assert content_type.startswith("application/json"), f"{status} is not JSON: {content_type}"
    body = json.loads(content)
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body


def check_envelope(ctx, response, case):
    """Every error answer is the platform's envelope (a schemathesis check)."""
    content_type = next((values[0] for name, values in response.headers.items() if name.lower() == "content-type"), "")
    assert_envelope(response.status_code, content_type, response.content)
    return True


def note_conformance(case, status):
    documented = set(case.operation.responses.status_codes)
    if not ({str(status), "default", f"{str(status)[0]}XX"} & documented):
        UNDOCUMENTED[f"{case.method.upper()} {case.path}"].add(status)


def send(case, platform, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = case.call_and_validate(base_url=platform.gateway_url, headers=headers,
                                      checks=[schemathesis.checks.not_a_server_error,
                                              # an answer has what the document marks required, of its types
                                              schemathesis.checks.response_schema_conformance],
                                      additional_checks=[check_envelope])
    note_conformance(case, response.status_code)
    ANSWERED["generated"][response.status_code] += 1


def send_hostile(case, platform, token):
    """The same case, hostile: sent with requests (schemathesis validates what it sends, and its validator
    cannot hold a lone surrogate), checked the same way. One style per location, chosen from the case."""
    def style_for(value, location):
        styles = styles_for(location)
        return styles[len(json.dumps(value, default=str)) % len(styles)]

    body, query, path_parameters = case.body, case.query, case.path_parameters or {}
    json_body = isinstance(body, (dict, list)) and bool(body)
    if json_body:
        body = hostile(body, style_for(body, "body"), keys=True)
    if query:
        query = hostile(query, style_for(query, "query"))
    if path_parameters:
        path_parameters = hostile(path_parameters, style_for(path_parameters, "path"))
    if not (json_body or query or path_parameters):
        return
    path = re.sub(r"\{([^{}]+)\}", lambda match: quote(str(path_parameters[match.group(1)]), safe=""), case.path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if json_body:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    response = requests.request(case.method, platform.gateway_url + path, params=query or None, data=data,
                                headers=headers, timeout=30)
    where = f"{case.method} {path} {query!r} {data[:300] if data else b''!r}"
    assert response.status_code < 500, f"{response.status_code} for {where}: {response.text[:300]}"
    assert_envelope(response.status_code, response.headers.get("Content-Type", ""), response.content)
    note_conformance(case, response.status_code)
    ANSWERED["hostile"][response.status_code] += 1


def fuzz(case, platform, tokens):
    # which account sends it: chosen from the case itself (crc32, not hash(): that changes per process)
    choice = zlib.crc32(f"{case.method} {case.path} {json.dumps(case.query, sort_keys=True, default=str)}".encode())
    choice %= len(tokens)
    send(case, platform, tokens[choice])
    send_hostile(case, platform, tokens[-1])


@pytest.mark.parametrize("method, path", [pytest.param(method, path, id=f"{method} {path}")
                                          for method, path in documented_operations()])
def test_no_server_errors_and_every_error_is_the_envelope(api_schema, fuzzed_platform, tokens, method, path):
    operation = api_schema[path][method]

    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        fuzz(case, fuzzed_platform, tokens)

    run()


def test_every_status_answered_is_documented():
    """schemathesis' status-code conformance over the whole run above (run after it: same module)."""
    print("statuses answered:", {kind: dict(sorted(counts.items())) for kind, counts in ANSWERED.items()})
    if ANSWERED["hostile"]:  # the run above happened (not deselected): its hostile cases were refused
        assert ANSWERED["hostile"][400] > 0
    if UNDOCUMENTED:
        findings = "; ".join(f"{operation}: {sorted(statuses)}" for operation, statuses in sorted(UNDOCUMENTED.items()))
        pytest.fail(f"answered but not documented in the OpenAPI document: {findings}")
