"""The reviewers' web UI, served by the review service as its own process: Chinese (zh-CN) by default,
English when the browser asks for it (Accept-Language: en), every text from the catalogues.

It calls the review service over RPC with the signed-in reviewer as the actor, so the UI and the API
apply the same rules; sign-in goes to identity. Sessions are encrypted cookies holding the reviewer's
tokens; every form carries a CSRF token.
"""
import hmac
import secrets
import time
from datetime import datetime, timezone
from functools import wraps
from pathlib import Path

import jwt
from flask import Flask, abort, flash, g, redirect, render_template, request, session, url_for
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from werkzeug.middleware.proxy_fix import ProxyFix

from kepu_common import messages, networks
from kepu_common.rpc_client import BrokerUnavailable, RemoteError, RpcClient, RpcTimeout
from kepu_common.storage import Storage
from services.review.web import labels, safety
from services.review.web.sessions import EncryptedCookieSessionInterface

PAGE_SIZE = 20
COMMENT_MAX = 2000  # as the review service's Decision schema
NAME_TTL = 300  # seconds a reviewer's name is kept before identity is asked again
NAME_TIMEOUT = 2  # seconds a page waits for identity to name reviewers
POSTER_CHECK_TIMEOUT = 2  # seconds an activity's page waits for its poster pre-check (activities)


def create_app(settings):
    app = Flask(__name__)
    if settings.get("trusted_proxies"):
        # behind an ingress: the reviewer's address (recorded with every decision) is in X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings["trusted_proxies"], x_proto=1)
    app.config.update(
        SECRET_KEY=settings["secret_key"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.get("secure_cookies", False),
        # __Host-: the browser takes it only over HTTPS, for this host and path /, never from a sibling domain
        SESSION_COOKIE_NAME="__Host-review" if settings.get("secure_cookies") else "review_session",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
    )
    app.session_interface = EncryptedCookieSessionInterface()  # why encrypted: services/review/web/sessions.py
    metrics_networks = networks.parse_networks(settings.get("metrics_networks") or networks.LOOPBACK)
    previews_origin = safety.storage_origin(settings["storage"])
    app.extensions["rpc"] = RpcClient(settings["amqp_uri"], timeout=settings.get("rpc_timeout", 10))
    app.extensions["storage"] = Storage.from_config(settings["storage"])
    app.extensions["jwt"] = settings["jwt"]
    app.extensions["reviewer_names"] = {}  # user id -> (expires, identity's profile or None)
    app.jinja_env.globals.update(labels=labels, csrf_token=_csrf_token, t=_text, label=_label,
                                 csp_nonce=lambda: g.csp_nonce)
    app.jinja_env.filters.update(waited=lambda value, now=None: labels.waited(value, g.locale, now),
                                 when=labels.when)

    @app.before_request
    def reader_language():
        g.locale = messages.negotiate(request.headers.get("Accept-Language"))
        g.csp_nonce = safety.new_nonce()

    @app.after_request
    def security_headers(response):
        personal = request.endpoint != "static"
        response.headers.update(safety.security_headers(getattr(g, "csp_nonce", "none"), previews_origin, personal))
        return response

    def rpc(service, method, *args):
        return app.extensions["rpc"].call(service, method, *args)

    def actor(**extra):
        return {"actor_id": g.user_id, "client_address": request.remote_addr or "", **extra}

    def names(user_ids):
        """{user id: name or masked phone} of the reviewers a page mentions, from identity (kept a few minutes:
        a page names a handful of colleagues, and names rarely change)."""
        cache, now, reachable = app.extensions["reviewer_names"], time.monotonic(), True
        for user_id in {u for u in user_ids if u}:
            if user_id not in cache or cache[user_id][0] < now:
                profile = None  # not a user identity knows, or identity is away: named generically
                if reachable:
                    try:
                        profile = app.extensions["rpc"].call("identity", "me", user_id, timeout=NAME_TIMEOUT)
                    except RemoteError:
                        pass
                    except (RpcTimeout, BrokerUnavailable):
                        reachable = False  # one wait per page at most: the page matters more than the names
                if len(cache) > 10_000:
                    cache.clear()
                cache[user_id] = (now + (NAME_TTL if reachable else NAME_TIMEOUT * 10), profile)
        return {user_id: labels.person(cache[user_id][1], g.locale) for user_id in user_ids if user_id}

    def bad_filter(value, allowed):
        if value is not None and value not in allowed:
            abort(400, _text("ui.bad_filter"))

    # --- sessions ----------------------------------------------------------------------------
    def check_csrf():
        sent, kept = request.form.get("csrf_token", ""), session.get("csrf_token", "")
        if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
            abort(400, _text("ui.form_expired"))

    def _claims(token):
        keys = app.extensions["jwt"]
        return jwt.decode(token, keys["public_key"], algorithms=["EdDSA"], audience=keys["audience"],
                          issuer=keys["issuer"])

    def signed_in(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            token = session.get("access_token")
            if not token:
                return redirect(url_for("login", next=request.full_path))
            try:
                claims = _claims(token)
            except jwt.ExpiredSignatureError:
                try:
                    fresh = rpc("identity", "refresh", {"refresh_token": session.get("refresh_token", "")})["tokens"]
                except RemoteError:
                    session.clear()
                    flash(_text("ui.session_expired"), "warning")
                    return redirect(url_for("login", next=request.full_path))
                session.update(access_token=fresh["access_token"], refresh_token=fresh["refresh_token"])
                claims = _claims(fresh["access_token"])
            except jwt.InvalidTokenError:
                session.clear()
                return redirect(url_for("login"))
            if not {"reviewer", "platform_admin"} & set(claims.get("roles", [])):
                session.clear()
                flash(_text("ui.no_review_role"), "error")
                return redirect(url_for("login"))
            g.user_id, g.roles, g.phone = claims["sub"], claims.get("roles", []), session.get("phone", "")
            if request.method == "POST":
                check_csrf()
            return view(*args, **kwargs)

        return wrapper

    @app.errorhandler(RemoteError)
    def remote_error(error):
        problem = labels.problem_of(error)  # the same mapping as the gateway's: status and code travel with it
        return render_template("error.html", message=labels.problem_text(problem, g.locale)), problem.status

    @app.errorhandler(RpcTimeout)
    @app.errorhandler(BrokerUnavailable)
    def unavailable(error):
        return render_template("error.html", message=_text("ui.review_unavailable")), 503

    @app.errorhandler(400)
    def bad_request(error):
        described = error.description if error.description != type(error).description else _text("ui.bad_request")
        return render_template("error.html", message=described), 400

    # --- pages -------------------------------------------------------------------------------
    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "POST":
            check_csrf()  # a sign-in forged by another site would sign the reviewer into the attacker's account
            try:
                signed = rpc("identity", "login", {"phone": request.form.get("phone", ""),
                                                   "password": request.form.get("password", ""),
                                                   "client_ip": request.remote_addr or "unknown"})
            except RemoteError as error:
                flash(labels.problem_text(labels.problem_of(error), g.locale), "error")
                return render_template("login.html"), 401
            session.clear()
            session.update(access_token=signed["tokens"]["access_token"], refresh_token=signed["tokens"]["refresh_token"],
                           phone=signed["user"]["phone"], csrf_token=secrets.token_urlsafe(32))
            session.permanent = True
            return redirect(safety.next_target(request.args.get("next", ""), url_for("queues")))
        return render_template("login.html")

    @app.post("/logout")
    @signed_in
    def logout():
        try:
            rpc("identity", "logout", {"refresh_token": session.get("refresh_token", "")})
        finally:
            session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    @signed_in
    def queues():
        return render_template("queues.html", queues=rpc("review", "queues", actor()), now=datetime.now(timezone.utc))

    @app.get("/tasks")
    @signed_in
    def task_list():
        stage = request.args.get("stage") or None
        status = request.args.get("status") or "open"
        bad_filter(stage, labels.STAGES)  # a link typed or edited by hand: a page that says so, not a 500
        bad_filter(status, labels.STATUSES)
        page = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)  # a bad number is page 1
        found = rpc("review", "list_tasks", actor(stage=stage, status=status, limit=PAGE_SIZE + 1,
                                                  offset=(page - 1) * PAGE_SIZE))
        shown = found[:PAGE_SIZE]
        return render_template("tasks.html", tasks=shown, has_next=len(found) > PAGE_SIZE, page=page,
                               stage=stage, status=status, now=datetime.now(timezone.utc),
                               names=names([t["decided_by"] for t in shown if status == "decided"]))

    @app.get("/tasks/<task_id>")
    @signed_in
    def task_page(task_id):
        detail = rpc("review", "get_task", task_id, actor())
        previews = []
        for item in detail["task"]["snapshot"].get("files", []):
            try:
                bucket = app.extensions["storage"].bucket(item["purpose"])
            except KeyError:
                continue
            previews.append({**item, "kind": labels.preview_kind(item),
                             "url": app.extensions["storage"].presigned_get(bucket, item["key"])})
        people = [detail["task"]["decided_by"], detail["task"]["claimed_by"]] + [
            entry["actor_id"] for entry in detail["history"]]
        return render_template("task.html", task=detail["task"], history=detail["history"], previews=previews,
                               rows=labels.snapshot_rows(detail["task"]["snapshot"], g.locale),
                               now=datetime.now(timezone.utc), names=names(people),
                               poster_check=poster_check(detail["task"]))

    def poster_check(task):
        """An activity's poster pre-check (activities.poster_check) for _poster_check.html; None when it cannot
        be had: the page is there to decide with, the checklist only helps."""
        if task["subject_type"] != "activity":
            return None
        try:
            return app.extensions["rpc"].call("activities", "poster_check", g.user_id, task["subject_id"],
                                              {"revision": task["snapshot"].get("revision")}, g.locale,
                                              timeout=POSTER_CHECK_TIMEOUT)
        except (RemoteError, RpcTimeout, BrokerUnavailable):
            return None

    @app.get("/activities/<uuid:activity_id>/followup")
    @signed_in
    def activity_followup(activity_id):
        """An activity's follow-up (活动补充信息) with previews of its photos and videos: the activities service
        decides who may see it (the reviewers of the activity's route among others) and gives short-lived
        view URLs."""
        followup = rpc("activities", "get_followup", g.user_id, str(activity_id), g.locale)
        return render_template("followup.html", followup=followup, activity_id=str(activity_id))

    @app.post("/tasks/<task_id>/claim")
    @signed_in
    def claim(task_id):
        rpc("review", "claim", task_id, actor())
        flash(_text("ui.claimed"), "ok")
        return redirect(url_for("task_page", task_id=task_id))

    @app.post("/tasks/<task_id>/release")
    @signed_in
    def release(task_id):
        rpc("review", "release", task_id, actor())
        flash(_text("ui.released"), "ok")
        return redirect(url_for("task_page", task_id=task_id))

    @app.post("/tasks/<task_id>/decision")
    @signed_in
    def decide(task_id):
        decision = request.form.get("decision", "")
        comment = _checked_decision(decision, request.form.get("comment", ""))
        rpc("review", "decide", task_id, actor(decision=decision, comment=comment))
        flash(_text("ui.approved" if decision == "approved" else "ui.rejected"), "ok")
        return redirect(url_for("task_list", stage=request.form.get("stage") or None))

    @app.post("/decisions")
    @signed_in
    def decide_many():
        ids = request.form.getlist("task_ids")
        if not ids:
            flash(_text("ui.select_first"), "warning")
            return redirect(request.referrer or url_for("task_list"))
        decision = request.form.get("decision", "")
        comment = _checked_decision(decision, request.form.get("comment", ""))
        results = rpc("review", "decide_many", actor(task_ids=ids[:100], decision=decision, comment=comment))
        done = sum(1 for r in results if r["status"] == "decided")
        refused = [r for r in results if r["status"] != "decided"]
        if refused:
            flash(_text("ui.batch_partly", done=done, refused=len(refused)), "warning")
            for result in refused:  # one message per refused item, named as the list names it
                subject = request.form.get(f"subject_{result['task_id']}") or _text("ui.unnamed_task")
                flash(_text("ui.batch_refused_item", subject=subject[:100],
                            reason=labels.refusal_text(result, g.locale)), "error")
        else:
            flash(_text("ui.batch_done", done=done), "ok")
        return redirect(request.referrer or url_for("task_list"))

    @app.get("/metrics")
    def metrics():
        if not networks.is_internal(request.remote_addr, metrics_networks):
            abort(404)  # the queue's figures are for the platform's monitoring, not for the internet
        figures = rpc("review", "ops_figures")
        registry = CollectorRegistry()
        pending = Gauge("kepu_review_pending_tasks", "Open review tasks", ["stage"], registry=registry)
        oldest = Gauge("kepu_review_oldest_task_age_seconds", "Age of the oldest open task", ["stage"], registry=registry)
        decided = Gauge("kepu_review_decisions_last_hour", "Decisions in the last hour", ["stage", "decision"],
                        registry=registry)
        for stage, value in figures["pending"].items():
            pending.labels(stage).set(value["open"])
            oldest.labels(stage).set(value["oldest_age_seconds"])
        for row in figures["decided_last_hour"]:
            decided.labels(row["stage"], row["decision"]).set(row["count"])
        return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST}

    @app.get("/healthz")
    def healthz():
        return {"status": "ok", "time": int(time.time())}

    return app


def _checked_decision(decision, comment):
    """A decision from a form, checked before the service is asked: a friendly page for a forged or
    truncated form (decision=bogus, a comment over the limit), in the reader's language."""
    if decision not in labels.DECISIONS:
        abort(400, _text("ui.bad_decision"))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        abort(400, _text("ui.comment_too_long", max=COMMENT_MAX))
    return comment


def _text(code, **params):
    return messages.text(code, getattr(g, "locale", messages.DEFAULT_LOCALE), **params)


def _label(kind, value):
    return messages.label(kind, value, getattr(g, "locale", messages.DEFAULT_LOCALE))


def _csrf_token():
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return session["csrf_token"]


def settings_from_env(environ=None):
    import os

    from kepu_common.cli import service_config

    env = os.environ if environ is None else environ
    config = service_config("review")
    return {
        "secret_key": Path(env.get("REVIEW_UI_SECRET_KEY_FILE", "var/keys/review-ui-secret.key")).read_text().strip(),
        "amqp_uri": config["AMQP_URI"],
        "storage": config["STORAGE"],
        # Secure cookies outside local development; REVIEW_UI_SECURE_COOKIES says so explicitly either way
        "secure_cookies": env.get("REVIEW_UI_SECURE_COOKIES",
                                  "1" if env.get("KEPU_ENV", "development") == "production" else "0") == "1",
        # who may read /metrics (comma-separated networks): loopback unless the deployment names its scrapers
        "metrics_networks": env.get("REVIEW_UI_METRICS_NETWORKS", networks.LOOPBACK),
        "trusted_proxies": int(env.get("REVIEW_UI_TRUSTED_PROXIES", "0")),
        "jwt": {"public_key": Path(env.get("JWT_PUBLIC_KEY_FILE", "var/keys/jwt-public.pem")).read_text(),
                "issuer": env.get("JWT_ISSUER", "kepu-identity"), "audience": env.get("JWT_AUDIENCE", "kepu")},
    }
