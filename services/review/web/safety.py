"""What keeps the reviewers' UI safe to open from a browser, as pure functions: where sign-in may send a
reviewer next and the headers every response carries (who may read /metrics: kepu_common.operations.networks).

The `next` rule is a whitelist, not a blacklist: browsers repair URLs in many ways (a tab or newline is
dropped, a backslash is a slash, `/%09/` decodes to `//`), so the only safe targets are paths this UI
serves, written in plain ASCII, that no browser can read as another host or a scheme.
"""
import re
import secrets
from urllib.parse import unquote, urlsplit

# the paths the UI serves to a signed-in reviewer; anything else is sent home
UI_PATHS = re.compile(r"^/(?:tasks(?:/[0-9A-Za-z-]{1,64})?)?$")
_SAFE_QUERY = re.compile(r"^[0-9A-Za-z_=&%.\-]*$")


def next_target(value, home):
    """The path to go to after sign-in: `value` when it is a page of this UI, else `home`.

    Refused: anything with a scheme or a host (`https://evil.example`, `//evil.example`), backslashes,
    control characters, whitespace or percent-encodings that decode to any of these (`/%09/evil.example/`,
    `/%2F%2Fevil.example`, `/%5Cevil.example`), `javascript:` and data: URLs, and paths the UI does not serve.
    """
    if not isinstance(value, str) or not value or len(value) > 2048 or not value.isascii():
        return home
    decoded = value
    for _ in range(3):  # double-encoded tricks too: %2509 -> %09 -> tab
        decoded = unquote(decoded)
    if any(ch in decoded for ch in "\\") or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in decoded):
        return home
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.fragment or not value.startswith("/") or value.startswith("//"):
        return home
    if not UI_PATHS.match(parts.path) or not _SAFE_QUERY.match(parts.query):
        return home
    return parts.path + (f"?{parts.query}" if parts.query else "")


def new_nonce():
    return secrets.token_urlsafe(16)


def storage_origin(storage_settings):
    """The origin the reviewers' browsers load previews from (presigned URLs are signed for it)."""
    endpoint = storage_settings.get("public_endpoint") or storage_settings.get("endpoint") or ""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def content_security_policy(nonce, previews_origin):
    """Scripts only from this UI (inline ones with the page's nonce), previews only from storage, no
    framing by anyone (clickjacking a decision button), forms only back to this UI."""
    media = f"'self' {previews_origin}".strip()
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        f"img-src {media} data:",
        f"media-src {media}",
        f"object-src {media}",
        f"frame-src {media}",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_headers(nonce, previews_origin, personal):
    """Headers for every response of the UI; `personal` pages (anything but static files) are not stored."""
    headers = {
        "Content-Security-Policy": content_security_policy(nonce, previews_origin),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
        "Referrer-Policy": "same-origin",
    }
    if personal:
        headers["Cache-Control"] = "no-store"
    return headers

