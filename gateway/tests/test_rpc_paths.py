"""Paths that call services: real RabbitMQ, real PostgreSQL, the services run in containers here."""
import pytest

from gateway.tests.conftest import error_of
from services.identity.service import IdentityService


@pytest.fixture
def identity(start_service):
    return start_service(IdentityService)


def test_one_rpc_path_answers(client, identity):
    response = client.get("/api/v1/system/services/identity")
    assert response.status_code == 200
    assert response.get_json() == {"service": "identity", "database": "ok", "outbox_pending": 0}


def test_ping_through_the_gateway(client, identity, make_token):
    response = client.post("/api/v1/system/pings", json={"message": "你好"},
                           headers={"Authorization": f"Bearer {make_token(['platform_admin'])}"})
    assert response.status_code == 202
    assert response.get_json()["message"] == "你好"


def test_service_that_does_not_answer_is_503_naming_it(make_app):
    client = make_app(RPC_TIMEOUT=0.5).test_client()
    response = client.get("/api/v1/system/services/activities")
    assert response.status_code == 503
    error = error_of(response)
    assert error["details"] == {"dependency": "activities"}
    assert response.headers["Retry-After"]


def test_broker_down_is_503_naming_the_broker(make_app):
    client = make_app(AMQP_URI="amqp://guest:guest@127.0.0.1:1//").test_client()
    response = client.get("/api/v1/system/services/identity")
    assert response.status_code == 503
    assert error_of(response)["details"] == {"dependency": "broker"}


# The running service must answer within READY_TIMEOUT on a loaded CI machine (0.5 s once failed there with
# four suites at once); the absent ones cost that time once, in parallel.
def test_readyz_names_what_is_missing(make_app, identity):
    client = make_app(READY_TIMEOUT=5).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["services"]["identity"]["status"] == "ok", body
    assert body["checks"]["storage"]["status"] == "ok"
    assert body["checks"]["services"]["metrics"]["status"] == "unavailable"
    assert set(body["error"]["details"]) == {"resources", "activities", "review", "metrics"}


def test_readyz_reports_storage_down(make_app, identity):
    client = make_app(READY_TIMEOUT=10, READY_SERVICES=("identity",),
                      STORAGE={"endpoint": "http://127.0.0.1:1", "access_key": "a", "secret_key": "b",
                               "buckets": {"uploads": "kepu-uploads"}}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.get_json()["error"]["details"]) == {"storage"}


def test_service_whose_database_is_down_gives_503_naming_it(make_app, start_service):
    start_service(IdentityService, DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere", OUTBOX={"relay": False})
    response = make_app().test_client().get("/api/v1/system/services/identity")
    assert response.status_code == 503
    assert error_of(response)["details"] == {"dependency": "identity.database"}
