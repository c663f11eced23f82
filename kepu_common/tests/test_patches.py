"""The guards on library internals pass on the pinned versions and fail loudly when an internal changes."""
import pytest

from kepu_common.operations import patches


def test_guards_pass_on_the_pinned_libraries():
    patches.guard_amqp_write()
    patches.guard_nameko_responder()


def test_a_version_we_did_not_check_is_refused(monkeypatch):
    monkeypatch.setattr(patches, "version", lambda package: "9.0.0")
    with pytest.raises(patches.UnsupportedLibrary, match="amqp 5.4"):
        patches.guard_amqp_write()
    with pytest.raises(patches.UnsupportedLibrary, match="nameko 2.14.1"):
        patches.guard_nameko_responder()


def test_a_changed_internal_is_named(monkeypatch):
    import amqp.transport

    def _setup_transport(self):
        self._write = self._write_all  # what an upgrade might do

    monkeypatch.setattr(amqp.transport.TCPTransport, "_setup_transport", _setup_transport)
    with pytest.raises(patches.UnsupportedLibrary, match="no longer contains"):
        patches.guard_amqp_write()


def test_a_changed_signature_is_named(monkeypatch):
    import nameko.rpc

    monkeypatch.setattr(nameko.rpc.RpcConsumer, "handle_result", lambda self, message, worker_ctx, result: None)
    with pytest.raises(patches.UnsupportedLibrary, match="no longer takes"):
        patches.guard_nameko_responder()


def test_marshmallow_message_codes_refuse_an_unchecked_major_version(monkeypatch):
    from kepu_common.interfaces import validation

    monkeypatch.setattr(validation, "version", lambda package: "5.0.0")
    with pytest.raises(RuntimeError, match="marshmallow 5.0.0"):
        validation.install()


def test_the_rpc_consumer_reconnects_at_most_two_seconds_apart(monkeypatch):
    from contextlib import nullcontext

    from kepu_common.bus import rpc

    patches.guard_consumer_reconnect()
    assert isinstance(rpc.ReplyingRpcConsumer.queue_consumer, rpc.PromptQueueConsumer)
    asked = {}

    class Connection:
        def ensure_connection(self, errback, max_retries, **intervals):
            asked.update(intervals, errback=errback)

    consumer = rpc.PromptQueueConsumer()
    monkeypatch.setattr(consumer, "create_connection", lambda: nullcontext(Connection()))
    with consumer.establish_connection() as conn:
        assert isinstance(conn, Connection)
    assert asked["interval_max"] == rpc.RECONNECT_MAX <= 2.0 and asked["interval_start"] <= 1.0
    assert asked["errback"] == consumer.on_connection_error


def test_the_psycopg2_and_marshmallow_guards_pass_and_name_a_change(monkeypatch):
    import psycopg2.pool

    patches.guard_psycopg2_pool()
    patches.guard_marshmallow_declared_fields()

    def _getconn(self, key=None):
        return self._in_use.setdefault(key, self._connect(key))  # what an upgrade might do

    monkeypatch.setattr(psycopg2.pool.AbstractConnectionPool, "_getconn", _getconn)
    with pytest.raises(patches.UnsupportedLibrary, match="_used"):
        patches.guard_psycopg2_pool()


def test_every_guarded_library_is_pinned_in_requirements_in_with_its_guard_named():
    """A guard refuses versions it was not written for; requirements.in must not let a re-lock pick one."""
    import re
    from pathlib import Path

    lines = (Path(__file__).resolve().parents[2] / "requirements.in").read_text().splitlines()
    for package, guard in (("nameko", "guard_nameko_responder"), ("kombu", "guard_consumer_reconnect"),
                           ("amqp", "guard_amqp_write"), ("psycopg2-binary", "guard_psycopg2_pool"),
                           ("marshmallow", "guard_marshmallow_declared_fields"), ("minio", "guard_multipart"),
                           ("gunicorn", "gunicorn_worker"), ("flask", "ensure_sync")):
        at = next((n for n, line in enumerate(lines) if re.match(rf"{re.escape(package)}\s*==", line, re.I)), None)
        assert at is not None, f"{package} is not pinned in requirements.in"
        comment = []
        for line in reversed(lines[:at]):
            if not line.startswith("#"):
                break
            comment.append(line)
        assert any(guard in line for line in comment), f"requirements.in: {package}'s comment does not name {guard}"
