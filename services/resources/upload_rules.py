"""The rules an upload is held to, with no I/O: when its parts are all there, whether the file is what
was declared, and whether another service may take it up (attach_uploads)."""
import uuid

from kepu_common.interfaces.errors import Conflict, InvalidInput
from services.resources import formats


class Incomplete(Conflict):
    """Completion asked for too early: nothing is lost, the client sends what is missing and asks again."""

    code = "upload_incomplete"


def planned_sizes(size, part_size, count):
    """The size each of `count` parts must have: all part_size but the last, which takes the rest."""
    last = size - (count - 1) * part_size
    return {n: part_size if n < count else last for n in range(1, count + 1)}


def check_parts(size, part_size, count, received):
    """The parts to assemble, [(number, etag)] in order, from {number: (etag, size)} the storage holds.

    Incomplete while some have not arrived (the client may still send them); InvalidInput when what
    arrived cannot make the declared file (a part of the wrong size, parts beyond the plan).
    """
    planned = planned_sizes(size, part_size, count)
    missing = [n for n in planned if n not in received]
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "")
        raise Incomplete("parts_missing", {"parts": ("parts_missing", {"missing": shown})},
                         details={"missing_parts": missing[:1000], "parts": count},
                         missing=len(missing), parts=count)
    extra = sorted(set(received) - set(planned))
    wrong = [n for n, expected in planned.items() if received[n][1] != expected]
    total = sum(part_size_ for _, part_size_ in received.values())
    if extra or wrong or total != size:
        raise InvalidInput("parts_do_not_add_up", {"size": ("size_mismatch", {"declared": size, "sent": total})},
                           details={"wrong_parts": wrong[:1000], "extra_parts": extra[:1000]},
                           declared=size, received=total)
    return [(n, received[n][0]) for n in planned]


def check_file(purpose, declared, measured, limits=None):
    """What the stored bytes are must be what was declared. declared: {size, sha256, content_type};
    measured: {size, sha256, sniffed}. Returns the real content type."""
    if measured["size"] != declared["size"]:
        raise InvalidInput("file_size_mismatch",
                           {"size": ("size_mismatch", {"declared": declared["size"], "sent": measured["size"]})},
                           declared=declared["size"], received=measured["size"])
    formats.check_size(purpose, measured["size"], limits)
    if measured["sha256"] != declared["sha256"].lower():
        raise InvalidInput("checksum_mismatch", {"sha256": "checksum_mismatch"},
                           details={"declared": declared["sha256"].lower(), "received": measured["sha256"]})
    found = formats.as_claimed(measured["sniffed"], declared["content_type"])
    formats.check_content(purpose, found, declared["content_type"])
    return found


def attach_refusal(upload, org_id, purpose):
    """Why an upload cannot be taken up for org_id and purpose (a field code), or None.

    upload: its row, or None when there is no such upload.
    """
    if upload is None:
        return "upload_unknown"
    if upload["org_id"] != uuid.UUID(str(org_id)):
        return "upload_of_another_org"
    if upload["purpose"] != purpose:
        return "upload_of_another_purpose"
    if upload["status"] != "complete":
        return "upload_not_complete"
    return None


def check_attachable(uploads_by_id, upload_ids, org_id, purpose):
    """Every upload must be takeable; otherwise one InvalidInput naming each refused one by its index
    (`upload_ids.2`) with its code, and in details by its id."""
    refused = {}
    for index, upload_id in enumerate(upload_ids):
        code = attach_refusal(uploads_by_id.get(str(upload_id)), org_id, purpose)
        if code:
            refused[index] = (str(upload_id), code)
    if refused:
        raise InvalidInput("uploads_not_attachable",
                           {f"upload_ids.{index}": (code, {"upload_id": upload_id})
                            for index, (upload_id, code) in refused.items()},
                           details={"refused": {upload_id: code for upload_id, code in refused.values()}},
                           count=len(refused))
