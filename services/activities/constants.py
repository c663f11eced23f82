"""What the activities schemas (and so the gateway) need from the service: plain values, no I/O, no imports
of the service's modules (the import boundary, kepu_common/tests/test_import_contracts.py)."""
from kepu_common.interfaces.clock import SHANGHAI  # organizers' dates and wall-clock times are Beijing ones
from kepu_common.interfaces.contracts import FOLLOWUP_SUMMARY_PARTS

# a campaign's follow-up rules (活动补充信息), configurable per campaign; these are seed 004's
DEFAULT_FOLLOWUP_RULES = {
    "min_media_links": 1, "min_photos": 3, "max_photos": 10, "max_videos": 3, "max_video_seconds": 180,
    "min_participants_offline": 50, "min_participants_online": 100, "summary_days": 10,
}
SUMMARY_PARTS = FOLLOWUP_SUMMARY_PARTS
