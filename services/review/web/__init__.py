"""The reviewers' web UI, served by the review service as its own process: Chinese (zh-CN) by default,
English when the browser asks for it (Accept-Language: en), every text from the catalogues.

The pages are one blueprint (views.py); this module makes the application around it: configuration,
the encrypted session cookie, security headers, error pages in the reader's language. Sign-in goes to
identity (password or SMS code); signing out ends the session in the review service too, so a copied
cookie stops working at once. Every form carries a CSRF token.
"""
import secrets
from pathlib import Path

from flask import Flask, g, render_template, request, session
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from kepu_common.interfaces import messages
from kepu_common.operations import networks
from kepu_common.bus.rpc_client import BrokerUnavailable, RemoteError, RpcClient, RpcTimeout
from kepu_common.data.storage import Storage
from services.review.web import labels, safety
from services.review.web.sessions import EncryptedCookieSessionInterface
from services.review.web.views import bp


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
    previews_origin = safety.storage_origin(settings["storage"])
    app.extensions["metrics_networks"] = networks.parse_networks(settings.get("metrics_networks") or networks.LOOPBACK)
    app.extensions["rpc"] = RpcClient(settings["amqp_uri"], timeout=settings.get("rpc_timeout", 10))
    app.extensions["storage"] = Storage.from_config(settings["storage"])
    app.extensions["jwt"] = settings["jwt"]
    app.extensions["reviewer_names"] = {}  # user id -> (expires, identity's profile or None)
    app.jinja_env.globals.update(labels=labels, csrf_token=_csrf_token, t=_text, label=_label,
                                 csp_nonce=lambda: g.csp_nonce)
    app.jinja_env.filters.update(waited=lambda value, now=None: labels.waited(value, g.locale, now),
                                 when=labels.when, duration=lambda seconds: labels.duration(seconds, g.locale))

    @app.before_request
    def reader_language():
        g.locale = messages.negotiate(request.headers.get("Accept-Language"))
        g.csp_nonce = safety.new_nonce()

    @app.after_request
    def security_headers(response):
        personal = request.endpoint != "static"
        response.headers.update(safety.security_headers(getattr(g, "csp_nonce", "none"), previews_origin, personal))
        return response

    @app.errorhandler(RemoteError)
    def remote_error(error):
        problem = labels.problem_of(error)  # the same mapping as the gateway's: status and code travel with it
        return render_template("error.html", message=labels.problem_text(problem, g.locale)), problem.status

    @app.errorhandler(RpcTimeout)
    @app.errorhandler(BrokerUnavailable)
    def unavailable(error):
        return render_template("error.html", message=_text("ui.review_unavailable")), 503

    @app.errorhandler(HTTPException)
    def http_error(error):
        """Werkzeug's own pages (Not Found, Method Not Allowed…) in the reader's language, in the UI's frame."""
        if not hasattr(g, "locale"):
            g.locale, g.csp_nonce = messages.negotiate(request.headers.get("Accept-Language")), safety.new_nonce()
        if error.code == 400:
            described = error.description if error.description != type(error).description else _text("ui.bad_request")
            return render_template("error.html", message=described), 400
        code = error.code if error.code in (404, 405, 413) else None
        message = _text(f"ui.http_{code}") if code else _text("ui.bad_request")
        return render_template("error.html", message=message), error.code or 500

    app.register_blueprint(bp)
    return app


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
