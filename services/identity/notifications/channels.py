"""Where notifications leave identity: the SMS sender (and the place an app-push channel plugs in), their settings,
and the counters ops watch.

SMS goes through identity's configured sender (IDENTITY.sms_sender, `console` under `make run`: it logs the
message). A carrier's sender implements `send_notice(phone, template_code, params, text, out_id)`: the template
code and variables are what a provider such as Aliyun 短信服务 takes (SendSms TemplateCode/TemplateParam, with
OutId = out_id so the provider drops a message sent twice); `text` is what the phone shows, for senders that
take plain text. It raises on any failure; the dispatcher retries with back-off and dead-letters after
NOTIFICATIONS.sms_max_attempts.

App push (not built: there is no app to push to yet) plugs in the same way: a class with
`send(user_id, notification)` registered in PUSH_CHANNELS and named in NOTIFICATIONS.push_channels; the
service calls every configured channel for each new notification after the inbox row committed (see
IdentityService._push). A push failure never loses the notification: the inbox already has it.
"""
import json
import logging
from pathlib import Path

from prometheus_client import CollectorRegistry
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge

from kepu_common.bus.observability import Observability
from kepu_common.bus.rpc_client import RpcClient
from services.identity import phones
from services.identity.notifications.rules import QuietHours
from services.identity.sms import ConsoleSender, check_sender_allowed, sender_from_config

log = logging.getLogger(__name__)


class ConsoleNoticeSender(ConsoleSender):
    """The development sender: logs the message, masked phone only."""

    def send_notice(self, phone, template_code, params, text, out_id):
        log.info("SMS to %s [%s #%s]: %s", phones.masked(phone), template_code, out_id, text)


class FileNoticeSender:
    """A stand-in provider for development and the journey tests: each accepted message is one JSON line in
    <sms_file_dir>/sms.jsonl (full phone: this file is the "phone"; never in production), and while a file named
    OUTAGE exists in that directory it refuses every message, as a provider that is down does."""

    def __init__(self, settings):
        self.directory = Path(settings.get("sms_file_dir") or "var/sms")
        self.directory.mkdir(parents=True, exist_ok=True)

    def send_notice(self, phone, template_code, params, text, out_id):
        if (self.directory / "OUTAGE").exists():
            raise ConnectionError("SMS provider unavailable (OUTAGE file present)")
        line = json.dumps({"phone": phone, "template_code": template_code, "params": params, "text": text,
                           "out_id": out_id}, ensure_ascii=False)
        with open(self.directory / "sms.jsonl", "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


NOTICE_SENDERS = {"console": lambda settings: ConsoleNoticeSender(), "file": FileNoticeSender}
PUSH_CHANNELS = {}  # name -> class with send(user_id, notification); none yet


def notice_sender_from_config(name, settings=None, identity=None):
    if name in NOTICE_SENDERS:
        return NOTICE_SENDERS[name](settings or {})
    sender = sender_from_config(name, identity)  # a carrier's sender registered in services.identity.sms.SENDERS
    if not hasattr(sender, "send_notice"):
        raise ValueError(f"SMS sender {name!r} cannot send notifications (no send_notice)")
    return sender


class NotificationConfig:
    def __init__(self, identity, settings):
        self.quiet_hours = QuietHours.parse(settings.get("quiet_hours", "22:00-08:00"))
        self.sms_daily_limit = int(settings.get("sms_daily_limit", 5))
        self.sms_retry_base_seconds = float(settings.get("sms_retry_base_seconds", 30))
        self.sms_max_attempts = int(settings.get("sms_max_attempts", 8))
        self.sms_batch = int(settings.get("sms_batch", 50))
        self.retention_days = int(settings.get("retention_days", 180))
        self.followup_recheck_seconds = float(settings.get("followup_recheck_seconds", 6 * 3600))
        sender = settings.get("sms_sender") or identity.get("sms_sender", "console")
        check_sender_allowed(sender, identity.get("environment", "development"))
        self.sender = notice_sender_from_config(sender, settings, identity)
        self.push = [PUSH_CHANNELS[name]() for name in settings.get("push_channels") or ()]
        # the phones are sealed at rest (phone_vault): the sender opens them with identity's secret
        self.phone_vault = None
        if identity.get("secret_key_file"):
            from services.identity.dependencies import read_secret
            from services.identity.phone_vault import PhoneVault

            self.phone_vault = PhoneVault(read_secret(identity["secret_key_file"]))


class NotificationMetrics:
    def __init__(self, service, registry):
        self.service = service
        self.sms = Counter("kepu_notification_sms_total", "Notification SMS attempts by outcome "
                           "(sent, retry, dead_lettered, skipped_*)", ["service", "outcome"], registry=registry)
        self.dead = Gauge("kepu_notification_sms_dead_letters", "Notification SMS given up after every retry, "
                          "waiting for ops (docs/operations.md)", ["service"], registry=registry)
        self.pending = Gauge("kepu_notification_sms_pending", "Notification SMS queued (held, due or retrying)",
                             ["service"], registry=registry)
        self.notifications = Counter("kepu_notifications_created_total", "Inbox notifications written, by kind",
                                     ["service", "kind"], registry=registry)

    def outcome(self, outcome):
        self.sms.labels(self.service, outcome).inc()


class Notifications(DependencyProvider):
    """NOTIFICATIONS settings, the SMS sender and the counters (registered with the service's /metrics)."""

    def setup(self):
        config = self.container.config
        self.config = NotificationConfig(config.get("IDENTITY", {}), config.get("NOTIFICATIONS") or {})
        self.metrics = None
        self._rpc = None

    def rpc(self):
        """An RPC client for asking activities (follow-up deadlines), made on first use, 5 s per call."""
        if self._rpc is None:
            self._rpc = RpcClient(self.container.config["AMQP_URI"], timeout=5.0)
        return self._rpc

    def stop(self):
        if self._rpc is not None:
            self._rpc.close()
            self._rpc = None

    kill = stop

    def start(self):
        # after every extension's setup: the service's Observability has made its registry by now
        registry = None
        for extension in self.container.dependencies:
            if isinstance(extension, Observability):
                registry = extension.registry
        self.metrics = NotificationMetrics(self.container.service_name, registry or CollectorRegistry())

    def get_dependency(self, worker_ctx):
        return self
