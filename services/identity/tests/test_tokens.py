"""What a presented refresh token is, by rule (the database only says revoked or expired)."""
from services.identity import tokens


def test_a_live_token_rotates():
    assert tokens.verdict({"revoked": False, "expired": False}) == tokens.LIVE


def test_a_used_or_revoked_token_presented_again_is_reuse():
    assert tokens.verdict({"revoked": True, "expired": False}) == tokens.REUSED


def test_an_expired_token_is_just_refused_whether_used_or_not():
    assert tokens.verdict({"revoked": False, "expired": True}) == tokens.UNKNOWN
    assert tokens.verdict({"revoked": True, "expired": True}) == tokens.UNKNOWN


def test_an_unknown_token_is_refused():
    assert tokens.verdict(None) == tokens.UNKNOWN
