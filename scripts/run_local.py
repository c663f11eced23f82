"""make run: the whole platform on this machine, each service its own process. Ctrl-C stops it all.

Uses the local RabbitMQ and PostgreSQL (starting them if installed and stopped), starts a local
object store (SeaweedFS, data in var/seaweedfs) unless S3_ENDPOINT points at any S3 endpoint, applies migrations, then runs every
service and the gateway under honcho, with the project's nginx configuration in front of the gateway and the
reviewer UI when nginx is installed (the production shape: header and body time-outs, buffered JSON bodies).
"""
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu_common.devtools import devstack  # noqa: E402
from kepu_common.operations.keys import ensure_pair  # noqa: E402

VAR = ROOT / "var"


def main():
    env = os.environ
    env.setdefault("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672//")
    env.setdefault("DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
    gateway_port = env.get("GATEWAY_PORT", "8000")
    review_ui_port = env.get("REVIEW_UI_PORT", "8100")
    # each service process serves /metrics on its own port: METRICS_PORT_BASE + 1, + 2, ... (docs/observability.md)
    metrics_ports = {name: int(env.get("METRICS_PORT_BASE", "9100")) + number
                     for number, name in enumerate(devstack.SERVICES, start=1)}
    VAR.mkdir(exist_ok=True)

    try:
        print(f"RabbitMQ: {devstack.ensure_rabbitmq(env['AMQP_URI'])}", flush=True)
        print(f"PostgreSQL: {devstack.ensure_postgres(env['DATABASE_SERVER'])}", flush=True)
    except devstack.MissingInfrastructure as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1

    _, public_key = ensure_pair(VAR / "keys")
    env.setdefault("JWT_PUBLIC_KEY_FILE", str(public_key))
    env.setdefault("JWT_PRIVATE_KEY_FILE", str(VAR / "keys" / "jwt-private.pem"))
    env.setdefault("IDENTITY_SECRET_KEY_FILE", str(VAR / "keys" / "identity-secret.key"))
    env.setdefault("REVIEW_UI_SECRET_KEY_FILE", str(VAR / "keys" / "review-ui-secret.key"))
    # local development: the API returns SMS codes as debug_code (never set in production)
    env.setdefault("SMS_DEBUG_ECHO", "1")

    s3 = None
    if not env.get("S3_ENDPOINT"):
        s3_port = int(env.get("S3_PORT", "9000"))
        if devstack.port_open("127.0.0.1", s3_port):
            print(f"port {s3_port} is taken: set S3_PORT, or S3_ENDPOINT to use that server", file=sys.stderr)
            return 1
        # real credentials: the settings' defaults unless S3_ACCESS_KEY / S3_SECRET_KEY say otherwise
        s3 = devstack.start_s3(s3_port, open(VAR / "s3.log", "ab"), data_dir=Path(env.get("S3_DATA_DIR") or VAR / "seaweedfs"),
                               access_key=env.setdefault("S3_ACCESS_KEY", devstack.LOCAL_ACCESS_KEY),
                               secret_key=env.setdefault("S3_SECRET_KEY", devstack.LOCAL_SECRET_KEY))
        env["S3_ENDPOINT"] = f"http://127.0.0.1:{s3_port}"
        print(f"object storage (SeaweedFS) at {env['S3_ENDPOINT']}; data in var/seaweedfs, log in var/s3.log",
              flush=True)

    subprocess.run([sys.executable, "-m", "kepu_common.cli", "migrate"], check=True, cwd=ROOT)
    env["MIGRATE_ON_START"] = "false"  # just done, once, instead of five times at start-up

    # the production shape: nginx (deploy/nginx/nginx.conf) in front of the gateway and the reviewer UI, which
    # listen on ports of their own (+10); KEPU_RUN_NGINX=0, or no nginx installed, serves them directly
    nginx = devstack.nginx_binary() if env.get("KEPU_RUN_NGINX", "1") != "0" else None
    # behind nginx the gateway is split as in production (docs/architecture.md, "The split gateway"): granian
    # answers the API (+10), gunicorn the streamed uploads (+11); without nginx gunicorn answers everything
    gateway_bind, review_ui_bind, uploads_bind = gateway_port, review_ui_port, None
    if nginx:
        gateway_bind = env.get("GATEWAY_UPSTREAM_PORT", str(int(gateway_port) + 10))
        uploads_bind = env.get("GATEWAY_UPLOADS_UPSTREAM_PORT", str(int(gateway_port) + 11))
        review_ui_bind = env.get("REVIEW_UI_UPSTREAM_PORT", str(int(review_ui_port) + 10))
        nginx_conf = devstack.local_nginx_config(VAR / "nginx", gateway_port, f"127.0.0.1:{gateway_bind}",
                                                 review_ui_port, f"127.0.0.1:{review_ui_bind}",
                                                 uploads_upstream=f"127.0.0.1:{uploads_bind}")
        checked = subprocess.run([nginx, "-t", "-q", "-c", str(nginx_conf), "-e", "stderr"], capture_output=True,
                                 text=True)
        if checked.returncode != 0:
            print(f"nginx refuses its configuration, serving without it:\n{checked.stderr}", file=sys.stderr)
            nginx, gateway_bind, review_ui_bind, uploads_bind = None, gateway_port, review_ui_port, None
    if nginx:
        env.setdefault("GATEWAY_TRUSTED_PROXIES", "1")
        env.setdefault("REVIEW_UI_TRUSTED_PROXIES", "1")
    else:
        print("no nginx in front (install Debian's nginx-light for the production shape): the gateway and the "
              "reviewer UI face clients themselves", flush=True)

    procfile = VAR / "Procfile"
    lines = [f"{name}: METRICS_PORT={metrics_ports[name]} {shlex.join(devstack.service_command(name))}"
             for name in devstack.SERVICES]
    if uploads_bind:
        lines.append(f"gateway: {shlex.join(devstack.gateway_command(f'127.0.0.1:{gateway_bind}', 'granian'))}")
        lines.append(f"gatewayuploads: {shlex.join(devstack.gateway_command(f'127.0.0.1:{uploads_bind}'))}")
    else:
        lines.append(f"gateway: {shlex.join(devstack.gateway_command(f'127.0.0.1:{gateway_bind}'))}")
    lines.append(f"reviewui: {shlex.join(devstack.review_ui_command(f'127.0.0.1:{review_ui_bind}'))}")
    if nginx:
        lines.append(f"nginx: {shlex.join(devstack.nginx_command(nginx_conf))}")
    procfile.write_text("\n".join(lines) + "\n")

    base = f"http://127.0.0.1:{gateway_port}"
    print(
        "\nKepu platform starting (Ctrl-C stops everything):\n"
        f"  gateway API       {base}/api/v1\n"
        f"  API docs          {base}/api/v1/docs   (OpenAPI: {base}/api/v1/openapi.json)\n"
        f"  readiness         {base}/readyz\n"
        f"  reviewer UI       http://127.0.0.1:{review_ui_port}/   (zh-CN; sign in with a reviewer or platform admin)\n"
        + (f"  behind nginx      gateway itself on 127.0.0.1:{gateway_bind} (API, granian) and 127.0.0.1:{uploads_bind}"
           f" (streamed uploads, gunicorn),\n                    reviewer UI on 127.0.0.1:{review_ui_bind}"
           " (deploy/nginx/nginx.conf; log in var/nginx/)\n" if nginx else "") +
        f"  object storage    {env['S3_ENDPOINT']}\n"
        f"  metrics           http://127.0.0.1:{gateway_bind}/metrics (gateway"
        + (f"; its uploads side: 127.0.0.1:{uploads_bind}/metrics), " if uploads_bind else "), ") +
        f"http://127.0.0.1:{review_ui_bind}/metrics (review queues),\n"
        + "".join(f"                    http://127.0.0.1:{port}/metrics ({name})\n"
                  for name, port in metrics_ports.items()) +
        "  RabbitMQ admin    http://127.0.0.1:15672 (guest/guest)\n",
        flush=True,
    )
    honcho = subprocess.Popen([str(Path(sys.executable).with_name("honcho")), "-f", str(procfile), "-d", str(ROOT), "start"], cwd=ROOT)
    # honcho stops every process on SIGINT/SIGTERM. Ctrl-C reaches it with the terminal's process group, but a
    # signal sent to this launcher alone (kill -INT, kill -TERM, a supervisor) must be passed on; a second
    # SIGTERM to honcho changes nothing.
    signal.signal(signal.SIGTERM, lambda *_: honcho.terminate())
    try:
        return honcho.wait()
    except KeyboardInterrupt:
        honcho.terminate()
        return honcho.wait()
    finally:
        if s3 is not None:
            devstack.stop_s3(s3)


if __name__ == "__main__":
    sys.exit(main())
