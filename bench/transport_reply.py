"""The service's RPC reply path alone: N replies (after 50 for warm-up) sent as a service sends them, to an exchange
nobody reads, on the shared broker (127.0.0.1:5672). MODE: `shared` (this code: nameko's Responder, our
SharedProducerPublisher, one kombu Producer), `nameko` (nameko's Publisher as shipped, use_confirms False: a kombu
Connection and a pooled producer per reply), `old` (84315ec's hand-made frames on one channel; run from a
checkout of 84315ec with PYTHONPATH pointing at it).

Under callgrind the process's counters are zeroed after the warm-up and dumped after the N replies, so the dump
holds the N replies' instructions (user space only: system calls' kernel time is not counted):

    PYTHONPATH=. valgrind --tool=callgrind --callgrind-out-file=/tmp/reply.%p .venv/bin/python bench/transport_reply.py shared 500

Without valgrind (KEPU_BENCH_CPU=1) it prints the process's CPU microseconds per reply instead.
"""
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from kombu import Connection, Exchange  # noqa: E402

AMQP = "amqp://guest:guest@127.0.0.1:5672/"
EXCHANGE = Exchange("kepu-bench-replies", type="topic", durable=False, auto_delete=True)
MESSAGE = SimpleNamespace(properties={"content_type": "application/json", "reply_to": "nobody.bench",
                                      "correlation_id": "abc.1"})
RESULT = {"points": 0, "ledger": []}


def sender(mode):
    if mode == "old":  # 84315ec's ReplyingRpcConsumer._send_reply and handle_result's encoding
        from kombu.utils import json

        from kepu_common.amqp_frames import Outgoing
        from kepu_common.bus.rpc_client import UnconfirmedPublisher

        publisher, lock = UnconfirmedPublisher(AMQP), eventlet.semaphore.Semaphore()

        def send():
            body = json.dumps({"result": RESULT, "error": None})
            message = Outgoing(body.encode("utf-8"), {"content_type": "application/json", "content_encoding": "utf-8",
                                                      "correlation_id": MESSAGE.properties["correlation_id"]})
            with lock:
                publisher.publish(message, EXCHANGE.name, MESSAGE.properties["reply_to"])
        return send
    from kepu_common.bus.rpc import UnconfirmedResponder
    responder = UnconfirmedResponder
    if mode == "shared":  # as ReplyingRpcConsumer.setup makes them
        from kepu_common.bus.rpc import ReplyProducer, SharedProducerPublisher

        publisher = type("ReplyPublisher", (SharedProducerPublisher,), {"reply_producer": ReplyProducer(AMQP)})
        responder = type("ReplyResponder", (UnconfirmedResponder,), {"publisher_cls": publisher})

    def send():
        responder(AMQP, EXCHANGE, "json", MESSAGE, ssl=None, login_method=None).send_response(RESULT, None)
    return send


def main(mode, n):
    send = sender(mode)
    cpu_only = os.environ.get("KEPU_BENCH_CPU") == "1"
    with Connection(AMQP) as connection:
        EXCHANGE(connection.channel()).declare()
        for _ in range(50):
            send()
        if not cpu_only:
            subprocess.run(["callgrind_control", "-z", str(os.getpid())], check=True, stdout=subprocess.DEVNULL)
        started = time.process_time()
        for _ in range(n):
            send()
        if cpu_only:
            print(f"{mode}: {(time.process_time() - started) / n * 1e6:.1f} CPU us per reply")
        else:
            subprocess.run(["callgrind_control", "-d", str(os.getpid())], check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
