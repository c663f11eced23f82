"""The gateway's gunicorn worker (gateway/gunicorn.conf.py selects it): gthread hardened against slow and
hostile clients (kepu_common/edge/edge_worker.py: a per-read and per-write time-out, GATEWAY_CLIENT_TIMEOUT
seconds, 30 by default; a deadline for a request's whole header, GATEWAY_HEADER_TIMEOUT seconds, 10 by
default, after which the client is answered 408 and its thread is free), with gunicorn's own answers to
requests it cannot parse (400, 408, 414 request line too long, 431 headers too large, ...) as the
platform's JSON envelope, in Chinese (or English when the request got as far as an Accept-Language
header), with a request_id (the client's X-Request-ID when sane) in the body and in X-Request-ID.
"""
import json

from gateway.errors import HTTP_PROBLEMS
from kepu_common.edge.edge_worker import HardenedWorker, http_answer
from kepu_common.interfaces.errors import Problem, render
from kepu_common.interfaces.messages import negotiate

# gunicorn's status -> (code, message key): werkzeug's table (400, 414, 431 ...) and gunicorn's own extras;
# unlisted statuses are 400 bad_request
GUNICORN_PROBLEMS = {
    **HTTP_PROBLEMS,
    403: ("forbidden", "forbidden"),
    408: ("request_timeout", "edge_request_timeout"),
    417: ("expectation_failed", "edge_expectation_failed"),
    500: ("internal_error", "internal_error"),
    501: ("not_implemented", "edge_transfer_coding_unsupported"),
}


def envelope_response(status, accept_language=None, request_id=None):
    """The complete HTTP/1.1 answer gunicorn sends for a request it could not parse."""
    code, message_key = GUNICORN_PROBLEMS.get(status, GUNICORN_PROBLEMS[400])
    body = json.dumps(render(Problem(status, code, message_key), negotiate(accept_language), request_id),
                      ensure_ascii=False).encode("utf-8")
    return http_answer(status, "application/json; charset=utf-8", body, request_id)


class GatewayWorker(HardenedWorker):
    """Selected in gateway/gunicorn.conf.py."""

    client_timeout_env, client_timeout_default = "GATEWAY_CLIENT_TIMEOUT", "30"
    header_timeout_env, header_timeout_default = "GATEWAY_HEADER_TIMEOUT", "10"

    def error_answer(self, status, accept_language, request_id):
        return envelope_response(status, accept_language, request_id)
