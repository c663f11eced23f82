"""The metrics service's settings from its config block (METRICS in deploy/config/service.yaml)."""
from nameko.extensions import DependencyProvider

from services.metrics import contracts
from services.metrics.mall_vault import KEY_NAME as MALL_KEY_NAME, DeliveryVault


class MetricsSettings:
    def __init__(self, settings):
        self.share_key = contracts.load_key(settings.get("share_key_file") or f"var/keys/{contracts.SHARE_KEY_NAME}")
        self.rollup_check_seconds = float(settings.get("rollup_check_seconds", 60))
        # seals redemptions' delivery details (services/metrics/mall_vault.py); metrics alone holds it
        self.delivery_vault = DeliveryVault(contracts.load_key(settings.get("mall_key_file")
                                                               or f"var/keys/{MALL_KEY_NAME}"))


class Settings(DependencyProvider):
    def setup(self):
        self.settings = MetricsSettings(self.container.config.get("METRICS", {}))

    def get_dependency(self, worker_ctx):
        return self.settings
