"""The demo's HTTP client for the gateway: JSON calls, sign-in (registering first when needed), waiting for
the platform's events to arrive, and the platform admin deciding review tasks in batches.

No keep-alive session: under load the gateway closes idle connections, and a request sent on one that is
closing fails without an answer."""
import hashlib
import time

import requests

PASSWORD = "kepu2026demo"


class ApiFailure(RuntimeError):
    def __init__(self, status, message, code=None):
        super().__init__(message)
        self.status, self.code = status, code


def error_code(response):
    """The envelope's stable code, if the answer is one."""
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def eventually(check, timeout=45, what="the platform to catch up"):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


def id_number(n, region):
    """A valid resident ID number (GB 11643 check digit), one per demo person."""
    body = f"{region}1988{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


class Api:
    def __init__(self, gateway_url, password=PASSWORD):
        self.base = gateway_url.rstrip("/") + "/api/v1"
        self.password = password

    def call(self, method, path, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for _ in range(3 if method == "GET" else 1):  # a read is safe to repeat when a service was slow (503)
            response = requests.request(method, self.base + path, headers=headers, timeout=60, **kwargs)
            if response.status_code != 503:
                break
            time.sleep(1)
        if response.status_code >= 400:
            raise ApiFailure(response.status_code, f"{method} {path}: {response.status_code} {response.text[:300]}",
                             error_code(response))
        return response.json() if response.content else None

    def attempt(self, method, path, token=None, retry_on=(403,), **kwargs):
        """A call that may be refused until an event has reached the service (None then)."""
        try:
            return self.call(method, path, token, **kwargs)
        except ApiFailure as exc:
            if exc.status in retry_on:
                return None
            raise

    def sign_in(self, phone):
        """An access token for phone, registering the account first (needs SMS_DEBUG_ECHO=1, as under make run).
        A busy identity service (429, 503) is asked again; a registration that timed out may have been made,
        so the loop starts over with signing in."""
        for _ in range(8):
            login = requests.post(f"{self.base}/auth/login", json={"phone": phone, "password": self.password},
                                       timeout=60)
            if login.status_code == 200:
                return login.json()["tokens"]["access_token"]
            if login.status_code == 401:
                sent = requests.post(f"{self.base}/auth/sms-code", json={"phone": phone}, timeout=60)
                # no debug_code: the phone was registered meanwhile (the answer is alike otherwise), sign in again
                if sent.status_code == 202 and "debug_code" in sent.json():
                    registered = requests.post(f"{self.base}/auth/register", timeout=60, json={
                        "phone": phone, "code": sent.json()["debug_code"], "password": self.password})
                    if registered.status_code == 201:
                        return registered.json()["tokens"]["access_token"]
                    login = registered
                elif sent.status_code != 202:
                    login = sent
            if login.status_code not in (401, 409, 429, 503):
                break
            time.sleep(1)
        raise ApiFailure(login.status_code, f"sign-in {phone}: {login.status_code} {login.text[:300]}")

    def upload(self, token, purpose, filename, media):
        """Stream a file (media: (bytes, content type)); returns the completed upload."""
        data, content_type = media
        body = {"purpose": purpose, "filename": filename, "size": len(data), "content_type": content_type,
                "sha256": hashlib.sha256(data).hexdigest(), "method": "stream"}
        started = eventually(lambda: self.attempt("POST", "/uploads", token, json=body),
                             what="the resources service to learn this organization's admin")
        for _ in range(60):
            try:
                return self.call("PUT", f"/uploads/{started['id']}/content", token, data=data,
                                 headers={"Content-Type": "application/octet-stream"})
            except ApiFailure as exc:
                # every stream slot of the gateway (503 busy) or this person's one slot (429
                # upload_slots_taken) is held by our other threads, whose small files finish in a moment
                if (exc.status, exc.code) not in ((503, "busy"), (429, "upload_slots_taken")):
                    raise
                time.sleep(1)
        raise RuntimeError("the gateway stayed busy receiving files")

    def decide(self, admin, stage, decisions):
        """The platform admin decides the open tasks of these subjects: decisions {subject_id: "approved" or
        "rejected: reason"}. Waits for the tasks to appear; one batch call per verdict."""
        if not decisions:
            return
        wanted = {str(s) for s in decisions}

        def open_tasks():
            found, page = {}, 1
            while True:
                listed = self.attempt("GET", f"/review/tasks?stage={stage}&page_size=200&page={page}", admin)
                if listed is None:  # the review service has not yet heard that this admin reviews
                    return None
                found.update({t["subject_id"]: t["id"] for t in listed["items"] if t["subject_id"] in wanted})
                if not listed.get("has_more"):
                    return found if set(found) >= wanted else None
                page += 1

        tasks = eventually(open_tasks, what=f"{len(wanted)} {stage} review task(s)")
        batches = {}
        for subject_id, decision in decisions.items():
            batches.setdefault(decision, []).append(tasks[str(subject_id)])
        for decision, task_ids in batches.items():
            verdict, _, reason = decision.partition(": ")
            for start in range(0, len(task_ids), 100):
                results = self.call("POST", "/review/decisions", admin, json={
                    "decision": verdict, "comment": reason, "task_ids": task_ids[start:start + 100]})
                refused = [r for r in results if r["status"] != "decided"]
                if refused:
                    raise RuntimeError(f"{stage} decisions refused: {refused[:3]}")
