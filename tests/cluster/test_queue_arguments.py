"""The arguments a consumer queue is declared with: every process must declare the same (RabbitMQ refuses a
redeclaration with other arguments), and only a quorum queue gets the broker's delivery limit."""
from kepu_common.bus.amqp import DEAD_LETTER_EXCHANGE, DEFAULT_DELIVERY_LIMIT, consumer_queue_arguments


def test_classic_queue_keeps_its_arguments_of_before():
    assert consumer_queue_arguments("classic") == {"x-dead-letter-exchange": DEAD_LETTER_EXCHANGE}
    assert consumer_queue_arguments("classic", 3) == consumer_queue_arguments("classic")


def test_quorum_queue_dead_letters_past_the_delivery_limit_at_least_once():
    assert consumer_queue_arguments("quorum", 7) == {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-delivery-limit": 7,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
    assert consumer_queue_arguments("quorum")["x-delivery-limit"] == DEFAULT_DELIVERY_LIMIT
    assert consumer_queue_arguments("quorum", "5")["x-delivery-limit"] == 5  # from a config file, as text
