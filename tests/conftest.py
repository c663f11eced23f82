"""The whole platform as separate processes (five services, the gateway under gunicorn, a local S3
endpoint) in a private RabbitMQ vhost with its own databases, for journeys through the HTTP API."""
import shutil

import pytest

from kepu_common.devtools import devstack
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API
from tests.answer_check import answers_checked
from tests.browser import CHROMIUM_ARGS


@pytest.fixture(scope="session")
def platform(tmp_path_factory, jwt_keys, s3_endpoint):
    with devstack.isolated_platform(
        AMQP_URI, RABBIT_API, DATABASE_SERVER, s3_endpoint, tmp_path_factory.mktemp("platform-logs"),
        jwt_keys["public_path"],
        GATEWAY_WORKERS=1, GATEWAY_THREADS=8, OUTBOX_POLL_INTERVAL=0.2, GATEWAY_RPC_TIMEOUT=8, MAX_WORKERS=4,
        # 8 s: the suite runs several processes at once on two cores; a stopped service still answers 503 in time
        # small parts, so multi-part uploads need only a few MB
        UPLOAD_PART_SIZE_MB=5, GATEWAY_UPLOAD_PART_MB=5,
    ) as platform, answers_checked(platform.gateway_url):  # every answer has what the document marks required
        yield platform


@pytest.fixture
def admin_headers(make_token):
    return {"Authorization": f"Bearer {make_token(['platform_admin'])}"}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
