"""Root test set-up: green threads first, then shared fixtures for real RabbitMQ, PostgreSQL and S3."""
import os

if os.environ.get("KEPU_TEST_NO_EVENTLET") != "1":
    # before anything imports a socket: services under test run on eventlet, psycopg2 must yield to it.
    # Browser tests run in a second pytest process without it (Playwright's driver hangs under it).
    import eventlet

    eventlet.monkey_patch()
    from psycogreen.eventlet import patch_psycopg

    patch_psycopg()

import uuid  # noqa: E402

import pytest  # noqa: E402

from kepu_common.devtools import devstack  # noqa: E402
from kepu_common.cli import ROOT  # noqa: E402
from kepu_common.data.migrations import apply_migrations  # noqa: E402
from kepu_common.devtools.testing import AMQP_URI, DATABASE_SERVER, RABBIT_API, drop_database, mint_token, run_admin  # noqa: E402


def pytest_configure(config):
    # nameko's rabbit_config fixture (a private vhost per test) reads these options
    config.option.RABBIT_AMQP_URI = AMQP_URI.replace("amqp://", "pyamqp://", 1)
    config.option.RABBIT_API_URI = RABBIT_API
    config.option.suppress_eventlet_notification = True


@pytest.fixture(scope="session")
def worker_tag():
    """Names this run's databases, so runs side by side do not collide."""
    return f"{os.getpid()}_{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="session")
def database_templates(worker_tag):
    """A migrated template database per service, made once per test worker."""
    made = {}

    def template(service):
        if service not in made:
            name = f"kepu_tpl_{worker_tag}_{service}"
            apply_migrations(f"{DATABASE_SERVER}/{name}", ROOT / "services" / service / "migrations")
            made[service] = name
        return made[service]

    yield template
    for name in made.values():
        drop_database(name)


@pytest.fixture
def database_factory(database_templates, worker_tag):
    """Fresh database for a service, copied from its migrated template; dropped after the test."""
    created = []

    def make(service):
        name = f"kepu_t_{worker_tag}_{service}_{uuid.uuid4().hex[:6]}"
        run_admin(f'CREATE DATABASE "{name}" TEMPLATE "{database_templates(service)}"')
        created.append(name)
        return f"{DATABASE_SERVER}/{name}"

    yield make
    for name in created:
        drop_database(name)


@pytest.fixture(scope="session")
def s3_endpoint():
    """The local object store (SeaweedFS with real credentials), one per test worker."""
    port = devstack.free_port()
    process = devstack.start_s3(port)
    yield f"http://127.0.0.1:{port}"
    devstack.stop_s3(process)


@pytest.fixture
def storage_settings(s3_endpoint):
    suffix = uuid.uuid4().hex[:8]
    settings = {
        "endpoint": s3_endpoint,
        "access_key": devstack.LOCAL_ACCESS_KEY,
        "secret_key": devstack.LOCAL_SECRET_KEY,
        "buckets": {"uploads": f"t-uploads-{suffix}", "resources": f"t-resources-{suffix}",
                    "licences": f"t-licences-{suffix}"},
    }
    yield settings
    # each SeaweedFS bucket holds volumes of its own: drop the test's buckets so a run stays small
    devstack.drop_buckets(s3_endpoint, settings["access_key"], settings["secret_key"], settings["buckets"].values())


@pytest.fixture
def service_config(rabbit_config, database_factory, storage_settings, jwt_keys):
    """Config for one service under test: private vhost, fresh database, its own buckets."""

    def make(service, **overrides):
        config = dict(rabbit_config)
        config.update({
            "DATABASE_URL": database_factory(service),
            "STORAGE": storage_settings,
            "OUTBOX": {"relay": True, "batch_size": 500, "poll_interval": 0.2},
            "max_workers": 4,
            "IDENTITY": {"environment": "test", "sms_sender": "console", "sms_debug_echo": "1",
                         "token_private_key_file": jwt_keys["private_path"],
                         "secret_key_file": jwt_keys["secret_path"]},
        })
        config.update(overrides)
        return config

    return make


@pytest.fixture
def start_service(container_factory, service_config):
    """Start a service class in a container of its own (private vhost, fresh database, own buckets)."""

    def start(service_cls, **overrides):
        container = container_factory(service_cls, service_config(service_cls.name, **overrides))
        container.start()
        return container

    return start


@pytest.fixture
def amqp_uri(rabbit_config):
    return rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)



@pytest.fixture(scope="session")
def jwt_keys(tmp_path_factory):
    """A signing key pair standing in for identity's (tokens are minted here until identity issues them)."""
    from kepu_common.operations.keys import ensure_pair

    private_path, public_path = ensure_pair(tmp_path_factory.mktemp("keys"))
    # identity's secret for code run in the test process itself (services.identity.cli.create_admin finds phones
    # by their keyed HMAC): the same file the services under test are given
    os.environ["IDENTITY_SECRET_KEY_FILE"] = str(private_path.with_name("identity-secret.key"))
    return {"private": private_path.read_text(), "public": public_path.read_text(), "public_path": str(public_path),
            "private_path": str(private_path), "secret_path": str(private_path.with_name("identity-secret.key"))}


@pytest.fixture(scope="session")
def make_token(jwt_keys):
    def make(roles=(), sub="u-1", ttl=300, typ="access", key=None, **claims):
        return mint_token(key or jwt_keys["private"], roles, sub, ttl, typ, **claims)

    return make
