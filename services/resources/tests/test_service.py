import pytest
from nameko.testing.services import entrypoint_hook

from kepu_common.interfaces.errors import Unavailable
from kepu_common.data.storage import Storage
from services.resources.service import ResourcesService


@pytest.fixture
def resources(start_service):
    return start_service(ResourcesService)


def test_buckets_exist_once_the_service_started(resources, storage_settings):
    storage = Storage.from_config(storage_settings)
    assert all(storage.client.bucket_exists(b) for b in storage_settings["buckets"].values())


def test_health_covers_database_and_storage(resources):
    with entrypoint_hook(resources, "health") as health:
        report = health()
    assert report["database"] == "ok" and report["storage"] == "ok"


def test_health_fails_when_a_bucket_is_gone(resources, storage_settings):
    storage = Storage.from_config(storage_settings)
    storage.client.remove_bucket(storage_settings["buckets"]["licences"])
    with entrypoint_hook(resources, "health") as health:
        with pytest.raises(Unavailable, match="bucket_missing") as error:
            health()
    assert error.value.payload["params"] == {"bucket": storage_settings["buckets"]["licences"]}
