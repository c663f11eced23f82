"""The order a reviewer reads a snapshot in: the order of the form its submitter filled in (plain data, no I/O).

A snapshot arrives as jsonb, whose keys PostgreSQL keeps in its own order (shorter keys first: 结束时间
before 开始时间, 联系电话 before 联系人). Each subject type lists its form's fields here; a key the list
does not name (a producer added a field) follows the named ones in the order it came in, so nothing
submitted is ever hidden by this module.
"""

# the activity form (services/activities/schemas.py ActivityForm), then what review adds: the route and the changes
ACTIVITY = ("name", "campaign", "activity_mode", "activity_type", "start_at", "end_at", "region", "venue",
            "supervising_unit", "route", "hosts", "organizers", "partner_agencies", "partner_societies",
            "joint_action", "special_action", "youth_festival", "reservation", "expected_participants",
            "details", "revision", "changes")
# ActivityDetails, in its form's order
ACTIVITY_DETAILS = ("content", "audience", "scientists", "contact_person", "contact_name", "contact_phone", "highlights",
                    "participation_channel", "promotion")
# VerificationRequest (identity), then what an area-admin claim adds: what the role grants
VERIFICATION = ("real_name", "id_number", "unit_name", "unit_address", "communicator_type", "region", "chosen_org",
                "previous_unit_name", "previous_region", "grants")
GRANTS = ("grants_role", "grants_area", "grants_people")
# OrgRequest (identity): the parent organization chosen comes where the form asks for it
ORGANIZATION = ("name", "category", "region", "parent_org", "contact_name", "contact_phone")
# ResourceRequest (resources), then the file's facts and the duplicates found
RESOURCE = ("title", "type", "description", "keywords", "topics", "org_name", "filename", "file_size",
            "content_type", "duration_seconds", "updated_at", "duplicate_of")

ORDERS = {
    "activity": ACTIVITY,
    "communicator_verification": VERIFICATION,
    "verification_change": VERIFICATION,
    "organization": ORGANIZATION,
    "resource": RESOURCE,
}
NESTED = {"details": ACTIVITY_DETAILS, "grants": GRANTS}


def ordered_keys(keys, order):
    """`keys` in `order`'s order (a key and its "<key>_label" count as one), unknown ones after, as they came."""
    keys = list(keys)
    rank = {name: position for position, name in enumerate(order)}
    base = lambda key: key[:-len("_label")] if key.endswith("_label") and key[:-len("_label")] in rank else key  # noqa: E731
    return sorted(keys, key=lambda key: (rank.get(base(key), len(order)), keys.index(key)))


def order_for(subject_type):
    return ORDERS.get(subject_type, ())
