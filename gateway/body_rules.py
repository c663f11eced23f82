"""Checks on request bodies before any view runs: JSON only, well-formed, not too large, not hostile.

Views that stream a file body (uploads) are marked with @streams_body (or, for a MethodView, a
`streams_body = True` class attribute) and skip these checks. What "hostile" means (too deep, NUL,
lone surrogates, numbers beyond 64 bits) is in gateway/hostile_input.py.

A streamed body is read as it arrives, so it needs the server that bounds each read: gunicorn's hardened worker
(the uploads side of the split gateway). One that reaches a server without it (granian, the API side) is still
served, and said once per process: the proxy in front routes it wrongly.
"""
import functools
import logging

from flask import current_app, request
from werkzeug.exceptions import ClientDisconnected, HTTPException

from gateway import hostile_input
from gateway.errors import MalformedJson
from kepu_common.interfaces.errors import KepuError, UnsupportedMediaType


class RequestTimeout(KepuError):
    status, code = 408, "request_timeout"


class UnreadableBody(KepuError):
    status, code = 400, "bad_request"


def streams_body(view):
    view.streams_body = True
    return view


def _streams(view):
    return getattr(view, "streams_body", False) or getattr(getattr(view, "view_class", None), "streams_body", False)


@functools.cache
def warn_streams_without_their_server(server, path_rule):
    """Once per process and route: a streamed body reached a server that gives no client socket (granian), where
    no read has a time-out and upload content has no slow-client cut; nginx's client_body_timeout is all that
    bounds it there."""
    logging.getLogger(__name__).warning(
        "streamed body of %s served by %s without the client socket: its reads have no time-out and the "
        "minimum-throughput cut is off; route the streamed paths to the uploads gateway (gateway-uploads, "
        "docs/architecture.md \"The split gateway\")", path_rule, server)


def read_body():
    """The whole body (bounded by MAX_CONTENT_LENGTH: werkzeug answers 413 beyond it). A client that
    stops sending mid-body hits the server's per-read socket time-out (gateway/gunicorn_worker.py): a
    408; a body the server cannot read (broken chunked encoding, the client gone): a 400. Either is the
    client's doing, not a 500."""
    try:
        return request.get_data(cache=True)
    except ClientDisconnected:  # the body ended early: the server's read timed out, or the client left
        raise RequestTimeout("edge_request_timeout") from None
    except HTTPException:
        raise
    except (BlockingIOError, TimeoutError):
        raise RequestTimeout("edge_request_timeout") from None
    except Exception as exc:  # noqa: BLE001  the server's body reader raises its own parse errors
        raise UnreadableBody("bad_request", details={"reason": type(exc).__name__}) from None


def init_app(app):
    @app.before_request
    def check_json_body():
        if request.method not in ("POST", "PUT", "PATCH"):
            return
        view = current_app.view_functions.get(request.endpoint)
        if view is None:
            return
        if _streams(view):
            if "gunicorn.socket" not in request.environ and not current_app.testing:
                warn_streams_without_their_server(request.environ.get("SERVER_SOFTWARE", "this server"),
                                                  request.url_rule.rule)
            return
        if not request.content_length and not request.headers.get("Transfer-Encoding"):
            return  # an empty body: the view's schema decides whether that is acceptable
        if request.mimetype != "application/json":
            raise UnsupportedMediaType("json_required", got=request.mimetype or "none")
        raw = read_body()
        if not raw.strip():
            raise MalformedJson("malformed_json")
        hostile_input.check_json_body(raw)
