"""Errors that describe themselves: each class carries its HTTP status and stable code across RPC.

A service raises `NotFound("resource_not_found", resource_id=...)`: the first argument is the
message key in the catalogues (kepu_common/locale), keyword arguments are its params, `fields` maps a
field to a field code (or (code, params)), `details` carries machine-readable facts (a dependency,
required roles, a retry delay). Everything travels as one dict in the exception's args, which nameko
serializes as it is; the gateway and the review UI rebuild it with `problem_of_remote` whatever the
class, so an error class added in any service maps with no change elsewhere.
"""
import json
from dataclasses import dataclass, field

from kepu_common.interfaces.validation import field_errors, message_code

MARK = "kepu_error"


class KepuError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message=None, fields=None, details=None, **params):
        payload = {
            MARK: 1,
            "status": self.status,
            "code": self.code,
            "message": message or self.code,
            "params": params,
            "fields": _field_map(fields),
            "details": details or {},
        }
        # one JSON text in args: nameko's serializer would turn the numbers in a dict into strings
        super().__init__(json.dumps(payload, ensure_ascii=False, default=str))

    @property
    def payload(self):
        if not hasattr(self, "_payload"):
            self._payload = json.loads(self.args[0])
        return self._payload

    @property
    def message(self):
        return self.payload["message"]

    @property
    def fields(self):
        return self.payload["fields"]

    @property
    def details(self):
        return self.payload["details"]

    @property
    def expected(self):
        """A client's mistake (4xx): logged at INFO without a traceback."""
        return self.status < 500

    def __reduce__(self):  # pickling (eventlet.tpool, multiprocessing) keeps the description
        return (_rebuild, (type(self), self.args[0]))

    def __str__(self):
        payload = self.payload
        fields_ = ",".join(f"{name}={value['code']}" for name, value in payload["fields"].items())
        return f"{payload['code']}: {payload['message']}" + (f" [{fields_}]" if fields_ else "")


def _rebuild(cls, text):
    error = cls.__new__(cls)
    Exception.__init__(error, text)
    return error


def _field_map(fields_):
    out = {}
    for name, value in (fields_ or {}).items():
        code, params = message_code(value)
        out[str(name)] = {"code": code, "params": params}
    return out


class InvalidInput(KepuError):
    status, code = 400, "validation_failed"

    @classmethod
    def from_messages(cls, messages):
        """From a marshmallow ValidationError's messages: each field keeps its code and params."""
        error = cls("validation_failed")
        payload = dict(error.payload, fields=field_errors(messages))
        return _rebuild(cls, json.dumps(payload, ensure_ascii=False, default=str))


class Unauthorized(KepuError):
    status, code = 401, "unauthorized"


class Forbidden(KepuError):
    status, code = 403, "forbidden"


class NotFound(KepuError):
    status, code = 404, "not_found"


class Conflict(KepuError):
    status, code = 409, "conflict"


class TooLarge(KepuError):
    status, code = 413, "too_large"


class UnsupportedMediaType(KepuError):
    status, code = 415, "unsupported_media_type"


class RuleBroken(KepuError):
    status, code = 422, "rule_broken"


class RateLimited(KepuError):
    status, code = 429, "rate_limited"


class Unavailable(KepuError):
    status, code = 503, "dependency_unavailable"


@dataclass
class Problem:
    """What an error envelope says, before its text is chosen for the reader's language."""

    status: int
    code: str
    message: str
    params: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)

    @property
    def expected(self):
        return self.status < 500


INTERNAL = ("internal_error", 500)
_DATABASE_DOWN = ("OperationalError", "InterfaceError")  # psycopg2: a service's database is unreachable


def problem_of(exc):
    """A Problem for an exception raised in this process, or None when it is not a client-facing error."""
    from marshmallow import ValidationError

    if isinstance(exc, KepuError):
        return _from_payload(exc.payload)
    if isinstance(exc, ValidationError):
        return invalid_fields(exc.messages)
    return None


def invalid_fields(messages):
    return Problem(400, "validation_failed", "validation_failed", fields=field_errors(messages))


def problem_of_remote(exc_type, exc_args, service):
    """A Problem for an error a service raised, from its serialized class name and args."""
    args = exc_args or []
    payload = _payload_of(args[0]) if args else None
    if payload is not None:
        return _from_payload(payload)
    if exc_type == "ValidationError":  # a marshmallow error that escaped a service's own handling
        return invalid_fields(args[0] if args and isinstance(args[0], (dict, list)) else {})
    if exc_type in _DATABASE_DOWN:
        return Problem(503, "dependency_unavailable", "database_unavailable", {"service": service},
                       details={"dependency": f"{service}.database"}, headers={"Retry-After": "5"})
    return None


def _payload_of(arg):
    if isinstance(arg, str) and arg.startswith('{"' + MARK + '"'):
        try:
            return json.loads(arg)
        except ValueError:
            return None
    return None


def _from_payload(payload):
    status = int(payload.get("status", 500))
    details = dict(payload.get("details") or {})
    headers = {}
    if status in (429, 503):
        headers["Retry-After"] = str(details.get("retry_after", 5))
    return Problem(status, payload.get("code", "internal_error"), payload.get("message") or payload.get("code"),
                   dict(payload.get("params") or {}), dict(payload.get("fields") or {}), details, headers)


def internal_problem():
    return Problem(500, "internal_error", "internal_error")


def render(problem, locale, request_id=None):
    """The envelope body: {"error": {code, message, fields: {name: {code, message}}, details, request_id}}."""
    from kepu_common.interfaces.messages import text

    body = {
        "code": problem.code,
        "message": text(problem.message, locale, fallback=problem.code, **problem.params),
        "fields": {name: {"code": value["code"],
                          "message": text(value["code"], locale, fallback="invalid", **value.get("params", {}))}
                   for name, value in problem.fields.items()},
    }
    if problem.details:
        body["details"] = problem.details
    if request_id:
        body["request_id"] = request_id
    return {"error": body}
