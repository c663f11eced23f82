"""Input no view should ever see: refused centrally, before any view runs, as 400 in the envelope.

- JSON nested deeper than JSON_MAX_DEPTH (Python's parser recurses: 100,000 brackets is a
  RecursionError, a 500) -> `json_too_deep`, checked on the raw bytes before anything parses them;
- a NUL in any string or key of a JSON body, the query string or the path (PostgreSQL refuses NUL in
  text) -> field code `edge_control_character`;
- a lone surrogate in a JSON string (`"\\ud800"`: it cannot be encoded as UTF-8, so it breaks the RPC
  message, the database and the error response that would echo it) or invalid UTF-8 in the query
  string (werkzeug would quietly turn it into U+FFFD) -> field code `edge_invalid_unicode`;
- an integer beyond 64 bits in a JSON body, or in any argument a request schema parsed as a number
  (a 2**70 page would reach PostgreSQL's OFFSET) -> field code `number_too_large`; NaN and Infinity,
  which are not JSON, -> `malformed_json`.

The argument check runs in gateway.smorest's parser (flask-smorest's ARGUMENTS_PARSER), which calls
`refuse_large_numbers` on whatever a request schema parsed.
"""
import json
from urllib.parse import unquote_to_bytes

from flask import request

from gateway.errors import MalformedJson
from kepu_common.interfaces.errors import InvalidInput

EDGE_CHECKED, EDGE_REFUSED = "kepu.request_id", "kepu.refused"  # set by gateway.edge.Edge on every request

JSON_MAX_DEPTH = 32
INT64_MAX = 2 ** 63 - 1
INT64_MIN = -(2 ** 63)
MAX_FIELDS_REPORTED = 20  # a body with 10,000 bad strings gets a readable answer, not a 10,000-entry one
_OPENERS, _CLOSERS = frozenset(b"[{"), frozenset(b"]}")
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


def json_depth_exceeds(raw, limit=JSON_MAX_DEPTH):
    """Whether the JSON text nests arrays/objects deeper than limit (brackets inside strings do not count)."""
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSERS:
            depth -= 1
    return False


def safe_name(name):
    """A field name fit to echo back in a JSON response: control characters and surrogates escaped."""
    return "".join(f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in str(name))


def string_problem(text):
    if "\x00" in text:
        return "edge_control_character"
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        return "edge_invalid_unicode"
    return None


def number_problem(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return "number_too_large"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):  # 1e400 parses as inf
        return "number_too_large"
    return None


def problems_in(value, path=""):
    """(dotted path, field code) for every hostile string, key or number in a parsed JSON value."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            code = string_problem(item)
            if code:
                yield where or "body", code
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{safe_name(key)}" if where else safe_name(key)
                code = string_problem(key)
                if code:
                    yield child_path, code
                stack.append((child_path, child))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}.{index}" if where else str(index), child) for index, child in enumerate(item))
        else:
            code = number_problem(item)
            if code:
                yield where or "body", code


def refuse(problems):
    """InvalidInput naming each offending field (sorted, at most MAX_FIELDS_REPORTED), or None."""
    fields = {}
    for where, code in sorted(problems):
        fields.setdefault(where, (code, {"max": INT64_MAX}) if code == "number_too_large" else code)
        if len(fields) >= MAX_FIELDS_REPORTED:
            break
    if fields:
        raise InvalidInput("validation_failed", fields)


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def check_json_body(raw):
    """Refuse a JSON body that is too deep, not strict JSON, or holds hostile strings or numbers."""
    if json_depth_exceeds(raw):
        raise InvalidInput("json_too_deep", {"body": ("json_too_deep", {"max_depth": JSON_MAX_DEPTH})},
                           details={"max_depth": JSON_MAX_DEPTH})
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise MalformedJson("malformed_json") from None
    refuse(problems_in(document))


def query_problems(query_string):
    """Each query argument's name and value, percent-decoded, must be valid UTF-8 without NUL."""
    for pair in query_string.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name_bytes = unquote_to_bytes(raw_name.replace(b"+", b" "))
        name = safe_name(name_bytes.decode("utf-8", "replace"))
        for part in (name_bytes, unquote_to_bytes(raw_value.replace(b"+", b" "))):
            try:
                text = part.decode("utf-8")
            except UnicodeDecodeError:
                yield name, "edge_invalid_unicode"
                break
            if "\x00" in text:
                yield name, "edge_control_character"
                break


def check_query_and_path(environ):
    query = environ.get("QUERY_STRING", "").encode("latin-1", "replace")  # WSGI: the raw bytes as latin-1
    problems = list(query_problems(query))
    if "\x00" in environ.get("PATH_INFO", ""):  # the server has percent-decoded the path
        problems.append(("path", "edge_control_character"))
    refuse(problems)


def refuse_large_numbers(parsed):
    """Numbers beyond 64 bits in whatever a request schema parsed. marshmallow's Integer takes any size
    of integer (and full-width digits: int("１２") == 12); the database takes 64 bits. Checking the parsed
    arguments covers every schema and every location (query, path, headers, JSON) with no change to them."""
    refuse((where, code) for where, code in problems_in(parsed) if code == "number_too_large")


def init_app(app):
    @app.before_request
    def refuse_hostile_query_and_path():
        # checked by gateway.edge.Edge in front of every request (the share fast path's too); a request
        # that reaches Flask without it (an app used without the edge) is checked here
        if EDGE_CHECKED in request.environ:
            refusal = request.environ.get(EDGE_REFUSED)
            if refusal is not None:
                raise refusal
            return
        check_query_and_path(request.environ)
