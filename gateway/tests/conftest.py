import pytest

from gateway import create_app
from kepu_common.data.storage import Storage


@pytest.fixture
def make_app(jwt_keys, amqp_uri, storage_settings):
    Storage.from_config(storage_settings).ensure_buckets()  # as the resources service does at start
    apps = []

    def make(**overrides):
        config = {
            "AMQP_URI": amqp_uri,
            "JWT_PUBLIC_KEYS": [jwt_keys["public"]],
            "RPC_TIMEOUT": 10.0,  # a live service on a loaded CI machine once took over 3 s; absent ones set their own
            "STORAGE": storage_settings,
            "TESTING": True,
        }
        config.update(overrides)
        app = create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["rpc"].close()


@pytest.fixture
def client(make_app):
    return make_app().test_client()


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    return body["error"]
