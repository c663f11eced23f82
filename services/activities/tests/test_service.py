from nameko.testing.services import entrypoint_hook

from services.activities.service import ActivitiesService


def test_health_answers_with_its_own_database(start_service):
    container = start_service(ActivitiesService)
    with entrypoint_hook(container, "health") as health:
        assert health() == {"service": "activities", "database": "ok", "outbox_pending": 0}
