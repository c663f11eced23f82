"""What the review schemas (and so the gateway) need from the service: plain values, no I/O, no imports of
the service's modules (the import boundary, kepu_common/tests/test_import_contracts.py)."""
import re

DECISIONS = ("approved", "rejected")
TASK_STATUSES = ("open", "decided", "superseded")
# the sort keys of a task list (services/review/priority.py gives each its ORDER BY)
SORTS = ("requested", "start_at", "decided_at")
# a submitter's phone as searched: exact, 11 digits, a mainland mobile (never a prefix: priority.py says why)
PHONE = re.compile(r"^1[3-9][0-9]{9}$")
