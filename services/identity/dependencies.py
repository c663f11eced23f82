"""Identity's external resources besides its database: the SMS gateway and its signing secrets."""
import base64
from pathlib import Path

from nameko.extensions import DependencyProvider

from services.identity.idcards import IdVault
from services.identity.sms import sender_from_config
from services.identity.tokens import TokenIssuer


def _read(path):
    return Path(path).read_text().strip()


class IdentitySettings:
    def __init__(self, settings):
        self.environment = settings.get("environment", "development")
        self.sms_debug_echo = str(settings.get("sms_debug_echo", "0")).lower() in ("1", "true", "yes")
        if self.sms_debug_echo and self.environment == "production":
            raise ValueError("SMS_DEBUG_ECHO must not be set in production: it would hand out login codes")
        self.secret = base64.b64decode(_read(settings["secret_key_file"]))
        self.id_vault = IdVault(self.secret)
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
    """The configured SMS sender ('console' logs codes; a carrier's sender plugs in by name)."""

    def setup(self):
        self.sender = sender_from_config(self.container.config["IDENTITY"].get("sms_sender", "console"))

    def get_dependency(self, worker_ctx):
        return self.sender
