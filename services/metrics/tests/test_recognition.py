from services.metrics import recognition

THRESHOLDS = {"org_min_communicators": 200, "org_min_shares": 2000, "individual_min_shares": 300}


def test_an_org_needs_both_communicators_and_shares():
    assert recognition.org_recognised({"communicators": 200, "shares": 2000}, THRESHOLDS)
    assert not recognition.org_recognised({"communicators": 199, "shares": 5000}, THRESHOLDS)
    assert not recognition.org_recognised({"communicators": 500, "shares": 1999}, THRESHOLDS)


def test_an_individual_needs_300_shares():
    assert recognition.individual_recognised({"shares": 300}, THRESHOLDS)
    assert not recognition.individual_recognised({"shares": 299}, THRESHOLDS)
