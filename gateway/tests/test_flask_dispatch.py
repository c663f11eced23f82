"""GatewayFlask keeps Flask's answer to "is this a coroutine function?" per function (gateway/__init__.py)."""
import inspect

from flask import Flask

from gateway import GatewayFlask


def plain(x=None):
    return x


async def coroutine():
    return 1


class View:
    def get(self):
        return "got"


def test_the_answer_matches_flasks_for_functions_methods_and_callables():
    app, reference = GatewayFlask(__name__), Flask(__name__)
    for func in (plain, View().get, len, lambda: 1):
        assert app.ensure_sync(func) is reference.ensure_sync(func) is func
    assert inspect.iscoroutinefunction(coroutine)
    made = app.ensure_sync  # a coroutine function goes to Flask's async_to_sync, as in Flask
    calls = []
    app.async_to_sync = lambda func: calls.append(func) or "wrapped"
    assert made(coroutine) == "wrapped" and calls == [coroutine]


def test_what_is_kept_does_not_grow_with_requests(client):
    for _ in range(50):
        assert client.get("/api/v1/system/services/nope").status_code == 404  # a MethodView: a new view each time
        assert client.get("/healthz").status_code == 200
    kept = len(client.application._async_functions)
    for _ in range(50):
        client.get("/api/v1/system/services/nope")
        client.get("/healthz")
    assert len(client.application._async_functions) == kept


def test_an_unhashable_callable_is_still_answered():
    class Unhashable:
        __hash__ = None

        def __call__(self):
            return 1

    callable_object = Unhashable()
    assert GatewayFlask(__name__).ensure_sync(callable_object) is callable_object
