"""The fast share_returned check accepts only what the contract accepts, with the same result, and leaves
everything else to the contract, which refuses hostile events as before. Pure: no broker, no database."""
import json
import uuid
from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError

from kepu_common.interfaces.contracts import UnknownEvent, load_event, make_event
from services.metrics.share_consumer import decode, gateway_share_returned


def gateway_event():
    return make_event("share_returned", "gateway", share_id=str(uuid.uuid4()), user_id=str(uuid.uuid4()),
                      returned_at=datetime.now(timezone.utc).isoformat())


def outcome(load, data):
    try:
        return "loaded", load(data)
    except (ValueError, ValidationError, UnknownEvent) as exc:
        return "refused", type(exc), str(exc)


def test_the_gateways_events_take_the_fast_path_and_load_as_the_contract_loads_them():
    for _ in range(50):
        event = gateway_event()
        fast = gateway_share_returned(json.loads(json.dumps(event)))
        assert fast is not None
        assert fast == load_event(json.loads(json.dumps(event)))
        assert {k: type(v) for k, v in fast.items()} == {k: type(v) for k, v in load_event(event).items()}
    whole_second = gateway_event()
    whole_second["returned_at"] = "2026-11-26T04:00:00+00:00"  # isoformat() omits zero microseconds
    assert gateway_share_returned(whole_second) == load_event(whole_second)


def variant(change):
    event = gateway_event()
    change(event)
    return event


HUGE = 10 ** 40
HOSTILE = {
    "missing share_id": lambda e: e.pop("share_id"),
    "missing returned_at": lambda e: e.pop("returned_at"),
    "missing event_id": lambda e: e.pop("event_id"),
    "missing version": lambda e: e.pop("version"),
    "extra field": lambda e: e.update(points=1000),
    "share_id a number": lambda e: e.update(share_id=HUGE),
    "share_id null": lambda e: e.update(share_id=None),
    "share_id a list": lambda e: e.update(share_id=[e["share_id"]]),
    "share_id upper case": lambda e: e.update(share_id=e["share_id"].upper()),
    "share_id without dashes": lambda e: e.update(share_id=e["share_id"].replace("-", "")),
    "share_id braces": lambda e: e.update(share_id="{" + e["share_id"] + "}"),
    "share_id with NUL": lambda e: e.update(share_id=e["share_id"][:-1] + "\x00"),
    "share_id trailing newline": lambda e: e.update(share_id=e["share_id"] + "\n"),
    "share_id arabic digits": lambda e: e.update(share_id="٠" * 8 + e["share_id"][8:]),
    "share_id huge string": lambda e: e.update(share_id="a" * 1_000_000),
    "user_id NUL only": lambda e: e.update(user_id="\x00"),
    "user_id empty": lambda e: e.update(user_id=""),
    "event_id garbage": lambda e: e.update(event_id="not-a-uuid"),
    "version huge": lambda e: e.update(version=HUGE),
    "version zero": lambda e: e.update(version=0),
    "version negative": lambda e: e.update(version=-1),
    "version next": lambda e: e.update(version=2),
    "version string": lambda e: e.update(version="1"),
    "version float": lambda e: e.update(version=1.0),
    "version bool": lambda e: e.update(version=True),
    "version null": lambda e: e.update(version=None),
    "event_type other": lambda e: e.update(event_type="ping"),
    "event_type NUL": lambda e: e.update(event_type="share_returned\x00"),
    "event_type unknown": lambda e: e.update(event_type="share_returned_v9"),
    "event_type a number": lambda e: e.update(event_type=7),
    "source other service": lambda e: e.update(source="identity"),
    "source unknown": lambda e: e.update(source="attacker"),
    "source NUL": lambda e: e.update(source="gateway\x00"),
    "returned_at naive": lambda e: e.update(returned_at=e["returned_at"].replace("+00:00", "")),
    "returned_at Z": lambda e: e.update(returned_at=e["returned_at"].replace("+00:00", "Z")),
    "returned_at other offset": lambda e: e.update(returned_at=e["returned_at"].replace("+00:00", "+08:00")),
    "returned_at month 13": lambda e: e.update(returned_at="2026-13-01T00:00:00+00:00"),
    "returned_at day 32": lambda e: e.update(returned_at="2026-01-32T00:00:00+00:00"),
    "returned_at year 0": lambda e: e.update(returned_at="0000-01-01T00:00:00+00:00"),
    "returned_at a date": lambda e: e.update(returned_at="2026-11-26"),
    "returned_at epoch number": lambda e: e.update(returned_at=1764115200),
    "returned_at huge number": lambda e: e.update(returned_at=HUGE),
    "returned_at NUL": lambda e: e.update(returned_at=e["returned_at"] + "\x00"),
    "returned_at 3 fraction digits": lambda e: e.update(returned_at="2026-11-26T04:00:00.123+00:00"),
    "occurred_at garbage": lambda e: e.update(occurred_at="yesterday"),
    "occurred_at null": lambda e: e.update(occurred_at=None),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_an_unusual_or_hostile_event_gets_the_contracts_answer(name):
    data = json.loads(json.dumps(variant(HOSTILE[name])))
    assert gateway_share_returned(json.loads(json.dumps(data))) is None  # never the fast path
    body = json.dumps(data).encode()
    assert outcome(decode, body) == outcome(lambda b: load_event(json.loads(b)), body)


@pytest.mark.parametrize("body", [b"", b"null", b"[]", b"42", b'"share_returned"', b"{", b"\x00", b"{}",
                                  b'{"event_type": null}', json.dumps({"a": "b" * 100_000}).encode()])
def test_bodies_that_are_not_events_are_refused_as_before(body):
    expected = outcome(lambda b: load_event(json.loads(b)), body)
    assert expected[0] == "refused"
    assert outcome(decode, body) == expected


def test_refused_variants_are_refused_and_accepted_ones_load_the_same():
    # the contract itself accepts a few of the variants above (an extra field, another source): decode must too
    accepted = [n for n in HOSTILE if outcome(load_event, json.loads(json.dumps(variant(HOSTILE[n]))))[0] == "loaded"]
    assert "extra field" in accepted and "source other service" in accepted
    for name in HOSTILE:
        data = variant(HOSTILE[name])
        body = json.dumps(data).encode()
        assert outcome(decode, body)[0] == ("loaded" if name in accepted else "refused"), name


def test_the_gateways_hand_built_event_is_what_make_event_builds_and_takes_the_fast_path():
    from kepu_common.interfaces.contracts import encode_share_returned as share_returned

    share, now = uuid.uuid4(), datetime.now(timezone.utc)
    user = str(uuid.uuid4()).upper()  # a token's subject in another spelling is published canonical
    built = share_returned(share, user, now)
    made = make_event("share_returned", "gateway", share_id=str(share), user_id=user, returned_at=now.isoformat())
    assert built.keys() == made.keys()
    assert {k: v for k, v in built.items() if k not in ("event_id", "occurred_at")} == \
           {k: v for k, v in made.items() if k not in ("event_id", "occurred_at")}
    assert gateway_share_returned(json.loads(json.dumps(built))) == load_event(json.loads(json.dumps(built)))
