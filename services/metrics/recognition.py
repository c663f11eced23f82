"""Recognition per campaign (seed 000: organizations with >= 200 registered communicators and >= 2,000
shares; individuals with >= 300 shares, thresholds configurable) and its CSV export. Pure: no I/O."""
import csv
import io

BOM = "\ufeff"  # so Excel opens the Chinese correctly


def org_recognised(org, thresholds):
    return (org["communicators"] >= thresholds["org_min_communicators"]
            and org["shares"] >= thresholds["org_min_shares"])


def individual_recognised(person, thresholds):
    return person["shares"] >= thresholds["individual_min_shares"]


def _cell(value):
    # a name starting with = + - @ would be run as a formula by a spreadsheet
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


ORG_COLUMNS = ("kind", "rank", "name", "region_code", "communicators", "shares")


def csv_text(campaign, orgs, individuals, headers):
    """UTF-8 text with a BOM: one row per recognised organization, then per recognised individual.

    headers: the column titles in the reader's language, in ORG_COLUMNS order; kinds: (org, individual) labels."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(campaign["name"]), campaign["starts_on"], campaign["ends_on"]])
    writer.writerow(headers["columns"])
    for rank, org in enumerate(orgs, 1):
        writer.writerow([headers["org"], rank, _cell(org["name"]), org["region_code"], org["communicators"], org["shares"]])
    for rank, person in enumerate(individuals, 1):
        writer.writerow([headers["individual"], rank, _cell(person.get("name") or person["user_id"]),
                         person.get("region_code") or "", "", person["shares"]])
    return out.getvalue()
