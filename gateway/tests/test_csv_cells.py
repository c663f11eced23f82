"""The area CSV's cells (gateway/blueprints/regions.py): nothing a spreadsheet would run as a formula,
including the tab and carriage return Excel skips before looking (OWASP "CSV injection")."""
import pytest

from gateway.blueprints.regions import cell


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_guarded(start):
    assert cell(start + "SUM(A1)") == "'" + start + "SUM(A1)"
    assert cell("王" + start) == "王" + start


def test_plain_values_stay_as_they_are():
    assert (cell(None), cell(12), cell("北京市朝阳区")) == ("", "12", "北京市朝阳区")
