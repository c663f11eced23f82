"""What the review UI shows, in the reader's language: labels from the catalogues (kepu_common.interfaces.messages),
errors as every other client sees them (kepu_common.interfaces.errors.problem_of_remote), times in Beijing time,
snapshot values as people read them (视频, 15.2 KB, 2026-09-20 09:00), people by name or masked phone."""
from datetime import datetime, timezone

from kepu_common.domain import regions
from kepu_common.interfaces.clock import SHANGHAI
from kepu_common.interfaces.contracts import FOLLOWUP_SUMMARY_PARTS, REVIEW_STAGES
from kepu_common.interfaces.errors import internal_problem, problem_of_remote
from kepu_common.interfaces.messages import has, label, text
from services.review import priority
from services.review.constants import DECISIONS, TASK_STATUSES
from services.review.web import form_order

STAGES = REVIEW_STAGES
STATUSES = TASK_STATUSES
# snapshot entries that are for machines (codes, storage keys) or shown another way (files as previews)
HIDDEN_FIELDS = {"files", "communicator_type", "category", "region_code", "org_id", "parent_id", "licence_key",
                 "file_key", "thumbnail_key"}
# snapshot codes shown by their label when the producer did not send a "<key>_label" beside them
VALUE_KINDS = {"type": "resource_type"}
FORMATS = {"video/mp4": "MP4", "video/quicktime": "MOV", "video/webm": "WebM", "application/pdf": "PDF",
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (.docx)",
           "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF",
           "audio/mpeg": "MP3", "audio/mp4": "M4A", "audio/wav": "WAV", "audio/ogg": "OGG"}
PREVIEW_KINDS = ("image", "video", "audio", "pdf")
SUMMARY_PARTS = FOLLOWUP_SUMMARY_PARTS  # the follow-up summary's parts, in the form's order


def field_label(key, locale):
    """A snapshot field's label: catalogue key "snapshot.<field>", whichever area's catalogue has it."""
    code = f"snapshot.{key}"
    return text(code, locale) if has(code) else key


def snapshot_rows(snapshot, locale, subject_type=None):
    """[(label, value)] of what a reviewer reads, in the order of the subject's form (form_order); a dict
    value becomes its own [(label, value)] list. A code with a "<key>_label" beside it shows as that label,
    under the code's name (类型: 视频)."""
    rows = []
    for key in form_order.ordered_keys(snapshot, form_order.order_for(subject_type)):
        value = snapshot[key]
        coded = key[:-len("_label")] if key.endswith("_label") else None
        # a label stands in for its code's row; when the code itself is hidden, the label gets its own row
        if key in HIDDEN_FIELDS or (coded in snapshot and coded not in HIDDEN_FIELDS):
            continue
        if f"{key}_label" in snapshot:
            value = snapshot[f"{key}_label"]
        rows.append((field_label(key, locale), _value(key, value, locale)))
    return rows


def _value(key, value, locale):
    if isinstance(value, dict):
        return [(field_label(name, locale), _value(name, value[name], locale))
                for name in form_order.ordered_keys(value, form_order.NESTED.get(key, ())) if name not in HIDDEN_FIELDS]
    if isinstance(value, (list, tuple)):
        return "、".join(str(_value(key, item, locale)) for item in value)
    if isinstance(value, bool):
        return text("ui.yes" if value else "ui.no", locale)
    if value is None or value == "":
        return "—"
    if key in VALUE_KINDS and isinstance(value, str) and has(f"{VALUE_KINDS[key]}.{value}"):
        return label(VALUE_KINDS[key], value, locale)
    if (key == "size" or key.endswith("_size")) and isinstance(value, int):
        return size_text(value)
    if key == "content_type" and isinstance(value, str):
        return FORMATS.get(value, value)
    if isinstance(value, str) and _looks_like_a_time(value):  # a moment with its offset; local times stay as written
        return when(value)
    return value


def _looks_like_a_time(value):
    if not (19 <= len(value) <= 32 and value[4:5] == "-" and value[10:11] in ("T", " ")):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def size_text(size):
    """Bytes as people read them, in binary units as the API's file_size_label shows them (and the Kepu China
    table before it), so a reviewer and a submitter read the same figure: 15243 -> 14.9 KB."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return None


def masked_phone(phone):
    """138****0002: enough for colleagues to tell reviewers apart, not a number to call."""
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 7 else (phone or "")


def person(profile, locale):
    """A reviewer as colleagues know them: the verified real name, else the masked phone; never an id.
    profile: identity's user (id, phone, verification) or None when identity does not know them."""
    if profile:
        verification = profile.get("verification") or {}
        if verification.get("status") == "approved" and verification.get("real_name"):
            return verification["real_name"]
        if profile.get("phone"):
            return masked_phone(profile["phone"])
    return text("ui.unknown_reviewer", locale)


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
    """A moment in Beijing time, as reviewers in China read it (a naive value is taken as UTC)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def clock(seconds):
    """A video's length as players show it: 95 -> 1:35."""
    seconds = int(round(float(seconds)))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


def today():
    """Today in Beijing."""
    return datetime.now(SHANGHAI).date()


def starts_soon(start_at, today_):
    """「不足7天」: an activity that starts within a week (services/review/priority.py)."""
    return priority.starts_soon(start_at, today_)


def duration(seconds, locale):
    """How long something took, as 「已等待」 reads: 3 天 2 小时, 5 小时 10 分钟, 12 分钟."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return text("ui.took_under_a_minute", locale)
    if seconds < 3600:
        return text("ui.took_minutes", locale, minutes=seconds // 60)
    if seconds < 86400:
        return text("ui.took_hours", locale, hours=seconds // 3600, minutes=seconds % 3600 // 60)
    return text("ui.took_days", locale, days=seconds // 86400, hours=seconds % 86400 // 3600)


def province_of(task):
    """The province a task comes from, for the national queue: its scope, else its snapshot's region."""
    snapshot = task.get("snapshot") or {}
    if task.get("scope"):
        return province(task["scope"])
    code = snapshot.get("region_code")
    if isinstance(code, str) and len(code) >= 2 and code[:2].isdigit():
        return province(code[:2] + "0000")
    region = snapshot.get("region")
    if isinstance(region, str):
        for division in regions.children(""):
            if region.startswith(division.name):
                return division.name
    return ""


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
           "province", "province_of", "when", "waited", "duration", "today", "starts_soon", "person", "masked_phone",
           "size_text", "clock", "SUMMARY_PARTS", "DECISIONS", "STAGES", "STATUSES"]
