from nameko.testing.services import entrypoint_hook

from services.review.service import ReviewService


def test_health_answers_with_its_own_database(start_service):
    container = start_service(ReviewService)
    with entrypoint_hook(container, "health") as health:
        assert health() == {"service": "review", "database": "ok", "outbox_pending": 0}
