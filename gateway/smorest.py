"""flask-smorest as the gateway uses it: invalid arguments are 400, and every operation documents the
statuses it really answers with.

webargs answers invalid input with 422 by default and flask-smorest documents that; the platform keeps
422 for a broken rule and answers invalid input with 400 (docs/errors.md). The parser is flask-smorest's
documented extension point (`ARGUMENTS_PARSER`), set here on the mixin every Blueprint shares, before any
blueprint module is imported (the status is read when a view is decorated).
"""
from apispec import BasePlugin
from flask_smorest.arguments import ArgumentsMixin
from webargs.flaskparser import FlaskParser

from gateway import hostile_input


class GatewayParser(FlaskParser):
    """Invalid arguments are 400; numbers beyond 64 bits in any parsed argument are refused too."""

    DEFAULT_VALIDATION_STATUS = 400

    def parse(self, argmap, req=None, **kwargs):
        parsed = super().parse(argmap, req, **kwargs)
        hostile_input.refuse_large_numbers(parsed)
        return parsed


if not isinstance(getattr(ArgumentsMixin, "ARGUMENTS_PARSER", None), FlaskParser):
    raise RuntimeError("flask_smorest.arguments.ArgumentsMixin.ARGUMENTS_PARSER is gone: update gateway/smorest.py")
ArgumentsMixin.ARGUMENTS_PARSER = GatewayParser()

DESCRIPTIONS = {
    "400": "invalid input (`validation_failed` with field codes, `malformed_json`)",
    "401": "not signed in, or the token expired or is invalid",
    "403": "signed in without the role or the right this needs",
    "404": "no such item, or not visible to the caller",
    "408": "the body stopped arriving before it was complete (`request_timeout`)",
    "413": "the body is too large",
    "415": "the body is not JSON",
    "503": "a part of the platform is down (`details.dependency` names it); retry after `Retry-After`",
}


class DocumentedStatuses(BasePlugin):
    """Adds to each operation the errors every operation of its kind can give, in the error envelope."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        path_parameters = "{" in (path or "")
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            responses.pop("default", None)
            statuses = {"503"}
            if operation.get("parameters") or operation.get("requestBody") or path_parameters or \
                    kwargs.get("parameters"):
                statuses.add("400")
            body = operation.get("requestBody", {}).get("content", {})
            if body:
                statuses.update(("408", "413"))
                if "application/json" in body:
                    statuses.add("415")
            if operation.get("security"):
                statuses.update(("401", "403"))
            if path_parameters:
                statuses.add("404")
            for status in sorted(statuses):
                if status not in responses and int(status) not in responses:
                    responses[status] = {"description": DESCRIPTIONS[status],
                                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
