"""Errors a service raises on purpose. They cross RPC by class name; the gateway maps them in one table.

Constructor args are (message, fields) so that nameko's exception serialization carries both.
"""


class KepuError(Exception):
    code = "error"

    def __init__(self, message, fields=None):
        super().__init__(message, fields or {})

    @property
    def message(self):
        return self.args[0]

    @property
    def fields(self):
        return self.args[1]


class InvalidInput(KepuError):
    code = "validation_failed"


class Unauthorized(KepuError):
    code = "unauthorized"


class Forbidden(KepuError):
    code = "forbidden"


class NotFound(KepuError):
    code = "not_found"


class Conflict(KepuError):
    code = "conflict"


class TooLarge(KepuError):
    code = "too_large"


class RuleBroken(KepuError):
    code = "rule_broken"


class RateLimited(KepuError):
    code = "rate_limited"


class Unavailable(KepuError):
    code = "dependency_unavailable"
