"""The recognition list (services/metrics/recognition.py decides who is on it; GET /recognitions.csv) as a
CSV table people open in Excel: presentation, so the gateway's. Pure: no I/O."""
import csv
import io

BOM = "\ufeff"  # so Excel opens the Chinese correctly


# a cell starting with one of these is run as a formula by a spreadsheet (OWASP "CSV injection"): = + - @,
# and tab and carriage return, which Excel skips before looking for them
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


COLUMNS = ("kind", "rank", "name", "phone", "org_name", "region_code", "region_name", "communicators", "shares")


def csv_text(orgs, individuals, headers):
    """UTF-8 text with a BOM that opens as one table: the header row first, then one row per recognised
    organization and per recognised individual (the campaign and its period go in the file's name).

    headers: {"columns": titles in COLUMNS order, "org": label, "individual": label}, in the reader's language.
    An individual is named by real_name when the reader may see it, else masked_name (people.read in identity)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers["columns"])
    for rank, org in enumerate(orgs, 1):
        writer.writerow([_cell(v) for v in (headers["org"], rank, org["name"], None, None, org["region_code"],
                                            org.get("region_name"), org["communicators"], org["shares"])])
    for rank, person in enumerate(individuals, 1):
        writer.writerow([_cell(v) for v in (
            headers["individual"], rank, person.get("real_name") or person.get("masked_name") or "",
            person.get("phone"), person.get("org_name"), person.get("region_code"), person.get("region_name"), None,
            person["shares"])])
    return out.getvalue()


def file_name(campaign, as_of_day):
    """The CSV's name: the campaign, the period it covers and the day the figures are as of (表扬名单_…)."""
    name = "".join("_" if c in '\\/:*?"<>|' or not c.isprintable() else c for c in str(campaign["name"])).strip()
    return f"表扬名单_{name}_{campaign['starts_on']}至{campaign['ends_on']}_截至{as_of_day}.csv"
