import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.metrics import contracts

KEY = b"k" * 32
USER = str(uuid.uuid4())
NOW = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)


def made(expires_at=NOW + timedelta(hours=1), user=USER, key=KEY):
    share = uuid.uuid4()
    return share, contracts.make_share_id(key, share, user, expires_at)


def test_the_owner_within_the_window_gets_the_share_back():
    share, share_id = made()
    assert contracts.verify_share_id(KEY, share_id, USER, NOW) == share


def test_someone_elses_share_is_unknown():
    _, share_id = made()
    with pytest.raises(contracts.UnknownShare):
        contracts.verify_share_id(KEY, share_id, str(uuid.uuid4()), NOW)


@pytest.mark.parametrize("tamper", [
    lambda s: s.replace(s.split(".")[1], str(int(s.split(".")[1]) + 3600)),  # a longer window
    lambda s: uuid.uuid4().hex + s[32:],  # another share
    lambda s: s[:-2] + ("AA" if not s.endswith("AA") else "BB"),  # a forged mac
    lambda s: "not-a-share",
    lambda s: "a.b.c",
    lambda s: s + ".x",
])
def test_forged_or_malformed_ids_are_unknown(tamper):
    _, share_id = made()
    with pytest.raises(contracts.UnknownShare):
        contracts.verify_share_id(KEY, tamper(share_id), USER, NOW)


def test_another_key_does_not_verify():
    _, share_id = made(key=b"x" * 32)
    with pytest.raises(contracts.UnknownShare):
        contracts.verify_share_id(KEY, share_id, USER, NOW)


def test_after_the_window_the_share_is_expired_with_its_deadline():
    deadline = NOW - timedelta(seconds=1)
    _, share_id = made(expires_at=deadline)
    with pytest.raises(contracts.ShareExpired) as raised:
        contracts.verify_share_id(KEY, share_id, USER, NOW)
    assert raised.value.expires_at == deadline.replace(microsecond=0)


def test_the_key_is_made_once_and_shared(tmp_path):
    path = tmp_path / "keys" / contracts.SHARE_KEY_NAME
    first = contracts.load_key(path)
    assert contracts.load_key(path) == first and len(first) == 32
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in path.parent.iterdir()] == [contracts.SHARE_KEY_NAME]


def test_a_short_key_is_refused(tmp_path):
    path = tmp_path / contracts.SHARE_KEY_NAME
    path.write_text("c2hvcnQ=")
    with pytest.raises(ValueError):
        contracts.load_key(path)
