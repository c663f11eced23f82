"""The gateway's gthread worker tells the arbiter it is alive at most once a second, not on every request."""
from gunicorn.workers.gthread import ThreadWorker

from gateway import gunicorn_worker
from gateway.gunicorn_worker import GatewayWorker


def test_the_arbiter_hears_from_a_busy_worker_once_a_second(monkeypatch):
    told = []
    monkeypatch.setattr(ThreadWorker, "notify", lambda self: told.append(True))
    clock = iter([100.0, 100.2, 100.9, 101.0, 101.5, 102.1])
    monkeypatch.setattr(gunicorn_worker.time, "monotonic", lambda: next(clock))
    worker = GatewayWorker.__new__(GatewayWorker)  # only what notify() needs: no arbiter, no sockets
    worker._notified_at = float("-inf")
    for _ in range(6):
        worker.notify()
    assert len(told) == 3  # at 100.0, 101.0 and 102.1
