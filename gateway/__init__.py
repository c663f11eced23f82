"""The Kepu gateway: the platform's only public HTTP API (/api/v1)."""
from functools import cached_property
from inspect import iscoroutinefunction

from flask import Flask, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

from gateway import smorest  # noqa: F401  (before the blueprints: invalid arguments are 400, numbers bounded)
from gateway import body_rules, edge, errors, hostile_input, requests_log, rpc, security_headers, settings
from gateway.blueprints import admin, auth, health, me, orgs, regions, resources, review, system, uploads
from gateway.blueprints import mall, shares, stats as metrics_stats
from gateway.blueprints import activities
from gateway.blueprints import communities as social
from gateway.blueprints import storage_admin
from gateway.blueprints import notifications

API_PREFIX = "/api/v1"


class GatewayFlask(Flask):
    def ensure_sync(self, func):
        """Flask asks, for the view and for every before/after-request hook of every request, whether the
        function is a coroutine function (inspect walks its code flags each time): twelve times a request
        here, about a tenth of Flask's own time per request. The answer is kept per function; a bound
        method (a MethodView's get, on a new view object each request) is answered by its function, so
        what is kept stays as many entries as the app has functions."""
        target = getattr(func, "__func__", func)
        try:
            is_async = self._async_functions[target]
        except KeyError:
            is_async = self._async_functions[target] = iscoroutinefunction(target)
        except TypeError:  # an unhashable callable: ask Flask every time
            return super().ensure_sync(func)
        return self.async_to_sync(func) if is_async else func

    @cached_property
    def _async_functions(self):
        return {}

    def __call__(self, environ, start_response):
        """Every request enters through gateway.edge.Edge, then app.wsgi_app (the share fast path, Flask)."""
        edge = getattr(self, "edge", None)
        if edge is None:
            return super().__call__(environ, start_response)
        return edge(environ, start_response)


class KepuApi(Api):
    ERROR_SCHEMA = errors.ErrorSchema

    def handle_http_exception(self, error):
        return errors.from_http_exception(error)


def create_app(overrides=None):
    app = GatewayFlask(__name__)
    app.config.from_mapping(settings.from_env())
    app.config.update(
        API_TITLE="Kepu platform API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # served from the installed swagger-ui-bundle, so the docs work without reaching a CDN
        OPENAPI_SWAGGER_UI_URL=f"{API_PREFIX}/docs/assets/",
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False
    app.config.update(overrides or {})

    requests_log.init_app(app)
    rpc.init_app(app)
    hostile_input.init_app(app)
    security_headers.init_app(app)
    body_rules.init_app(app)

    api = KepuApi(app, spec_kwargs={"servers": [{"url": "/"}], "extra_plugins": [smorest.DocumentedStatuses(),
                                                                         smorest.ApiContract()]})
    api.ma_plugin.converter.add_attribute_function(smorest.described_mapping)
    build = api.spec.to_dict
    api.spec.to_dict = lambda: smorest.finish(build())  # area tags, nullable refs and enums (gateway/smorest.py)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.register_blueprint(auth.bp, url_prefix=f"{API_PREFIX}/auth")
    api.register_blueprint(me.bp, url_prefix=f"{API_PREFIX}/me")
    api.register_blueprint(orgs.bp, url_prefix=f"{API_PREFIX}/orgs")
    api.register_blueprint(regions.bp, url_prefix=f"{API_PREFIX}/regions")
    api.register_blueprint(uploads.bp, url_prefix=f"{API_PREFIX}/uploads")
    api.register_blueprint(resources.bp, url_prefix=f"{API_PREFIX}/resources")
    api.register_blueprint(resources.mine, url_prefix=f"{API_PREFIX}/my")
    api.register_blueprint(resources.topics, url_prefix=f"{API_PREFIX}/topics")
    api.register_blueprint(activities.campaigns, url_prefix=f"{API_PREFIX}/campaigns")
    api.register_blueprint(activities.bp, url_prefix=f"{API_PREFIX}/activities")
    api.register_blueprint(activities.mine, url_prefix=f"{API_PREFIX}/my")
    api.register_blueprint(activities.nominations, url_prefix=f"{API_PREFIX}/nominations")
    api.register_blueprint(review.bp, url_prefix=f"{API_PREFIX}/review")
    api.register_blueprint(admin.bp, url_prefix=f"{API_PREFIX}/admin")
    api.register_blueprint(storage_admin.bp, url_prefix=f"{API_PREFIX}/admin/storage")
    api.register_blueprint(system.bp, url_prefix=f"{API_PREFIX}/system")
    api.register_blueprint(shares.bp, url_prefix=f"{API_PREFIX}/shares")
    api.register_blueprint(shares.me, url_prefix=f"{API_PREFIX}/me")
    api.register_blueprint(mall.bp, url_prefix=f"{API_PREFIX}/mall")
    api.register_blueprint(metrics_stats.bp, url_prefix=API_PREFIX)
    api.register_blueprint(metrics_stats.orgs, url_prefix=f"{API_PREFIX}/orgs")
    api.register_blueprint(metrics_stats.admin, url_prefix=f"{API_PREFIX}/admin/metrics")
    api.register_blueprint(social.bp, url_prefix=f"{API_PREFIX}/communities")
    api.register_blueprint(social.posts, url_prefix=f"{API_PREFIX}/posts")
    api.register_blueprint(social.comments, url_prefix=f"{API_PREFIX}/comments")
    api.register_blueprint(social.channels, url_prefix=f"{API_PREFIX}/channels")
    api.register_blueprint(social.me, url_prefix=f"{API_PREFIX}/me")
    api.register_blueprint(notifications.bp, url_prefix=f"{API_PREFIX}/me")
    app.register_blueprint(health.bp)
    errors.register(app)
    shares.init_fast_path(app)  # before Flask, behind the edge
    # in front of everything: trusted proxies, request id, hostile query/path and security headers
    edge.init_app(app)

    @app.get(f"{API_PREFIX}/docs/assets/<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(swagger_ui_path, filename)

    return app
