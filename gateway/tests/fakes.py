"""Stand-ins for the gateway's two outside dependencies, for tests of its views without a broker, a service or an
object store (the unit tier; the platform-level tests in tests/ and the route tests beside this file keep the
real ones).

- FakeRpc takes the place of kepu_common.bus.rpc_client.RpcClient (app.extensions["rpc"], what gateway.rpc.call
  uses). A test names what each service method does (`answer` or `fail`); arguments and results go through
  the same JSON encoding as on the wire (kombu's serializer on the service's side, json.loads on the
  gateway's), and an exception a service raises arrives as the RemoteError nameko's serializer makes of it, so
  the gateway's error mapping runs as in production. A call nobody described fails the test.
- FakeStorage takes the place of kepu_common.data.storage.Storage (app.extensions["storage"]): objects kept in a
  dict per bucket.
"""
import io
import json

import kombu.serialization
from nameko.exceptions import serialize

from kepu_common.bus.rpc_client import RemoteError


class UnexpectedCall(AssertionError):
    pass


class FakeRpc:
    def __init__(self):
        self.handlers = {}
        self.calls = []  # (service, method, args, kwargs, context) in the order made

    def answer(self, service, method, result=None, *, with_=None):
        """service.method returns result (or with_(*args, **kwargs)'s result)."""
        self.handlers[(service, method)] = with_ or (lambda *args, **kwargs: result)
        return self

    def fail(self, service, method, error):
        """service.method raises error (a KepuError of the service's own, say) inside the service."""
        def raise_(*args, **kwargs):
            raise error

        self.handlers[(service, method)] = raise_
        return self

    def down(self, service, method, error):
        """service.method never reaches the service: error (RpcTimeout, BrokerUnavailable) raised by the client."""
        def raise_(*args, **kwargs):
            raise error

        self.handlers[(service, method)] = _Transport(raise_)
        return self

    def called(self, service=None, method=None):
        return [call for call in self.calls
                if (service is None or call[0] == service) and (method is None or call[1] == method)]

    def call(self, service, method, *args, timeout=None, context=None, **kwargs):
        request = json.loads(json.dumps({"args": list(args), "kwargs": kwargs}))  # what the gateway can send
        self.calls.append((service, method, request["args"], request["kwargs"], context))
        handler = self.handlers.get((service, method))
        if handler is None:
            raise UnexpectedCall(f"{service}.{method} was called and no test described it")
        if isinstance(handler, _Transport):
            handler.raise_()
        try:
            result, error = handler(*request["args"], **request["kwargs"]), None
        except Exception as exc:  # as nameko's Responder serializes an exception raised by the entrypoint
            result, error = None, serialize(exc)
        _, _, body = kombu.serialization.dumps({"result": result, "error": error}, "json")
        reply = json.loads(body)
        if reply["error"]:
            error = reply["error"]
            raise RemoteError(service, error.get("exc_type"), error.get("exc_args"), error.get("value"))
        return reply["result"]

    def close(self):
        pass


class _Transport:
    def __init__(self, raise_):
        self.raise_ = raise_


class FakeStorage:
    BUCKETS = {"uploads": "fake-uploads", "resources": "fake-resources", "licences": "fake-licences"}

    def __init__(self):
        self.objects = {}  # bucket -> {key: (bytes, content_type)}

    def bucket(self, purpose):
        return self.BUCKETS[purpose]

    def put_stream(self, bucket, key, stream, length=-1, content_type="application/octet-stream", **_):
        data = stream.read() if length is None or length < 0 else stream.read(length)
        self.objects.setdefault(bucket, {})[key] = (data, content_type)

    def put_in_parts(self, bucket, key, read, length, content_type="application/octet-stream", part_size=None,
                     observe=None, **_):
        """As Storage.put_in_parts: `length` bytes from read(n), EOFError if the source ends first."""
        data = b""
        while len(data) < length:
            chunk = read(min(part_size or length, length - len(data)))
            if not chunk:
                raise EOFError
            if observe is not None:
                observe(chunk)
            data += chunk
        self.objects.setdefault(bucket, {})[key] = (data, content_type)

    def stat(self, bucket, key):
        data, content_type = self.objects[bucket][key]
        return {"size": len(data), "content_type": content_type}

    def open(self, bucket, key, offset=0, length=0):
        data, _ = self.objects[bucket][key]
        return io.BytesIO(data[offset:offset + length] if length else data[offset:])

    def remove(self, bucket, key):
        self.objects.get(bucket, {}).pop(key, None)

    def presigned_get(self, bucket, key, expires=None, filename=None):
        return f"https://storage.invalid/{bucket}/{key}"

    def check(self):
        return True

    def keys(self, purpose):
        return sorted(self.objects.get(self.bucket(purpose), {}))
