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
                                 "Check the internal it relies on, then update kepu_common/patches.py.")


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
    """kepu_common.amqp.ConfirmedPublisher swaps a transport's _write (sock.sendall) to batch frames."""
    import amqp.transport

    why = "ConfirmedPublisher's batched frame writes (transport._write)"
    require_version("amqp", ("5.4",), why)
    require_source(amqp.transport.TCPTransport._setup_transport, "self._write = self.sock.sendall", why)


def guard_amqp_read():
    """kepu_common.rpc_client.read_in_chunks lets TCPTransport._read's recv() bring in more than it asked for."""
    import amqp.transport

    why = "read_in_chunks (TCPTransport._quick_recv asked for more than one frame part)"
    require_version("amqp", ("5.4",), why)
    require_source(amqp.transport.TCPTransport._setup_transport, "self._quick_recv = self.sock.recv", why)
    # the surplus of a read must stay in the buffer for the next frame
    require_source(amqp.transport.TCPTransport._read, "result, self._read_buffer = rbuf[:n], rbuf[n:]", why)
    require_source(amqp.transport.TCPTransport._read, "s = recv(n - len(rbuf))", why)


def guard_amqp_reply_reading():
    """RpcClient._read_replies takes over the reply connection's socket after consume-ok: it starts from what
    py-amqp had read ahead (TCPTransport._read_buffer) and counts reads in Connection.bytes_recv, which
    py-amqp's heartbeat check compares."""
    import amqp.connection
    import amqp.transport

    why = "RpcClient._read_replies (reads the reply connection's socket itself)"
    require_version("amqp", ("5.4",), why)
    require_source(amqp.transport.TCPTransport._read, "rbuf = self._read_buffer", why)
    require_source(amqp.connection.Connection.heartbeat_tick, "self.bytes_recv", why)


def guard_amqp_publish_read():
    """kepu_common.rpc_client.UnconfirmedPublisher turns off py-amqp's socket read before each publish (it is
    made when the connection negotiated connection.blocked) and peeks at the socket itself instead."""
    import amqp.channel

    why = "UnconfirmedPublisher's own check for broker input (Channel._basic_publish's connection.blocked read)"
    require_version("amqp", ("5.4",), why)
    require_source(amqp.channel.Channel._basic_publish, "capabilities.get('connection.blocked', False)", why)
    require_source(amqp.channel.Channel._basic_publish, "client_properties.get('capabilities', {})", why)


def guard_nameko_responder():
    """kepu_common.rpc.ReplyingRpcConsumer replaces nameko's reply path (RpcConsumer.handle_result)."""
    import nameko.rpc

    why = "kepu_common.rpc's lean reply path (RpcConsumer.handle_result)"
    require_version("nameko", ("2.14.1",), why)
    require_signature(nameko.rpc.RpcConsumer.handle_result, ("self", "message", "result", "exc_info"), why)
    require_source(nameko.rpc.Rpc.handle_result, "self.rpc_consumer.handle_result(", why)


def guard_consumer_reconnect():
    """kepu_common.rpc.PromptQueueConsumer re-implements kombu's ConsumerMixin.establish_connection with shorter
    reconnect intervals for nameko's RPC consumer."""
    import kombu.mixins
    import nameko.messaging

    why = "kepu_common.rpc's prompt RPC consumer reconnect (ConsumerMixin.establish_connection)"
    require_version("kombu", ("5.7",), why)
    require_source(kombu.mixins.ConsumerMixin.establish_connection, "with self.create_connection() as conn:", why)
    require_source(kombu.mixins.ConsumerMixin.establish_connection, "self.connect_max_retries)", why)
    if "establish_connection" in vars(nameko.messaging.QueueConsumer):
        raise UnsupportedLibrary(f"{why}: nameko's QueueConsumer now defines establish_connection itself")


def guard_nameko_timing_logger():
    """kepu_common.runtime.skip_nameko_worker_timing replaces nameko.containers._log_time, which times every
    worker for a DEBUG line."""
    import nameko.containers

    why = "kepu_common.runtime's untimed workers (nameko.containers._log_time)"
    require_version("nameko", ("2.14.1",), why)
    require_source(nameko.containers.ServiceContainer._run_worker, "with _log_time('ran worker %s', worker_ctx):", why)
    if not callable(getattr(nameko.containers, "_log_time", None)):
        raise UnsupportedLibrary(f"{why}: nameko.containers._log_time is gone")
