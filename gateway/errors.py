"""One error envelope for every error: {"error": {"code", "message", "fields"}}.

Errors raised inside a service arrive as RemoteError with the exception's class name; REMOTE_ERRORS is
the one table that turns them into HTTP statuses.
"""
import logging

from flask import g, jsonify
from marshmallow import Schema
from marshmallow import fields as ma
from werkzeug.exceptions import HTTPException

from kepu_common.rpc_client import BrokerUnavailable, RemoteError, RpcTimeout

log = logging.getLogger(__name__)

# remote exception class name -> (status, code)
REMOTE_ERRORS = {
    "InvalidInput": (400, "validation_failed"),
    "ValidationError": (400, "validation_failed"),  # marshmallow, raised by a service's schema
    "Unauthorized": (401, "unauthorized"),
    "Forbidden": (403, "forbidden"),
    "NotFound": (404, "not_found"),
    "Conflict": (409, "conflict"),
    "Incomplete": (409, "upload_incomplete"),  # resources: parts still missing; nothing was lost
    "UnreadableImage": (400, "validation_failed"),  # resources: a damaged image
    "TooLarge": (413, "too_large"),
    "RuleBroken": (422, "rule_broken"),
    "RateLimited": (429, "rate_limited"),
    "Unavailable": (503, "dependency_unavailable"),
    "OperationalError": (503, "dependency_unavailable"),  # psycopg2: the service's database is down
    "InterfaceError": (503, "dependency_unavailable"),
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "rule_broken",
    429: "rate_limited",
    503: "dependency_unavailable",
}


class ApiError(Exception):
    def __init__(self, status, code, message, fields=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}


class ErrorBody(Schema):
    code = ma.String(required=True, metadata={"example": "validation_failed"})
    message = ma.String(required=True)
    fields = ma.Dict(metadata={"description": "offending fields and what is wrong with each"})
    request_id = ma.String()


class ErrorSchema(Schema):
    error = ma.Nested(ErrorBody, required=True)


def envelope(status, code, message, fields=None, headers=None):
    body = {"code": code, "message": message, "fields": fields or {}}
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    response = jsonify({"error": body})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_messages(messages):
    """webargs nests messages by location ({"json": {...}, "query": {...}}): frontends want fields."""
    flat = {}
    for location, errors in (messages or {}).items():
        if isinstance(errors, dict):
            flat.update(errors)
        else:
            flat[location] = errors
    return flat


def from_http_exception(error):
    data = getattr(error, "data", None) or {}
    if "messages" in data:  # a request schema refused the input
        return envelope(400, "validation_failed", "Some fields are missing or invalid.",
                        _flatten_messages(data["messages"]))
    status = error.code or 500
    if status >= 500:
        return envelope(500, "internal_error", "Something went wrong on our side; quote the request id.")
    messages = {
        404: "No such endpoint. The API lives under /api/v1; see /api/v1/docs.",
        405: "This endpoint does not accept that method.",
        413: "The request body is too large.",
    }
    return envelope(status, HTTP_CODES.get(status, "error"), messages.get(status, error.description))


def from_remote_error(error):
    status, code = REMOTE_ERRORS.get(error.exc_type, (None, None))
    if status is None:
        log.error("unmapped error from %s: %s: %s", error.service, error.exc_type, error.value)
        return envelope(500, "internal_error", "Something went wrong on our side; quote the request id.")
    args = error.exc_args
    if error.exc_type == "ValidationError":
        return envelope(400, code, "Some fields are missing or invalid.", args[0] if args and isinstance(args[0], dict) else {})
    if error.exc_type in ("OperationalError", "InterfaceError"):
        return envelope(503, code, f"The {error.service} service cannot reach its database; try again shortly.",
                        {"dependency": f"{error.service}.database"}, {"Retry-After": "5"})
    message = args[0] if args else error.value
    fields_ = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
    headers = {"Retry-After": str(fields_.get("retry_after", 5))} if status in (429, 503) else None
    return envelope(status, code, message, fields_, headers)


def register(app):
    @app.errorhandler(ApiError)
    def api_error(error):
        return envelope(error.status, error.code, error.message, error.fields, error.headers)

    @app.errorhandler(RemoteError)
    def remote_error(error):
        return from_remote_error(error)

    @app.errorhandler(RpcTimeout)
    def rpc_timeout(error):
        return envelope(503, "dependency_unavailable", f"The {error.service} service is not answering; try again shortly.",
                        {"dependency": error.service}, {"Retry-After": "5"})

    @app.errorhandler(BrokerUnavailable)
    def broker_unavailable(error):
        return envelope(503, "dependency_unavailable", "The message broker is unreachable; try again shortly.",
                        {"dependency": "broker"}, {"Retry-After": "5"})

    @app.errorhandler(Exception)
    def unexpected(error):
        if isinstance(error, HTTPException):
            return from_http_exception(error)
        log.exception("unhandled error")
        return envelope(500, "internal_error", "Something went wrong on our side; quote the request id.")
