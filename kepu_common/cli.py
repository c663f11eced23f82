"""kepu: run a service, apply migrations and declare queues.

    python -m kepu_common.cli run identity            # one service, its own process
    python -m kepu_common.cli migrate [service ...]   # all services when none is named
    python -m kepu_common.cli keys DIR                # token signing key pair, made once

Services read deploy/config/service.yaml (or --config) with ${VAR} substituted from the environment.
"""
import argparse
import importlib
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "deploy" / "config" / "service.yaml"

SERVICES = {
    "identity": "services.identity.service:IdentityService",
    "resources": "services.resources.service:ResourcesService",
    "activities": "services.activities.service:ActivitiesService",
    "review": "services.review.service:ReviewService",
    "metrics": "services.metrics.service:MetricsService",
}


def service_class(name):
    module_name, class_name = SERVICES[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def service_config(name, path=None):
    from kepu_common.operations.config import load_config

    environ = dict(os.environ)
    environ.setdefault("SERVICE_NAME", name)
    return load_config(path or DEFAULT_CONFIG, environ)


def migrate(name, config):
    """Apply the service's migrations and declare the queues its consumers read."""
    import kombu

    from kepu_common.bus.amqp import DEFAULT_DELIVERY_LIMIT, consumer_queue_name, declare_consumer_queue
    from kepu_common.bus.consumers import consumers_of
    from kepu_common.data.migrations import apply_migrations

    applied = apply_migrations(config["DATABASE_URL"], ROOT / "services" / name / "migrations")
    consumers = list(consumers_of(service_class(name)))
    if consumers:
        with kombu.Connection(config["AMQP_URI"]) as conn:
            channel = conn.channel()
            for method, consumer in consumers:
                queue = consumer_queue_name(consumer.source_service, consumer.event_type, name, method)
                declare_consumer_queue(
                    channel, consumer.source_service, consumer.event_type, queue,
                    config.get("EVENT_QUEUE_TYPE", "classic"), consumer.subjects, consumer.legacy_binding,
                    int(config.get("EVENT_DELIVERY_LIMIT", DEFAULT_DELIVERY_LIMIT)),
                )
    return applied


def run(name, config):
    from nameko.cli.run import run as nameko_run

    from kepu_common.operations.runtime import freeze_startup_objects, skip_nameko_worker_timing

    if config.get("MIGRATE_ON_START", True):
        migrate(name, config)
    service = service_class(name)
    skip_nameko_worker_timing()
    freeze_startup_objects()  # the service's code is loaded: keep it out of the collector's full walks
    nameko_run([service], config)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="kepu")
    parser.add_argument("--config", help="service config file (default deploy/config/service.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="run one service")
    run_cmd.add_argument("service", choices=sorted(SERVICES))
    migrate_cmd = commands.add_parser("migrate", help="apply migrations and declare queues")
    migrate_cmd.add_argument("services", nargs="*", metavar="service", help=", ".join(SERVICES))
    keys_cmd = commands.add_parser("keys", help="make the token signing key pair in DIR unless present")
    keys_cmd.add_argument("directory")
    args = parser.parse_args(argv)

    if args.command == "keys":
        from kepu_common.operations.keys import ensure_pair

        for path in ensure_pair(args.directory):
            print(path)
        return 0

    if args.command == "run":
        config = service_config(args.service, args.config)
        from kepu_common.operations import log_context  # after eventlet's monkey patch: its local must be green

        log_context.configure(args.service, config.get("LOG_LEVEL", "INFO"))
        run(args.service, config)
        return 0

    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")
    unknown = set(args.services) - set(SERVICES)
    if unknown:
        parser.error(f"unknown service(s): {', '.join(sorted(unknown))}")
    for name in args.services or list(SERVICES):
        applied = migrate(name, service_config(name, args.config))
        print(f"{name}: {len(applied)} migration(s) applied" + (f" ({', '.join(applied)})" if applied else ""))
    return 0


if __name__ == "__main__":
    if "run" in sys.argv[1:4]:
        # before anything opens a socket: services run on eventlet, and psycopg2 must yield to it
        import eventlet

        eventlet.monkey_patch()
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()
    sys.exit(main())
