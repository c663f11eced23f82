"""One error envelope for every error, in the reader's language.

`{"error": {"code", "message", "fields": {name: {"code", "message"}}, "details", "request_id"}}`.
Errors raised here or in a service are kepu_common.interfaces.errors classes: each carries its status and code,
so this module needs no table of them. The text is chosen per request from Accept-Language (zh-CN
by default, English on request) by kepu_common.interfaces.messages.
"""
import logging

from flask import g, jsonify, request
from marshmallow import Schema
from marshmallow import fields as ma
from werkzeug.exceptions import HTTPException

from kepu_common.interfaces import errors
from kepu_common.interfaces.errors import KepuError, Problem, internal_problem, invalid_fields, problem_of_remote, render
from kepu_common.interfaces.messages import negotiate
from kepu_common.bus.rpc_client import BrokerUnavailable, RemoteError, RpcTimeout

log = logging.getLogger(__name__)


class TokenExpired(errors.Unauthorized):
    code = "token_expired"


class InvalidToken(errors.Unauthorized):
    code = "invalid_token"


class MalformedJson(errors.InvalidInput):
    code = "malformed_json"


class LengthRequired(KepuError):
    status, code = 411, "length_required"


class Busy(errors.Unavailable):
    code = "busy"


class UploadInterrupted(errors.InvalidInput):
    code = "upload_interrupted"


class StreamTooLarge(errors.InvalidInput):
    code = "stream_too_large"


class UploadTooSlow(errors.KepuError):
    status, code = 408, "upload_too_slow"


class UploadSlotsTaken(errors.RateLimited):
    code = "upload_slots_taken"


HTTP_PROBLEMS = {  # werkzeug's own errors (routing, methods, body size) -> code and message key
    400: ("bad_request", "bad_request"),
    404: ("not_found", "no_such_endpoint"),
    405: ("method_not_allowed", "method_not_allowed"),
    413: ("too_large", "body_too_large"),
    414: ("uri_too_long", "uri_too_long"),
    415: ("unsupported_media_type", "unsupported_media_type"),
    431: ("request_header_fields_too_large", "request_header_fields_too_large"),
}


class FieldErrorBody(Schema):
    code = ma.String(required=True, metadata={"description": "stable code of what is wrong (see docs/errors.md)",
                                              "example": "required"})
    message = ma.String(required=True, metadata={"example": "此项必填。"})


class ErrorBody(Schema):
    code = ma.String(required=True, metadata={"example": "validation_failed"})
    message = ma.String(required=True, metadata={"description": "zh-CN by default, English with Accept-Language: en"})
    fields = ma.Dict(keys=ma.String(), values=ma.Nested(FieldErrorBody), required=True,
                     metadata={"description": "offending fields (dotted paths for nested ones), each with its code"})
    details = ma.Dict(metadata={"description": "machine-readable facts: dependency, required_roles, retry_after…"})
    request_id = ma.String()


class ErrorSchema(Schema):
    error = ma.Nested(ErrorBody, required=True)


def respond(problem):
    body = render(problem, negotiate(request.headers.get("Accept-Language")), getattr(g, "request_id", None))
    response = jsonify(body)
    response.status_code = problem.status
    for key, value in problem.headers.items():
        response.headers[key] = value
    if problem.status in (401,) and problem.code in ("token_expired", "invalid_token", "unauthorized"):
        response.headers.setdefault("WWW-Authenticate", "Bearer")
    return response


def _flatten_messages(messages):
    """webargs nests messages by location ({"json": {...}, "query": {...}}): frontends want fields."""
    flat = {}
    for location, errors_ in (messages or {}).items():
        if isinstance(errors_, dict):
            flat.update(errors_)
        else:
            flat[location] = errors_
    return flat


def from_http_exception(error):
    data = getattr(error, "data", None) or {}
    if "messages" in data:  # a request schema refused the input
        return respond(invalid_fields(_flatten_messages(data["messages"])))
    status = error.code or 500
    if status >= 500:
        return respond(internal_problem())
    code, message = HTTP_PROBLEMS.get(status, ("bad_request", "bad_request"))
    return respond(Problem(status, code, message))


def from_remote_error(error):
    problem = problem_of_remote(error.exc_type, error.exc_args, error.service)
    if problem is None:
        log.error("unmapped error from %s: %s: %s", error.service, error.exc_type, error.value)
        problem = internal_problem()
    return respond(problem)


def register(app):
    @app.errorhandler(KepuError)
    def platform_error(error):
        return respond(errors.problem_of(error))

    @app.errorhandler(RemoteError)
    def remote_error(error):
        return from_remote_error(error)

    @app.errorhandler(RpcTimeout)
    def rpc_timeout(error):
        return respond(Problem(503, "dependency_unavailable", "service_unavailable", {"service": error.service},
                               details={"dependency": error.service}, headers={"Retry-After": "5"}))

    @app.errorhandler(BrokerUnavailable)
    def broker_unavailable(error):
        return respond(Problem(503, "dependency_unavailable", "broker_unavailable",
                               details={"dependency": "broker"}, headers={"Retry-After": "5"}))

    @app.errorhandler(Exception)
    def unexpected(error):
        if isinstance(error, HTTPException):
            return from_http_exception(error)
        log.exception("unhandled error")
        return respond(internal_problem())
