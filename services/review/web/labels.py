"""What the review UI shows, in the reader's language: labels from the catalogues (kepu_common.messages),
errors as every other client sees them (kepu_common.errors.problem_of_remote), times in Beijing time."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from kepu_common import regions
from kepu_common.contracts import REVIEW_STAGES
from kepu_common.errors import internal_problem, problem_of_remote
from kepu_common.messages import has, label, text
from services.review.rules import TASK_STATUSES

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAGES = REVIEW_STAGES
STATUSES = TASK_STATUSES
# snapshot entries that are for machines (codes, storage keys) or shown another way (files as previews)
HIDDEN_FIELDS = {"files", "communicator_type", "category", "region_code", "org_id", "parent_id", "licence_key",
                 "file_key", "thumbnail_key"}
PREVIEW_KINDS = ("image", "video", "audio", "pdf")


def field_label(key, locale):
    """A snapshot field's label: catalogue key "snapshot.<field>", whichever area's catalogue has it."""
    code = f"snapshot.{key}"
    return text(code, locale) if has(code) else key


def snapshot_rows(snapshot, locale):
    """[(label, value)] of what a reviewer reads; a dict value becomes its own [(label, value)] list."""
    rows = []
    for key, value in snapshot.items():
        if key in HIDDEN_FIELDS:
            continue
        rows.append((field_label(key, locale), _value(value, locale)))
    return rows


def _value(value, locale):
    if isinstance(value, dict):
        return [(field_label(key, locale), _value(item, locale)) for key, item in value.items()]
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value)
    return value


def preview_kind(item):
    """How to preview a snapshot file: its "kind" (image, video, pdf) when the producer says, else from
    its content type; None for a download link only."""
    if item.get("kind") in PREVIEW_KINDS:
        return item["kind"]
    content_type = item.get("content_type") or ""
    for kind in ("image", "video", "audio"):
        if content_type.startswith(kind + "/"):
            return kind
    return "pdf" if content_type == "application/pdf" else None


def problem_of(error):
    """The Problem of an RPC error, exactly as the gateway reads it."""
    return problem_of_remote(error.exc_type, error.exc_args, error.service) or internal_problem()


def problem_text(problem, locale):
    """The message and, when they say more, the fields' messages: one line for a person."""
    message = text(problem.message, locale, fallback=problem.code, **problem.params)
    extra = [text(value["code"], locale, fallback="invalid", **(value.get("params") or {}))
             for value in problem.fields.values()]
    extra = [item for item in extra if item and item.rstrip("。.") not in message]
    return message + ("" if not extra else " " + "；".join(extra))


def refusal_text(result, locale):
    """One refused item of a batch decision, in the reader's language."""
    return text(result.get("message") or result.get("code"), locale, fallback=result.get("code") or "conflict",
                **(result.get("params") or {}))


def province(code):
    if not code:
        return ""
    division = regions.lookup(code)
    return division.name if division else code


def when(value):
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def waited(value, locale, now=None):
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    seconds = int(((now or datetime.now(timezone.utc)) - moment).total_seconds())
    if seconds < 60:
        return text("ui.just_now", locale)
    if seconds < 3600:
        return text("ui.waited_minutes", locale, minutes=seconds // 60)
    if seconds < 86400:
        return text("ui.waited_hours", locale, hours=seconds // 3600, minutes=seconds % 3600 // 60)
    return text("ui.waited_days", locale, days=seconds // 86400, hours=seconds % 86400 // 3600)


__all__ = ["label", "field_label", "snapshot_rows", "preview_kind", "problem_of", "problem_text", "refusal_text",
           "province", "when", "waited", "STAGES", "STATUSES"]
