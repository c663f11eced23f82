"""The resources service's settings: size limits, upload lifetimes, thumbnail and download-link sizes."""
from datetime import timedelta

from nameko.extensions import DependencyProvider

from services.resources import virus_scan
from services.resources.constants import MB, UPLOAD_PURPOSES


class ResourceSettings:
    def __init__(self, settings):
        limits = settings.get("size_limits_mb") or {}
        self.size_limits = {purpose: int(limits.get(purpose) or default // MB) * MB
                            for purpose, (_, default) in UPLOAD_PURPOSES.items()}
        self.part_size = int(settings.get("part_size_mb", 16)) * MB
        self.upload_ttl = timedelta(hours=float(settings.get("upload_ttl_hours", 24)))
        self.unused_upload_ttl = timedelta(days=float(settings.get("unused_upload_days", 7)))
        self.thumbnail_pixels = int(settings.get("thumbnail_pixels", 480))
        self.max_image_pixels = int(settings.get("max_image_megapixels", 100)) * 1_000_000
        # reading a video's duration is quick for a sound file; a file that keeps FFmpeg busy longer is refused
        self.probe_seconds = float(settings.get("video_probe_seconds", 30))
        self.download_ttl = timedelta(seconds=int(settings.get("download_url_seconds", 300)))
        self.part_url_ttl = timedelta(hours=float(settings.get("part_url_hours", 6)))
        # ClamAV's daemon ("host:port" or a socket path); empty: uploads are not scanned (virus_scan.py)
        address = settings.get("clamd_address") or ""
        self.scanner = virus_scan.Scanner(address, float(settings.get("clamd_timeout_seconds", 120))) if address else None


class Settings(DependencyProvider):
    def setup(self):
        self.settings = ResourceSettings(self.container.config.get("RESOURCES", {}))

    def get_dependency(self, worker_ctx):
        return self.settings
