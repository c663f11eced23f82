"""The gateway's RPC client receiving N replies (after 50 for warm-up): its reader thread reads them and wakes the
waiting caller; a child process publishes them to the client's reply queue on the shared broker (127.0.0.1:5672).
Run from this checkout, or with PYTHONPATH at a checkout of 84315ec for its hand-made decoder.

Under callgrind the counters are zeroed after the warm-up and dumped after the N replies (user-space instructions
only: the settimeout() and poll() system calls py-amqp makes around each read are kernel time, not counted):

    PYTHONPATH=. valgrind --tool=callgrind --callgrind-out-file=/tmp/reader.%p .venv/bin/python bench/transport_reader.py 1000

Without valgrind (KEPU_BENCH_CPU=1) it prints the process's CPU microseconds per reply instead.
"""
import os
import subprocess
import sys
import time

from kepu_common.bus.rpc_client import RpcClient, _Waiter

AMQP = "amqp://guest:guest@127.0.0.1:5672/"
PUBLISHER = """
import sys, amqp, kombu
conn = kombu.Connection(sys.argv[1]); conn.connect(); channel = conn.connection.channel()
for line in sys.stdin:
    first, end = map(int, line.split())
    for i in range(first, end):
        channel.basic_publish(amqp.Message(b'{"result": {"points": 0, "ledger": []}, "error": null}',
                                           content_type="application/json", content_encoding="utf-8",
                                           correlation_id=f"{sys.argv[3]}.{i}"),
                              exchange="nameko-rpc", routing_key=sys.argv[2])
    print("ok", flush=True)
"""


def main(n):
    client = RpcClient(AMQP, timeout=600, connect_timeout=600)  # valgrind makes connecting slow
    client._ensure_reader(600)
    publisher = subprocess.Popen([sys.executable, "-c", PUBLISHER, AMQP, client._reply_key, client._call_prefix],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def replies(first, end):  # callers waiting for these correlation ids, as RpcClient.call registers them
        waiters = [client._waiters.setdefault(f"{client._call_prefix}.{i}", _Waiter()) for i in range(first, end)]
        publisher.stdin.write(f"{first} {end}\n")
        publisher.stdin.flush()
        for waiter in waiters:
            assert waiter.lock.acquire(timeout=600)
        publisher.stdout.readline()

    cpu_only = os.environ.get("KEPU_BENCH_CPU") == "1"
    replies(0, 50)
    if not cpu_only:
        subprocess.run(["callgrind_control", "-z", str(os.getpid())], check=True, stdout=subprocess.DEVNULL)
    started = time.process_time()
    replies(50, 50 + n)
    if cpu_only:
        print(f"{(time.process_time() - started) / n * 1e6:.1f} CPU us per reply (the whole client process)")
    else:
        subprocess.run(["callgrind_control", "-d", str(os.getpid())], check=True, stdout=subprocess.DEVNULL)
    publisher.stdin.close()
    publisher.wait()
    client.close()


if __name__ == "__main__":
    main(int(sys.argv[1]))
