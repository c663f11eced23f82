"""The reviewers' pages, one blueprint ("ui"): sign-in (password or SMS code), the queues, task lists with
sort and search, a task, an activity's follow-up, decisions one by one or in a batch, and the leads' page of
overdue and long-claimed tasks. Every page calls the review service over RPC with the signed-in reviewer as
the actor, so the UI and the API apply the same rules."""
import hmac
import secrets
import time
from datetime import datetime, timezone
from functools import wraps

import jwt
from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from kepu_common.interfaces import messages
from kepu_common.operations import networks
from kepu_common.bus.rpc_client import BrokerUnavailable, RemoteError, RpcTimeout
from services.review import priority
from services.review.constants import PHONE, SORTS
from kepu_common.interfaces.validation import CONTROL, CONTROL_IN_TEXT
from services.review.web import labels, safety

bp = Blueprint("ui", __name__)

PAGE_SIZE = 20
COMMENT_MAX = 2000  # as the review service's Decision schema
QUERY_MAX = 50  # as its Lookup schema
NAME_TTL = 300  # seconds a reviewer's name is kept before identity is asked again
NAME_TIMEOUT = 2  # seconds a page waits for identity to name reviewers
POSTER_CHECK_TIMEOUT = 2  # seconds an activity's page waits for its poster pre-check (activities)


def text(code, **params):
    return messages.text(code, getattr(g, "locale", messages.DEFAULT_LOCALE), **params)


def rpc(service, method, *args, **kwargs):
    return current_app.extensions["rpc"].call(service, method, *args, **kwargs)


def actor(**extra):
    return {"actor_id": g.user_id, "client_address": request.remote_addr or "", **extra}


def now():
    return datetime.now(timezone.utc)


def names(user_ids):
    """{user id: name or masked phone} of the reviewers a page mentions, from identity (kept a few minutes:
    a page names a handful of colleagues, and names rarely change)."""
    cache, moment, reachable = current_app.extensions["reviewer_names"], time.monotonic(), True
    for user_id in {u for u in user_ids if u}:
        if user_id not in cache or cache[user_id][0] < moment:
            profile = None  # not a user identity knows, or identity is away: named generically
            if reachable:
                try:
                    profile = rpc("identity", "me", user_id, timeout=NAME_TIMEOUT)
                except RemoteError:
                    pass
                except (RpcTimeout, BrokerUnavailable):
                    reachable = False  # one wait per page at most: the page matters more than the names
            if len(cache) > 10_000:
                cache.clear()
            cache[user_id] = (moment + (NAME_TTL if reachable else NAME_TIMEOUT * 10), profile)
    return {user_id: labels.person(cache[user_id][1], g.locale) for user_id in user_ids if user_id}


def bad_filter(value, allowed):
    if value is not None and value not in allowed:
        abort(400, text("ui.bad_filter"))


# --- sessions ----------------------------------------------------------------------------------
def check_csrf():
    sent, kept = request.form.get("csrf_token", ""), session.get("csrf_token", "")
    if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
        abort(400, text("ui.form_expired"))


def _claims(token):
    keys = current_app.extensions["jwt"]
    return jwt.decode(token, keys["public_key"], algorithms=["EdDSA"], audience=keys["audience"],
                      issuer=keys["issuer"])


def signed_in(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        token, sid = session.get("access_token"), session.get("sid")
        if not token or not sid:
            session.clear()
            return redirect(url_for("ui.login", next=request.full_path))
        if rpc("review", "session_ended", {"session_id": sid}):  # signed out: a copied cookie is dead too
            session.clear()
            return redirect(url_for("ui.login"))
        try:
            claims = _claims(token)
        except jwt.ExpiredSignatureError:
            try:
                fresh = rpc("identity", "refresh", {"refresh_token": session.get("refresh_token", "")})["tokens"]
            except RemoteError:
                session.clear()
                flash(text("ui.session_expired"), "warning")
                return redirect(url_for("ui.login", next=request.full_path))
            session.update(access_token=fresh["access_token"], refresh_token=fresh["refresh_token"])
            claims = _claims(fresh["access_token"])
        except jwt.InvalidTokenError:
            session.clear()
            return redirect(url_for("ui.login"))
        if not {"reviewer", "platform_admin"} & set(claims.get("roles", [])):
            session.clear()
            flash(text("ui.no_review_role"), "error")
            return redirect(url_for("ui.login"))
        g.user_id, g.roles, g.phone = claims["sub"], claims.get("roles", []), session.get("phone", "")
        if request.method == "POST":
            check_csrf()
        return view(*args, **kwargs)

    return wrapper


def _sign_in(signed):
    session.clear()
    session.update(access_token=signed["tokens"]["access_token"], refresh_token=signed["tokens"]["refresh_token"],
                   phone=signed["user"]["phone"], csrf_token=secrets.token_urlsafe(32), sid=secrets.token_urlsafe(24))
    session.permanent = True
    return redirect(safety.next_target(request.args.get("next", ""), url_for("ui.queues")))


def _refused_sign_in(error, mode, phone=""):
    flash(labels.problem_text(labels.problem_of(error), g.locale), "error")
    return render_template("login.html", invalid=True, mode=mode, phone=phone), 401


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        check_csrf()  # a sign-in forged by another site would sign the reviewer into the attacker's account
        try:
            signed = rpc("identity", "login", {"phone": request.form.get("phone", ""),
                                               "password": request.form.get("password", ""),
                                               "client_ip": request.remote_addr or "unknown"})
        except RemoteError as error:
            return _refused_sign_in(error, "password")
        return _sign_in(signed)
    return render_template("login.html", mode=request.args.get("mode") == "sms" and "sms" or "password")


@bp.post("/login/sms-code")
def sms_code():
    """Sign-in by SMS code, step one: identity sends a code (its own limits apply; password failures never block it)."""
    check_csrf()
    phone = request.form.get("phone", "")
    try:
        sent = rpc("identity", "request_sms_code", {"phone": phone, "purpose": "login",
                                                    "client_ip": request.remote_addr or "unknown"})
    except RemoteError as error:
        return _refused_sign_in(error, "sms", phone)
    flash(text("ui.sms_code_sent", phone=sent["phone"]), "ok")
    return render_template("login.html", mode="sms", phone=phone, code_sent=True, debug_code=sent.get("debug_code"))


@bp.post("/login/sms")
def sms_login():
    check_csrf()
    phone = request.form.get("phone", "")
    try:
        signed = rpc("identity", "sms_login", {"phone": phone, "code": request.form.get("code", ""),
                                               "client_ip": request.remote_addr or "unknown"})
    except RemoteError as error:
        return _refused_sign_in(error, "sms", phone)
    return _sign_in(signed)


@bp.post("/logout")
@signed_in
def logout():
    try:
        rpc("review", "end_session", {"session_id": session["sid"]})
        rpc("identity", "logout", {"refresh_token": session.get("refresh_token", "")})
    finally:
        session.clear()
    return redirect(url_for("ui.login"))


# --- pages --------------------------------------------------------------------------------------
@bp.get("/")
@signed_in
def queues():
    found = rpc("review", "queues", actor())
    leads = rpc("review", "escalations", actor(limit=1))  # does this reviewer lead a stage with something waiting?
    return render_template("queues.html", queues=found, now=now(), escalated=bool(leads))


def _lookup():
    """The list's sort and search from the query string, checked here for a friendly page in the reader's language."""
    sort = request.args.get("sort") or None
    bad_filter(sort, SORTS)
    q = (request.args.get("q") or "").strip() or None
    if q and (len(q) > QUERY_MAX or CONTROL.search(q)):
        abort(400, text("ui.bad_search"))
    phone = (request.args.get("phone") or "").strip() or None
    if phone and not PHONE.match(phone):
        abort(400, text("phone_invalid"))
    return sort, q, phone


@bp.get("/tasks")
@signed_in
def task_list():
    stage = request.args.get("stage") or None
    status = request.args.get("status") or "open"
    bad_filter(stage, labels.STAGES)  # a link typed or edited by hand: a page that says so, not a 500
    bad_filter(status, labels.STATUSES)
    sort, q, phone = _lookup()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)  # a bad number is page 1
    found = rpc("review", "list_tasks", actor(stage=stage, status=status, limit=PAGE_SIZE + 1,
                                              offset=(page - 1) * PAGE_SIZE, sort=sort, q=q, phone=phone))
    shown = found[:PAGE_SIZE]
    state = {"stage": stage, "status": status, "sort": sort, "q": q, "phone": phone}
    return render_template("tasks.html", tasks=shown, has_next=len(found) > PAGE_SIZE, page=page, state=state,
                           stage=stage, status=status, sort=sort or priority.default_sort(status), q=q or "",
                           phone=phone or "", now=now(), today=labels.today(), selected=request.args.getlist("selected"),
                           names=names([t["decided_by"] for t in shown if status == "decided"]))


@bp.get("/tasks/<task_id>")
@signed_in
def task_page(task_id):
    detail = rpc("review", "get_task", task_id, actor())
    task = detail["task"]
    storage = current_app.extensions["storage"]
    previews = []
    for item in task["snapshot"].get("files", []):
        try:
            bucket = storage.bucket(item["purpose"])
        except KeyError:
            continue
        previews.append({**item, "kind": labels.preview_kind(item), "url": storage.presigned_get(bucket, item["key"])})
    snapshot = dict(task["snapshot"])
    if task["subject_type"] == "organization" and snapshot.get("parent_id"):
        snapshot["parent_org"] = _org_name(snapshot["parent_id"])
    people = [task["decided_by"], task["claimed_by"]] + [entry["actor_id"] for entry in detail["history"]]
    return render_template("task.html", task=task, history=detail["history"], previews=previews,
                           rows=labels.snapshot_rows(snapshot, g.locale, task["subject_type"]),
                           now=now(), names=names(people), poster_check=poster_check(task))


def poster_check(task):
    """An activity's poster pre-check (activities.poster_check) for _poster_check.html; None when it cannot
    be had: the page is there to decide with, the checklist only helps."""
    if task["subject_type"] != "activity":
        return None
    try:
        return rpc("activities", "poster_check", g.user_id, task["subject_id"],
                   {"revision": task["snapshot"].get("revision")}, g.locale, timeout=POSTER_CHECK_TIMEOUT)
    except (RemoteError, RpcTimeout, BrokerUnavailable):
        return None


def _org_name(org_id):
    """The parent organization chosen, by name (identity's directory); the id when identity does not answer."""
    try:
        return rpc("identity", "get_org", org_id, timeout=NAME_TIMEOUT)["name"]
    except (RemoteError, RpcTimeout, BrokerUnavailable, KeyError, TypeError):
        return text("ui.org_unknown")


@bp.get("/activities/<uuid:activity_id>/followup")
@signed_in
def activity_followup(activity_id):
    """An activity's follow-up (活动补充信息) with previews of its photos and videos: the activities service
    decides who may see it (the reviewers of the activity's route among others) and gives short-lived view URLs."""
    followup = rpc("activities", "get_followup", g.user_id, str(activity_id), g.locale)
    return render_template("followup.html", followup=followup, activity_id=str(activity_id))


@bp.post("/tasks/<task_id>/claim")
@signed_in
def claim(task_id):
    rpc("review", "claim", task_id, actor())
    flash(text("ui.claimed"), "ok")
    return redirect(url_for("ui.task_page", task_id=task_id))


@bp.post("/tasks/<task_id>/release")
@signed_in
def release(task_id):
    rpc("review", "release", task_id, actor())
    flash(text("ui.released"), "ok")
    return redirect(url_for("ui.task_page", task_id=task_id))


@bp.post("/tasks/<task_id>/decision")
@signed_in
def decide(task_id):
    decision = request.form.get("decision", "")
    comment = checked_decision(decision, request.form.get("comment", ""))
    rpc("review", "decide", task_id, actor(decision=decision, comment=comment))
    flash(text("ui.approved" if decision == "approved" else "ui.rejected"), "ok")
    return redirect(url_for("ui.task_list", stage=request.form.get("stage") or None))


def _list_state():
    """The list a batch came from (its filters, sort and search), to go back to."""
    state = {key: request.form.get(key) or None for key in ("stage", "status", "sort", "q", "phone")}
    if state["stage"] not in labels.STAGES:
        state["stage"] = None
    if state["status"] not in labels.STATUSES:
        state["status"] = None
    if state["sort"] not in SORTS:
        state["sort"] = None
    if state["q"] and (len(state["q"]) > QUERY_MAX or CONTROL.search(state["q"])):
        state["q"] = None
    if state["phone"] and not PHONE.match(state["phone"]):
        state["phone"] = None
    return {key: value for key, value in state.items() if value}


@bp.post("/decisions")
@signed_in
def decide_many():
    ids = [value for value in request.form.getlist("task_ids") if not CONTROL.search(value)][:100]
    back = _list_state()
    if not ids:
        flash(text("ui.select_first"), "warning")
        return redirect(url_for("ui.task_list", **back))
    decision = request.form.get("decision", "")
    comment = checked_decision(decision, request.form.get("comment", ""))
    if decision == "rejected" and not comment:
        # nothing is decided, and the reviewer finds the same tasks still ticked
        flash(text("rejection_needs_reason"), "error")
        return redirect(url_for("ui.task_list", **back, selected=ids))
    results = rpc("review", "decide_many", actor(task_ids=ids, decision=decision, comment=comment))
    done = sum(1 for r in results if r["status"] == "decided")
    refused = [r for r in results if r["status"] != "decided"]
    if refused:
        flash(text("ui.batch_partly", done=done, refused=len(refused)), "warning")
        for result in refused:  # one message per refused item, named as the list names it
            subject = request.form.get(f"subject_{result['task_id']}") or text("ui.unnamed_task")
            flash(text("ui.batch_refused_item", subject=subject[:100], reason=labels.refusal_text(result, g.locale)),
                  "error")
    else:
        flash(text("ui.batch_done", done=done), "ok")
    return redirect(url_for("ui.task_list", **back))


# --- escalation: what a stage's lead sees and does ------------------------------------------------
@bp.get("/escalations")
@signed_in
def escalations():
    found = rpc("review", "escalations", actor())
    wanted = {}  # who may take each task over: the reviewers of its stage (and province), asked for in one call
    for task in found:
        wanted.setdefault(f"{task['stage']}:{task['scope'] or ''}", {"stage": task["stage"], "scope": task["scope"]})
    reviewers = rpc("review", "stage_reviewers_many", actor(stages=list(wanted.values()))) if wanted else []
    choices = dict(zip(wanted, reviewers))
    people = names([t["claimed_by"] for t in found] + [u for ids in choices.values() for u in ids])
    return render_template("escalations.html", tasks=found, now=now(), today=labels.today(), choices=choices,
                           names=people)


@bp.post("/tasks/<task_id>/reassign")
@signed_in
def reassign(task_id):
    """A lead gives the task to another reviewer of its stage, or back to the queue (no one chosen)."""
    to_user_id = (request.form.get("to_user_id") or "").strip() or None
    if to_user_id and (len(to_user_id) > 64 or CONTROL.search(to_user_id)):
        abort(400, text("reviewer_cannot_take_task"))
    rpc("review", "reassign", task_id, actor(to_user_id=to_user_id))
    flash(text("ui.reassigned" if to_user_id else "ui.returned_to_queue"), "ok")
    return redirect(url_for("ui.escalations"))


def checked_decision(decision, comment):
    """A decision from a form, checked before the service is asked: a friendly page for a forged or
    truncated form (decision=bogus, a comment over the limit or with a NUL), in the reader's language."""
    if decision not in labels.DECISIONS:
        abort(400, text("ui.bad_decision"))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        abort(400, text("ui.comment_too_long", max=COMMENT_MAX))
    if CONTROL_IN_TEXT.search(comment):
        abort(400, text("control_character_refused"))
    return comment


@bp.get("/metrics")
def metrics():
    if not networks.is_internal(request.remote_addr, current_app.extensions["metrics_networks"]):
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


@bp.get("/favicon.ico")
def favicon():
    return current_app.send_static_file("favicon.svg"), 200, {"Content-Type": "image/svg+xml",
                                                              "Cache-Control": "public, max-age=86400"}


@bp.get("/healthz")
def healthz():
    return {"status": "ok", "time": int(time.time())}
