"""Every JSON answer the journeys get from the platform's gateway has the keys the OpenAPI document marks
`required` (docs/api-clients.md: `required` in answers). The `platform` fixture (tests/conftest.py) installs
this on `requests` for the whole session and fails its teardown naming each answer that lacks one: a field
marked required that a service sometimes leaves out is found by whichever journey meets it."""
import re
from contextlib import contextmanager

import requests
from openapi_schema_validator import OAS30Validator


class AnswerCheck:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.document = None
        self.routes = []
        self.missing = {}  # "METHOD path status: component property" -> how many answers
        self.loading = False

    def _load(self):
        self.loading = True  # the document's own fetch is not checked
        try:
            self.document = requests.get(f"{self.base_url}/api/v1/openapi.json", timeout=30).json()
        finally:
            self.loading = False
        for path, item in self.document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^{}]+\\\}", "[^/]+", re.escape(path)) + "$")
            literal = path.count("{")
            self.routes.append((literal, pattern, path, item))
        self.routes.sort(key=lambda route: route[0])  # literal paths before templated ones (/activities/mine)

    def check(self, response):
        request = response.request
        if self.loading or not request.url.startswith(self.base_url + "/api/v1/") or not 200 <= response.status_code < 300:
            return
        if "application/json" not in response.headers.get("Content-Type", ""):
            return
        if self.document is None:
            self._load()
        path = request.url[len(self.base_url):].partition("?")[0]
        route = next((r for r in self.routes if r[1].match(path)), None)
        operation = route and route[3].get(request.method.lower())
        if not operation:
            return
        answer = operation["responses"].get(str(response.status_code), {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if not schema:
            return
        try:
            body = response.json()
        except ValueError:
            return
        validator = OAS30Validator({**schema, "components": self.document["components"]})
        for error in validator.iter_errors(body):
            for found in [error, *(error.context or ())]:
                if found.validator == "required":
                    where = f"{request.method} {route[2]} {response.status_code}: {found.message}"
                    self.missing[where] = self.missing.get(where, 0) + 1


@contextmanager
def answers_checked(base_url):
    check = AnswerCheck(base_url)
    send = requests.Session.send

    def checked_send(self, request, **kwargs):
        response = send(self, request, **kwargs)
        try:
            check.check(response)
        except requests.RequestException:
            pass
        return response

    requests.Session.send = checked_send
    try:
        yield check
    finally:
        requests.Session.send = send
    assert not check.missing, "answers without a key the OpenAPI document marks required: " + "; ".join(
        f"{where} ({n}x)" for where, n in sorted(check.missing.items()))
