"""The reviewers' sessions: an encrypted cookie (Fernet: AES-128-CBC with HMAC-SHA256), not a signed one.

Why encrypted rather than a sessions table: the UI is deliberately stateless and holds no database
credentials (any replica serves any reviewer, deploy/k8s/review-ui.yaml); what must not leak from the
cookie is its content (the refresh token, the phone), and authenticated encryption gives exactly that.
What a table would add is revocation, and identity already has it: signing out revokes the refresh
token's family, reusing a rotated refresh token revokes the family too, so a copied cookie outlives its
owner's sign-out at most by its access token's life. The cookie also dies on the server's clock, not
only the browser's: Fernet's timestamp bounds it to the idle lifetime, and `signed_in_at` to an absolute
one, whatever the browser keeps.

Keys come from the UI's secret key through HKDF (a key of its own for this one purpose); old secrets in
SECRET_KEY_FALLBACKS still open cookies while keys rotate.
"""
import base64
import time

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

ABSOLUTE_LIFETIME = 24 * 3600  # seconds from sign-in after which a session ends however busy it is
BORN = "_signed_in_at"


def fernet_key(secret):
    raw = secret.encode() if isinstance(secret, str) else secret
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kepu-review-ui",
                   info=b"session cookie encryption").derive(raw)
    return base64.urlsafe_b64encode(derived)


class EncryptedSerializer:
    """dumps/loads as Flask's cookie interface calls them; a cookie that does not decrypt, is too old, or
    was born too long ago raises BadSignature, which Flask turns into an empty session."""

    def __init__(self, secrets, absolute_lifetime=ABSOLUTE_LIFETIME, clock=time.time):
        self.fernet = MultiFernet([Fernet(fernet_key(secret)) for secret in secrets])
        self.json = TaggedJSONSerializer()
        self.absolute_lifetime = absolute_lifetime
        self.clock = clock

    def dumps(self, data):
        data = dict(data)
        data.setdefault(BORN, int(self.clock()))
        return self.fernet.encrypt_at_time(self.json.dumps(data).encode(), int(self.clock())).decode("ascii")

    def loads(self, value, max_age=None):
        try:
            if max_age is None:
                plain = self.fernet.decrypt(value.encode("ascii"))
            else:
                plain = self.fernet.decrypt_at_time(value.encode("ascii"), max_age, int(self.clock()))
            data = self.json.loads(plain.decode())
        except (InvalidToken, UnicodeError, ValueError, TypeError) as error:
            raise BadSignature("session cookie refused") from error
        if not isinstance(data, dict) or not isinstance(data.get(BORN), int) \
                or self.clock() - data[BORN] > self.absolute_lifetime:
            raise BadSignature("session too old")
        return data


class EncryptedCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie sessions with the serializer above; everything else (cookie flags from the
    SESSION_COOKIE_* settings, Vary: Cookie, deletion when emptied) as Flask does it."""

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        return EncryptedSerializer([app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or [])])
