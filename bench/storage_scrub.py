"""The integrity scrub's read rate against a plain read of the same objects, on SeaweedFS started here.

    .venv/bin/python bench/storage_scrub.py        # prints JSON; OBJECTS and OBJECT_MB change the set

The same objects are read alternately, plain (stream and discard) and as the scrub reads them
(services/resources/scrub.read_object: stream, SHA-256, the pacer with a rate it never reaches), ROUNDS
times each; the figure is MB/s per way (median) and the scrub's share of the plain rate. Both read
through the same minio client and SeaweedFS's S3 gateway on this machine, so the difference is the hashing.
"""
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu_common.devtools import devstack  # noqa: E402
from kepu_common.data.storage import Storage  # noqa: E402
from services.resources import scrub  # noqa: E402

MB = 1024 * 1024
OBJECTS = int(os.environ.get("OBJECTS", "8"))
OBJECT_MB = int(os.environ.get("OBJECT_MB", "32"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))


def plain(storage, bucket, key):
    response = storage.open(bucket, key)
    try:
        return sum(len(chunk) for chunk in response.stream(scrub.READ_CHUNK))
    finally:
        response.close()
        response.release_conn()


def scrubbed(storage, bucket, key):
    return scrub.read_object(storage, bucket, key, scrub.Pacer(1e15))[1]


def run():
    port = devstack.free_port()
    store = devstack.start_s3(port)
    try:
        storage = Storage(f"http://127.0.0.1:{port}", devstack.LOCAL_ACCESS_KEY, devstack.LOCAL_SECRET_KEY,
                          {"resources": "bench-scrub"})
        storage.ensure_buckets()
        keys = [f"files/bench/{n}" for n in range(OBJECTS)]
        for n, key in enumerate(keys):
            data = os.urandom(MB) * OBJECT_MB  # incompressible, n-th object distinct by its first MB
            storage.put_in_parts("bench-scrub", key, io.BytesIO(bytes([n]) + data[1:]).read, len(data))
        rates = {"plain": [], "scrub": []}
        for _ in range(ROUNDS):
            for way, read in (("plain", plain), ("scrub", scrubbed)):
                began = time.perf_counter()
                total = sum(read(storage, "bench-scrub", key) for key in keys)
                rates[way].append(total / MB / (time.perf_counter() - began))
        result = {way: round(statistics.median(values), 1) for way, values in rates.items()}
        result.update(runs={way: [round(v, 1) for v in values] for way, values in rates.items()},
                      share=round(result["scrub"] / result["plain"], 2), objects=OBJECTS, object_mb=OBJECT_MB)
        return result
    finally:
        devstack.stop_s3(store)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
