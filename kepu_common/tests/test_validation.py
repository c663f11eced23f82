"""marshmallow's refusals come out as stable codes with their params, for every kind of field."""
import pytest
from marshmallow import Schema, ValidationError, fields, validate

from kepu_common.interfaces.validation import coded, field_error, field_errors


class Form(Schema):
    name = fields.String(required=True, validate=validate.Length(max=50))
    count = fields.Integer(validate=validate.Range(min=1, max=10))
    starts = fields.AwareDateTime()
    stamp = fields.DateTime()
    day = fields.Date()
    mode = fields.String(validate=validate.OneOf(("online", "offline")))
    link = fields.Url()
    code = fields.String(validate=validate.Regexp(r"^\d{6}$", error=coded("sms_code_format")))
    people = fields.List(fields.Nested(Schema.from_dict({"phone": fields.String(required=True)})))


def codes(data):
    with pytest.raises(ValidationError) as error:
        Form().load(data)
    return {path: value["code"] for path, value in field_errors(error.value.messages).items()}


@pytest.mark.parametrize("data,expected", [
    ({}, {"name": "required"}),
    ({"name": None}, {"name": "null"}),
    ({"name": 5}, {"name": "not_a_string"}),
    ({"name": "x" * 51}, {"name": "too_long"}),
    ({"name": "a", "count": "many"}, {"count": "not_an_integer"}),
    ({"name": "a", "count": 11}, {"count": "out_of_range"}),
    ({"name": "a", "starts": "2026-09-01T09:00:00"}, {"starts": "datetime_needs_timezone"}),
    ({"name": "a", "stamp": "yesterday"}, {"stamp": "not_a_datetime"}),
    ({"name": "a", "day": "2026-13-40"}, {"day": "not_a_date"}),
    ({"name": "a", "mode": "both"}, {"mode": "not_one_of"}),
    ({"name": "a", "link": "javascript:alert(1)"}, {"link": "not_a_url"}),
    ({"name": "a", "code": "12345"}, {"code": "sms_code_format"}),
    ({"name": "a", "people": [{"phone": "1"}, {}]}, {"people.1.phone": "required"}),
    ({"name": "a", "extra": 1}, {"extra": "unknown_field"}),
])
def test_each_refusal_has_its_code(data, expected):
    assert codes(data) == expected


def test_params_travel_with_the_code_but_never_the_input():
    with pytest.raises(ValidationError) as error:
        Form().load({"name": "<script>" * 10})
    value = field_errors(error.value.messages)["name"]
    assert value == {"code": "too_long", "params": {"max": 50}}


def test_own_field_errors_carry_codes():
    error = field_error("id_checksum", "id_number", position=18)
    assert field_errors(error.messages) == {"id_number": {"code": "id_checksum", "params": {"position": 18}}}


import pytest as _pytest  # noqa: E402

from kepu_common.interfaces.validation import web_link  # noqa: E402


@_pytest.mark.parametrize("typed, stored", [
    ("https://www.kepu.gov.cn/baoming?id=1", "https://www.kepu.gov.cn/baoming?id=1"),
    ("  HTTPS://WWW.Example.CN/Path  ", "https://www.example.cn/Path"),
    ("http://example.cn:8080/a#b", "http://example.cn:8080/a#b"),
    ("https://8.8.8.8/x", "https://8.8.8.8/x"),
])
def test_web_links_are_stored_normalized(typed, stored):
    assert web_link(typed) == stored


@_pytest.mark.parametrize("typed", [
    "https://example.cn/a\r\nSet-Cookie: x=1", "https://example.cn/\n", "https://exa\tmple.cn/",
    "http://127.0.0.1/", "http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://10.0.0.5/", "http://192.168.1.1/",
    "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://localhost:8000/", "http://api.localhost/",
    "http://metadata.google.internal/", "http://intranet/", "https://user:pw@example.cn/",
    "javascript:alert(1)", "ftp://example.cn/", "https:///nohost", "http://example.cn:99999/",
])
def test_inward_or_broken_links_are_refused(typed):
    assert web_link(typed) is None
