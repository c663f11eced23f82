"""RabbitMQ: events, RPC (server and client), batch consumers, the outbox relay, the service base class and its metrics."""
