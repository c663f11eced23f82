"""Administrative divisions as identity takes them: any digits, then a current GB/T 2260 code."""
from kepu_common import regions
from kepu_common.errors import InvalidInput
from services.identity.digits import ascii_digits


def division(code, field="region_code"):
    """regions.describe() of the code, or InvalidInput naming the field (region_unknown)."""
    code = ascii_digits(code).strip()
    if regions.lookup(code) is None:
        as_of = regions.data_as_of()
        raise InvalidInput("region_unknown", {field: ("region_unknown", {"as_of": as_of})}, as_of=as_of)
    return regions.describe(code)
