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
import sys
import eventlet; eventlet.monkey_patch()
from kombu import Exchange, Connection
AMQP = "amqp://guest:guest@127.0.0.1:5672/"
mode, n = sys.argv[1], int(sys.argv[2])
class M: properties = {"content_type": "application/json", "reply_to": "nobody.t2", "correlation_id": "abc.1"}
result = {"points": 0, "ledger": []}
ex = Exchange("kepu-t2-micro", type="topic", durable=False, auto_delete=True)
if mode == "old":
    from kombu.utils import json
    from kepu_common.rpc_client import UnconfirmedPublisher
    from kepu_common.amqp_frames import Outgoing
    from nameko.exceptions import serialize
    pub = UnconfirmedPublisher(AMQP); lock = eventlet.semaphore.Semaphore()
    def one():
        body = json.dumps({"result": result, "error": None})
        message = Outgoing(body.encode("utf-8"), {"content_type": "application/json", "content_encoding": "utf-8", "correlation_id": M.properties["correlation_id"]})
        with lock:
            pub.publish(message, "kepu-t2-micro", M.properties["reply_to"])
elif mode == "nameko":
    from kepu_common.rpc import UnconfirmedResponder
    def one():
        UnconfirmedResponder(AMQP, ex, "json", M(), ssl=None, login_method=None).send_response(result, None)
else:
    from kepu_common.rpc import UnconfirmedResponder, ReplyProducer, SharedProducerPublisher
    rp = ReplyProducer(AMQP)
    Resp = type("R", (UnconfirmedResponder,), {"publisher_cls": type("P", (SharedProducerPublisher,), {"reply_producer": rp})})
    def one():
        Resp(AMQP, ex, "json", M(), ssl=None, login_method=None).send_response(result, None)
with Connection(AMQP) as c:
    ex(c.channel()).declare()
    import os, subprocess, time
    cpu_only = os.environ.get("KEPU_BENCH_CPU") == "1"
    for _ in range(50): one()
    if not cpu_only:
        subprocess.run(["callgrind_control", "-z", str(os.getpid())], check=True, stdout=subprocess.DEVNULL)
    started = time.process_time()
    for _ in range(n): one()
    if cpu_only:
        print(f"{mode}: {(time.process_time() - started) / n * 1e6:.1f} CPU us per reply")
    else:
        subprocess.run(["callgrind_control", "-d", str(os.getpid())], check=True, stdout=subprocess.DEVNULL)
