"""The gateway's way to call services: one thread-safe RPC client per gateway process."""
from flask import current_app, g, has_request_context, request

from kepu_common.interfaces.messages import DEFAULT_LOCALE, negotiate
from kepu_common.bus.rpc_client import RpcClient


def init_app(app):
    app.extensions["rpc"] = RpcClient(app.config["AMQP_URI"], timeout=app.config["RPC_TIMEOUT"])


def client():
    return current_app.extensions["rpc"]


def call(service, method, *args, timeout=None, **kwargs):
    """Call a service; the request id (for its log lines) and the reader's language (for the labels it
    writes) travel as nameko context data."""
    context = {}
    if getattr(g, "request_id", None):
        context["request_id"] = g.request_id
    if has_request_context():
        locale = negotiate(request.headers.get("Accept-Language"))
        if locale != DEFAULT_LOCALE:
            context["locale"] = locale
    return client().call(service, method, *args, timeout=timeout, context=context or None, **kwargs)
