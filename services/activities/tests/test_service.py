from nameko.testing.services import entrypoint_hook

from services.activities.service import ActivitiesService


def test_health_answers_with_its_own_database(container_factory, service_config):
    container = container_factory(ActivitiesService, service_config("activities"))
    container.start()
    with entrypoint_hook(container, "health") as health:
        assert health() == {"service": "activities", "database": "ok", "outbox_pending": 0}
