"""Guards for the places where the platform reaches into a library's internals.

Each guard runs when the module that relies on the internal is imported and fails with a message that
names what changed, so an upgrade breaks loudly at start-up instead of quietly at run time. The
reasons each patch stays are in docs/architecture.md ("Library internals we rely on").
"""
import inspect
from importlib.metadata import version


class UnsupportedLibrary(RuntimeError):
    pass


def require_version(package, prefixes, why):
    installed = version(package)
    if not any(installed == p or installed.startswith(p + ".") for p in prefixes):
        raise UnsupportedLibrary(f"{why} was written for {package} {' or '.join(prefixes)}; {installed} is installed. "
                                 "Check the internal it relies on, then update kepu_common/operations/patches.py.")


def require_source(obj, fragment, why):
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError) as exc:
        raise UnsupportedLibrary(f"{why}: cannot read the source of {obj!r} ({exc})") from None
    if fragment not in source:
        raise UnsupportedLibrary(f"{why}: {obj.__module__}.{obj.__qualname__} no longer contains {fragment!r}")


def require_signature(obj, parameters, why):
    names = list(inspect.signature(obj).parameters)
    if names[:len(parameters)] != list(parameters):
        raise UnsupportedLibrary(f"{why}: {obj.__qualname__}{inspect.signature(obj)} no longer takes {parameters}")


def guard_amqp_write():
    """kepu_common.bus.amqp.ConfirmedPublisher swaps a transport's _write for a buffer while it builds a batch, then
    writes the batch with the transport's own _write (TCP and TLS alike)."""
    import amqp.method_framing
    import amqp.transport

    why = "ConfirmedPublisher's batched frame writes (transport._write)"
    require_version("amqp", ("5.4",), why)
    require_source(amqp.transport._AbstractTransport.write, "self._write(s)", why)
    require_source(amqp.transport.TCPTransport._setup_transport, "self._write = self.sock.sendall", why)
    require_source(amqp.method_framing.frame_writer, "write = transport.write", why)


def guard_amqp_read():
    """kepu_common.bus.rpc_client.read_in_chunks lets TCPTransport._read's recv() bring in more than it asked for."""
    import amqp.transport

    why = "read_in_chunks (TCPTransport._quick_recv asked for more than one frame part)"
    require_version("amqp", ("5.4",), why)
    require_source(amqp.transport.TCPTransport._setup_transport, "self._quick_recv = self.sock.recv", why)
    # the surplus of a read must stay in the buffer for the next frame
    require_source(amqp.transport.TCPTransport._read, "result, self._read_buffer = rbuf[:n], rbuf[n:]", why)
    require_source(amqp.transport.TCPTransport._read, "s = recv(n - len(rbuf))", why)


def guard_nameko_responder():
    """kepu_common.bus.rpc sends replies through nameko's Responder with publisher_cls = a Publisher whose
    use_confirms is False, from its own RpcConsumer.handle_result (nameko's, with that Responder)."""
    import nameko.amqp.publish
    import nameko.rpc

    why = "kepu_common.bus.rpc's unconfirmed replies (Responder.publisher_cls, Publisher.use_confirms)"
    require_version("nameko", ("2.14.1",), why)
    require_signature(nameko.rpc.RpcConsumer.handle_result, ("self", "message", "result", "exc_info"), why)
    require_signature(nameko.rpc.Responder, ("amqp_uri", "exchange", "serializer", "message", "ssl", "login_method"), why)
    require_source(nameko.rpc.Responder.send_response, "self.publisher_cls(", why)
    require_source(nameko.amqp.publish.Publisher.publish, "use_confirms = kwargs.pop('use_confirms', self.use_confirms)", why)
    # kepu_common.bus.rpc.SharedProducerPublisher reads the options nameko's Publisher keeps and hands them to kombu
    require_source(nameko.amqp.publish.Publisher.__init__, "self.publish_kwargs = publish_kwargs", why)
    require_source(nameko.rpc.Responder.send_response, "publisher.publish(", why)
    require_source(nameko.rpc.Rpc.handle_result, "self.rpc_consumer.handle_result(", why)


def guard_consumer_reconnect():
    """kepu_common.bus.rpc.PromptQueueConsumer re-implements kombu's ConsumerMixin.establish_connection with shorter
    reconnect intervals for nameko's RPC consumer."""
    import kombu.mixins
    import nameko.messaging

    why = "kepu_common.bus.rpc's prompt RPC consumer reconnect (ConsumerMixin.establish_connection)"
    require_version("kombu", ("5.7",), why)
    require_source(kombu.mixins.ConsumerMixin.establish_connection, "with self.create_connection() as conn:", why)
    require_source(kombu.mixins.ConsumerMixin.establish_connection, "self.connect_max_retries)", why)
    if "establish_connection" in vars(nameko.messaging.QueueConsumer):
        raise UnsupportedLibrary(f"{why}: nameko's QueueConsumer now defines establish_connection itself")


def guard_nameko_timing_logger():
    """kepu_common.operations.runtime.skip_nameko_worker_timing replaces nameko.containers._log_time, which times every
    worker for a DEBUG line."""
    import nameko.containers

    why = "kepu_common.operations.runtime's untimed workers (nameko.containers._log_time)"
    require_version("nameko", ("2.14.1",), why)
    require_source(nameko.containers.ServiceContainer._run_worker, "with _log_time('ran worker %s', worker_ctx):", why)
    if not callable(getattr(nameko.containers, "_log_time", None)):
        raise UnsupportedLibrary(f"{why}: nameko.containers._log_time is gone")


def guard_psycopg2_pool():
    """kepu_common.data.db's worker_teardown reads psycopg2's pool._used (the connection checked out for a key)
    to give a worker's connection back without taking one for it."""
    import psycopg2.pool

    why = "kepu_common.data.db's connection return (AbstractConnectionPool._used)"
    require_version("psycopg2-binary", ("2.9",), why)
    require_source(psycopg2.pool.AbstractConnectionPool.__init__, "self._used = {}", why)
    require_source(psycopg2.pool.AbstractConnectionPool._getconn, "self._used[key] = conn", why)


def guard_marshmallow_declared_fields():
    """services/resources/schemas.py copies fields from a schema class's _declared_fields (marshmallow's
    SchemaMeta) to build a variant schema."""
    import marshmallow

    why = "services/resources/schemas.py's field copies (Schema._declared_fields)"
    require_version("marshmallow", ("4",), why)

    class Probe(marshmallow.Schema):
        name = marshmallow.fields.String()

    if not isinstance(getattr(Probe, "_declared_fields", None), dict) or "name" not in Probe._declared_fields:
        raise UnsupportedLibrary(f"{why}: marshmallow's Schema._declared_fields is gone")
