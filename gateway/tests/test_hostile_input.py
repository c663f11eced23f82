"""Hostile input is refused before any view, as 400 in the envelope naming the field (issue 11)."""
import json

import pytest
from flask import Flask
from flask_smorest import Api, Blueprint
from flask_smorest.arguments import ArgumentsMixin
from marshmallow import Schema, fields

from gateway import errors, hostile_input, smorest
from gateway.tests.conftest import error_of

PINGS = "/api/v1/system/pings"


@pytest.fixture
def admin(make_token):
    return {"Authorization": f"Bearer {make_token(['platform_admin'])}"}


def post_raw(client, headers, text, path=PINGS):
    return client.post(path, data=text.encode("utf-8", "surrogatepass"), content_type="application/json",
                       headers=headers)


def field_codes(response):
    assert response.status_code == 400, response.get_data(as_text=True)
    response.get_data().decode("utf-8")  # what is echoed back is valid UTF-8 (no lone surrogate in a name)
    return {name: value["code"] for name, value in error_of(response)["fields"].items()}


@pytest.mark.parametrize("text", [
    "[" * 1000 + "]" * 1000,                      # the attack
    "[" * 100_000,                                # deep enough to crash Python's parser, unbalanced too
    '{"a":' * 40 + "1" + "}" * 40,                # objects, just past the limit
    '{"message": "x", "extra": ' + "[" * 33 + "]" * 33 + "}",
])
def test_json_nested_too_deep_is_refused(client, admin, text):
    response = post_raw(client, admin, text)
    assert field_codes(response) == {"body": "json_too_deep"}
    assert error_of(response)["details"]["max_depth"] == hostile_input.JSON_MAX_DEPTH


def test_depth_counts_brackets_not_brackets_inside_strings():
    limit = hostile_input.JSON_MAX_DEPTH
    assert not hostile_input.json_depth_exceeds(b'["' + b"[" * 1000 + b'"]')
    assert not hostile_input.json_depth_exceeds(b'["\\"' + b"[" * 1000 + b'"]')  # an escaped quote stays inside
    assert not hostile_input.json_depth_exceeds(b"[" * limit + b"]" * limit)
    assert hostile_input.json_depth_exceeds(b"[" * (limit + 1) + b"]" * (limit + 1))


@pytest.mark.parametrize("text, field, code", [
    ('{"message": "a\\u0000b"}', "message", "edge_control_character"),
    ('{"message": "\\ud800"}', "message", "edge_invalid_unicode"),             # a lone high surrogate
    ('{"message": "ok\\udfff"}', "message", "edge_invalid_unicode"),           # a lone low surrogate
    ('{"message": "x", "keywords": ["ok", "b\\u0000"]}', "keywords.1", "edge_control_character"),
    ('{"details": {"title": "\\udc00"}}', "details.title", "edge_invalid_unicode"),
    ('{"pass\\u0000word": "x"}', "pass\\u0000word", "edge_control_character"),  # in a key: named, escaped
    ('{"\\ud83d": "x"}', "\\ud83d", "edge_invalid_unicode"),
    ('{"message": "x", "page": 1180591620717411303424}', "page", "number_too_large"),  # 2**70
    ('{"message": "x", "page": -9223372036854775809}', "page", "number_too_large"),    # one below int64
    ('{"message": "x", "size": 1e400}', "size", "number_too_large"),
    ('[1, 2, 99999999999999999999999]', "2", "number_too_large"),
    ('"\\u0000"', "body", "edge_control_character"),
])
def test_hostile_strings_and_numbers_name_their_field(client, admin, text, field, code):
    response = post_raw(client, admin, text)
    assert field_codes(response)[field] == code
    assert error_of(response)["code"] == "validation_failed"


def test_a_real_surrogate_pair_and_int64_bounds_pass_the_check():
    document = json.loads('{"emoji": "\\ud83d\\ude00", "n": 9223372036854775807, "m": -9223372036854775808}')
    assert list(hostile_input.problems_in(document)) == []


def test_every_hostile_field_is_named_but_the_answer_stays_short(client, admin):
    body = json.dumps({f"f{i}": "\x00" for i in range(500)})
    codes = field_codes(post_raw(client, admin, body))
    assert len(codes) == hostile_input.MAX_FIELDS_REPORTED and set(codes.values()) == {"edge_control_character"}


@pytest.mark.parametrize("text", ['{"message": NaN}', '{"message": Infinity}', '[-Infinity]', "\xff{}"])
def test_not_json_is_malformed(client, admin, text):
    response = client.post(PINGS, data=text.encode("latin-1"), content_type="application/json", headers=admin)
    assert response.status_code == 400 and error_of(response)["code"] == "malformed_json"


def test_english_on_request(client, admin):
    response = post_raw(client, {**admin, "Accept-Language": "en"}, '{"message": "a\\u0000"}')
    assert error_of(response)["fields"]["message"]["message"] == "Must not contain control characters such as NUL."


@pytest.mark.parametrize("query, field, code", [
    ("q=%00", "q", "edge_control_character"),
    ("q=abc%00def&page=1", "q", "edge_control_character"),
    ("q=%ED%A0%80", "q", "edge_invalid_unicode"),     # a surrogate encoded as UTF-8 (CESU-8)
    ("q=%FF%FE", "q", "edge_invalid_unicode"),
    ("q=%C0%80", "q", "edge_invalid_unicode"),        # overlong NUL
    ("ke%00y=1", "ke\\u0000y", "edge_control_character"),
])
def test_hostile_query_strings_are_refused(client, query, field, code):
    response = client.get(f"/api/v1/resources?{query}")
    assert field_codes(response) == {field: code}


def test_a_nul_in_the_path_is_refused(client):
    assert field_codes(client.get("/api/v1/system/services/iden%00tity")) == {"path": "edge_control_character"}


def test_the_arguments_parser_is_the_bounded_one():
    assert isinstance(ArgumentsMixin.ARGUMENTS_PARSER, smorest.GatewayParser)


@pytest.fixture
def bare_api():
    """A flask-smorest API with one query schema that has no range of its own: only the parser stands
    between a 2**70 page and the view."""
    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    api = Api(app)
    bp = Blueprint("bare", __name__)

    class Query(Schema):
        page = fields.Integer()
        size = fields.Float()

    @bp.route("/items")
    @bp.arguments(Query, location="query")
    def items(query):
        return {"page": str(query.get("page"))}

    api.register_blueprint(bp)
    errors.register(app)
    return app.test_client()


@pytest.mark.parametrize("page", [str(2 ** 70), str(2 ** 63), "-" + str(2 ** 63 + 1), "１" + "０" * 25])
def test_query_integers_beyond_64_bits_are_refused_by_the_parser(bare_api, page):
    response = bare_api.get(f"/items?page={page}")
    assert field_codes(response) == {"page": "number_too_large"}


@pytest.mark.parametrize("page", [str(2 ** 63 - 1), "-" + str(2 ** 63), "１２"])
def test_query_integers_within_64_bits_pass(bare_api, page):
    response = bare_api.get(f"/items?page={page}")
    assert response.status_code == 200 and int(response.get_json()["page"]) == int(page)


@pytest.mark.parametrize("page", [str(2 ** 70), str(2 ** 63), "-" + str(2 ** 64)])
def test_paging_beyond_64_bits_never_reaches_a_service(client, make_token, page):
    # whichever check answers first (the schema's range or the parser), it is a 400 naming the page
    headers = {"Authorization": f"Bearer {make_token(['org_admin'])}"}
    for path in ("/api/v1/my/resources", "/api/v1/resources", "/api/v1/my/activities"):
        response = client.get(f"{path}?page={page}", headers=headers)
        assert response.status_code == 400, (path, response.get_json())
        assert "page" in error_of(response)["fields"]


def test_ordinary_unicode_passes(client, admin):
    response = post_raw(client, admin, json.dumps({"message": "科普 ｆｕｌｌ１２３ 😀 \t\n"}))
    assert response.status_code != 400, response.get_json()
