"""/healthz: the process is alive. /readyz: broker, every service (and through it its database), storage."""
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, current_app, jsonify, request

from gateway import rpc
from gateway.storage import storage as shared_storage
from kepu_common.interfaces.errors import Problem, render
from kepu_common.interfaces.messages import negotiate
from kepu_common.bus.rpc_client import BrokerUnavailable, RemoteError, RpcTimeout

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


def _service(name, client, timeout):
    try:
        report = client.call(name, "health", timeout=timeout)
    except RpcTimeout:
        return {"status": "unavailable", "reason": f"no answer within {timeout:.0f}s"}
    except BrokerUnavailable:
        return {"status": "unavailable", "reason": "broker unreachable"}
    except RemoteError as exc:
        return {"status": "unavailable", "reason": f"{exc.exc_type}: {exc.value}"}
    report.pop("service", None)
    return {"status": "ok", **report}


def _storage(store):
    try:
        store.check()
    except Exception as exc:  # any failure here means storage is not usable; say which
        details = getattr(exc, "details", None) or {}
        return {"status": "unavailable", "reason": str(details.get("reason") or exc)[:200]}
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    config = current_app.config
    client = rpc.client()
    timeout = config["READY_TIMEOUT"]
    try:
        client._ensure_reader()
        broker = {"status": "ok"}
    except BrokerUnavailable as exc:
        broker = {"status": "unavailable", "reason": str(exc)}
    with ThreadPoolExecutor(max_workers=len(config["READY_SERVICES"]) + 1) as checks_pool:
        storage = checks_pool.submit(_storage, shared_storage())
        if broker["status"] == "ok":
            futures = {name: checks_pool.submit(_service, name, client, timeout) for name in config["READY_SERVICES"]}
            services = {name: future.result() for name, future in futures.items()}
        else:
            services = {name: {"status": "unknown", "reason": "broker unreachable"} for name in config["READY_SERVICES"]}
        checks = {"broker": broker, "storage": storage.result(), "services": services}
    failing = {"broker": broker["reason"]} if broker["status"] != "ok" else {}
    if checks["storage"]["status"] != "ok":
        failing["storage"] = checks["storage"]["reason"]
    failing.update({name: s["reason"] for name, s in services.items() if s["status"] != "ok"})
    if not failing:
        return jsonify({"status": "ready", "checks": checks})
    body = {
        "status": "not_ready",
        "checks": checks,
        "error": render(Problem(503, "dependency_unavailable", "not_ready", {"parts": ", ".join(sorted(failing))},
                                details=failing), negotiate(request.headers.get("Accept-Language")))["error"],
    }
    return jsonify(body), 503
