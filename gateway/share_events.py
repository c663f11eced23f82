"""Share returns published from the gateway itself (the hot path): no RPC, no database commit per request.

One publisher per gateway process, shared by its threads: request threads hand their event to a queue and
wait; one thread publishes whatever is waiting as a batch on a confirm-mode channel, persistent, to the
durable queue metrics consumes, and wakes each request only once the broker confirmed its message. A
request is answered 202 only after that; if the broker does not confirm in time the answer is 503 and the
client retries (a return that got through after all is counted once all the same: metrics de-duplicates
by share).
"""
import json
import logging
import os
import threading
from collections import deque

import kombu

from kepu_common.bus.amqp import ConfirmedPublisher, consumer_queue_name, declare_consumer_queue
from kepu_common.interfaces.contracts import exchange_name

log = logging.getLogger(__name__)

SOURCE, EVENT_TYPE = "gateway", "share_returned"
# the queue the metrics service's on_share_returned consumer reads: declared here too, so a return
# accepted before metrics ever started is kept, not dropped by an exchange with no queue bound
QUEUE = consumer_queue_name(SOURCE, EVENT_TYPE, "metrics", "on_share_returned")


class PublishTimeout(Exception):
    pass


class _Pending:
    __slots__ = ("event", "done", "error")

    def __init__(self, event):
        self.event = event
        self.done = threading.Event()
        self.error = None


class ShareReturnPublisher:
    def __init__(self, amqp_uri, queue_type="classic", confirm_timeout=5.0, max_batch=500):
        self.amqp_uri = amqp_uri
        self.queue_type = queue_type
        self.confirm_timeout = confirm_timeout
        self.max_batch = max_batch
        self._waiting = deque()
        self._wake = threading.Condition()
        self._thread = None
        self._pid = None
        self._publisher = None
        self._declared = False

    def publish(self, event):
        """Return once the broker confirmed the event; raise PublishTimeout or the broker's error otherwise."""
        self._ensure_thread()
        pending = _Pending(event)
        with self._wake:
            self._waiting.append(pending)
            self._wake.notify()
        if not pending.done.wait(self.confirm_timeout + 1.0):
            raise PublishTimeout("the broker did not confirm in time")
        if pending.error is not None:
            raise pending.error

    def _ensure_thread(self):
        # servers fork workers (gunicorn, granian) after the app may have been imported: one thread per process
        if self._pid != os.getpid():
            with self._wake:
                if self._pid != os.getpid():
                    self._waiting.clear()
                    self._publisher = None
                    self._thread = threading.Thread(target=self._run, name="share-returns", daemon=True)
                    self._thread.start()
                    self._pid = os.getpid()

    def _run(self):
        while True:
            with self._wake:
                while not self._waiting:
                    self._wake.wait()
                batch = [self._waiting.popleft() for _ in range(min(len(self._waiting), self.max_batch))]
            error = self._publish(batch)
            for pending in batch:
                pending.error = error
                pending.done.set()

    def _publish(self, batch):
        messages = [(exchange_name(SOURCE), EVENT_TYPE, json.dumps(p.event).encode(), p.event["event_id"])
                    for p in batch]
        for attempt in (1, 2):  # a connection idle past its heartbeat is gone: one retry on a fresh one
            try:
                if not self._declared:
                    with kombu.Connection(self.amqp_uri, connect_timeout=3) as conn:
                        declare_consumer_queue(conn.channel(), SOURCE, EVENT_TYPE, QUEUE, self.queue_type)
                    self._declared = True
                if self._publisher is None:
                    self._publisher = ConfirmedPublisher(self.amqp_uri, confirm_timeout=self.confirm_timeout)
                self._publisher.publish_batch(messages)
                return None
            except Exception as exc:  # broker down, connection lost, a nack: nobody gets a 202
                if self._publisher is not None:
                    self._publisher.close()
                self._publisher = None
                if attempt == 2:
                    log.warning("share returns: could not publish %d event(s): %s", len(batch), exc)
                    return exc
        return None
