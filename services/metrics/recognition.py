"""Recognition per campaign (seed 000: organizations with >= 200 registered communicators and >= 2,000
shares; individuals with >= 300 shares, thresholds configurable). Pure: no I/O. The gateway writes the
list as CSV (gateway/recognition_csv.py)."""


def org_recognised(org, thresholds):
    return (org["communicators"] >= thresholds["org_min_communicators"]
            and org["shares"] >= thresholds["org_min_shares"])


def individual_recognised(person, thresholds):
    return person["shares"] >= thresholds["individual_min_shares"]
