from nameko.testing.services import entrypoint_hook

from services.review.service import ReviewService


def test_health_answers_with_its_own_database(container_factory, service_config):
    container = container_factory(ReviewService, service_config("review"))
    container.start()
    with entrypoint_hook(container, "health") as health:
        assert health() == {"service": "review", "database": "ok", "outbox_pending": 0}
