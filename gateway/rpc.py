"""The gateway's way to call services: one thread-safe RPC client per gateway process."""
from flask import current_app, g

from kepu_common.rpc_client import RpcClient


def init_app(app):
    app.extensions["rpc"] = RpcClient(app.config["AMQP_URI"], timeout=app.config["RPC_TIMEOUT"])


def client():
    return current_app.extensions["rpc"]


def call(service, method, *args, timeout=None, **kwargs):
    context = {"request_id": g.request_id} if getattr(g, "request_id", None) else None
    return client().call(service, method, *args, timeout=timeout, context=context, **kwargs)
