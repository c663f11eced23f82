"""KepuRpc checks a call's arguments against a signature made once (kepu_common/bus/rpc.py), refusing exactly
what nameko's own per-call inspect.getcallargs refuses."""
import functools

import pytest
from nameko.containers import ServiceContainer
from nameko.exceptions import IncorrectSignature
from nameko.extensions import Entrypoint

from kepu_common.bus.rpc import rpc


def passes_anything_on(method):
    @functools.wraps(method)  # __wrapped__: inspect.signature would show the inner method's (self, name)
    def wrapper(self, *args, **kwargs):
        return method(self, *args, **kwargs)
    return wrapper


class Greeter:
    name = "greeter"

    @rpc
    def greet(self, name, polite=False, *, title=None):
        return name

    @rpc
    def anything(self, *args, **kwargs):
        return args, kwargs

    @rpc
    @passes_anything_on
    def wrapped(self, name):
        return name


CONTAINERS = []  # entrypoints hold their container by a weak reference


def entrypoint(method_name):
    container = ServiceContainer(Greeter, {"AMQP_URI": "amqp://guest:guest@127.0.0.1:5672//"})
    CONTAINERS.append(container)
    found = next(ep for ep in container.entrypoints if ep.method_name == method_name)
    found.setup()
    return found


CASES = [
    ("greet", ["ann"], {}),
    ("greet", [], {"name": "ann", "polite": True, "title": "Dr"}),
    ("greet", ["ann", True], {"title": None}),
    ("greet", [], {}),
    ("greet", ["ann", True, "extra"], {}),
    ("greet", ["ann"], {"nope": 1}),
    ("greet", ["ann"], {"name": "bob"}),
    ("greet", ["ann", True, "Dr"], {}),
    ("anything", [], {}),
    ("anything", [1, 2, 3], {"a": 1}),
    ("wrapped", [], {}),  # nameko checks the wrapper: accepted, and the method itself then refuses
    ("wrapped", ["ann", "extra"], {}),
]


@pytest.mark.parametrize("method_name, args, kwargs", CASES)
def test_refuses_what_nameko_refuses(method_name, args, kwargs):
    ep = entrypoint(method_name)

    def refused(check):
        try:
            check(args, kwargs)
        except (IncorrectSignature, TypeError):
            return True
        return False

    nameko_refuses = refused(lambda a, k: Entrypoint.check_signature(ep, a, k))
    assert refused(ep.check_signature) is nameko_refuses


def test_a_refusal_is_nameko_incorrect_signature_naming_the_problem():
    with pytest.raises(IncorrectSignature, match="name"):
        entrypoint("greet").check_signature([], {})
