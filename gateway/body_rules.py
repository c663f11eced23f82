"""Checks on request bodies before any view runs: JSON only, well-formed, not too large.

Views that stream a file body (uploads) are marked with @streams_body (or, for a MethodView, a
`streams_body = True` class attribute) and skip these checks.
"""
from flask import current_app, request

from gateway.errors import MalformedJson
from kepu_common.errors import UnsupportedMediaType


def streams_body(view):
    view.streams_body = True
    return view


def init_app(app):
    @app.before_request
    def check_json_body():
        if request.method not in ("POST", "PUT", "PATCH"):
            return
        view = current_app.view_functions.get(request.endpoint)
        if view is None or getattr(view, "streams_body", False) or getattr(getattr(view, "view_class", None),
                                                                            "streams_body", False):
            return
        if not request.content_length and not request.headers.get("Transfer-Encoding"):
            return  # an empty body: the view's schema decides whether that is acceptable
        if request.mimetype != "application/json":
            raise UnsupportedMediaType("json_required", got=request.mimetype or "none")
        if request.get_json(silent=True) is None:
            raise MalformedJson("malformed_json")
