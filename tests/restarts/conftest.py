"""Identity, metrics and the gateway as separate processes on a private PostgreSQL server and a private
RabbitMQ node (tests/restarts/private_stack.py), so a test can restart either under load."""
import os
import time
from pathlib import Path

import pytest

from kepu_common.devtools import devstack
from tests.restarts import private_stack

COMPONENTS = ("identity", "metrics", "gateway")
RPC_TIMEOUT = 3


@pytest.fixture(scope="module")
def stack():
    reason = private_stack.available()
    if reason:
        pytest.skip(reason)
    postgres = private_stack.PrivatePostgres().init()
    rabbit = private_stack.PrivateRabbit()
    try:
        postgres.start()
        rabbit.start()
        yield postgres, rabbit
    finally:
        rabbit.remove()
        postgres.remove()


@pytest.fixture(scope="module")
def restart_platform(stack, s3_endpoint, jwt_keys, tmp_path_factory):
    postgres, rabbit = stack
    logs = tmp_path_factory.mktemp("restart-logs")
    gateway_port = devstack.free_port()
    keys = Path(jwt_keys["public_path"])
    env = dict(os.environ)
    env.update({
        "AMQP_URI": rabbit.amqp_uri,
        "DATABASE_SERVER": postgres.server_url,
        "DATABASE_PREFIX": "kepu_rs_",
        "S3_ENDPOINT": s3_endpoint,
        "S3_BUCKET_UPLOADS": "rs-uploads", "S3_BUCKET_RESOURCES": "rs-resources", "S3_BUCKET_LICENCES": "rs-licences",
        "JWT_PUBLIC_KEY_FILE": str(keys),
        "JWT_PRIVATE_KEY_FILE": str(keys.with_name("jwt-private.pem")),
        "IDENTITY_SECRET_KEY_FILE": str(keys.with_name("identity-secret.key")),
        "SHARE_KEY_FILE": str(keys.with_name("share-secret.key")),
        "GATEWAY_BIND": f"127.0.0.1:{gateway_port}",
        "GATEWAY_WORKERS": "1", "GATEWAY_THREADS": "8", "GATEWAY_RPC_TIMEOUT": str(RPC_TIMEOUT),
        "OUTBOX_POLL_INTERVAL": "0.2", "MAX_WORKERS": "4",
    })
    platform = devstack.Platform(env, logs, f"http://127.0.0.1:{gateway_port}")
    try:
        for name in COMPONENTS:
            platform.start(name)
        devstack.wait_for_port("127.0.0.1", gateway_port, 60, "gateway")
        for name in COMPONENTS[:-1]:
            platform.wait_until_serving(name, timeout=120)
        platform.pids = {name: process.pid for name, process in platform.processes.items()}
        yield platform
    finally:
        platform.stop_all()




def wait_while_progressing(count, target, stalled_after=120, step=1.0):
    """Wait until count() reaches target; fail only when it stops moving for stalled_after seconds (on a
    loaded machine the stream is slow, not stuck: a fixed deadline would fail it for being slow)."""
    last, last_change = count(), time.monotonic()
    while last < target:
        time.sleep(step)
        now = count()
        if now != last:
            last, last_change = now, time.monotonic()
        elif time.monotonic() - last_change > stalled_after:
            raise AssertionError(f"stuck at {now} of {target} for {stalled_after}s")
    return last
