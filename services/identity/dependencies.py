"""Identity's external resources besides its database: the SMS gateway and its signing secrets."""
import base64
from pathlib import Path

from nameko.extensions import DependencyProvider

from services.identity.idcards import IdVault
from services.identity.phone_vault import PhoneVault
from services.identity.sms import check_sender_allowed, sender_from_config
from services.identity.tokens import TokenIssuer


def _read(path):
    return Path(path).read_text().strip()


def read_secret(path):
    return base64.b64decode(_read(path))


class IdentitySettings:
    def __init__(self, settings):
        self.environment = settings.get("environment", "development")
        self.sms_debug_echo = str(settings.get("sms_debug_echo", "0")).lower() in ("1", "true", "yes")
        if self.sms_debug_echo and self.environment == "production":
            raise ValueError("SMS_DEBUG_ECHO must not be set in production: it would hand out login codes")
        self.sms_sender = settings.get("sms_sender", "console")
        check_sender_allowed(self.sms_sender, self.environment)
        self.secret = read_secret(settings["secret_key_file"])
        self.id_vault = IdVault(self.secret)
        self.phone_vault = PhoneVault(self.secret)
        self.tokens = TokenIssuer(
            _read(settings["token_private_key_file"]), settings.get("token_issuer", "kepu-identity"),
            settings.get("token_audience", "kepu"), settings.get("access_ttl_seconds", 900),
            settings.get("refresh_ttl_seconds", 30 * 24 * 3600),
        )


class Settings(DependencyProvider):
    """Secrets and token keys, read once when the service starts (it refuses to start without them)."""

    def setup(self):
        self.settings = IdentitySettings(self.container.config["IDENTITY"])

    def get_dependency(self, worker_ctx):
        return self.settings


class SmsGateway(DependencyProvider):
    """The configured SMS sender: 'tencent' (Tencent Cloud SMS, services/identity/sms_tencent.py) or 'console'
    (development: logs that a code was issued, never the code; refused in production)."""

    def setup(self):
        settings = self.container.config["IDENTITY"]
        name = settings.get("sms_sender", "console")
        check_sender_allowed(name, settings.get("environment", "development"))
        self.sender = sender_from_config(name, settings)

    def get_dependency(self, worker_ctx):
        return self.sender
