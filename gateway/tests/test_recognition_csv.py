import csv
import io
from datetime import date

import pandas
import pytest

from gateway import recognition_csv

HEADERS = {"columns": ["类别", "名次", "名称", "手机号（已隐藏中间四位）", "所属机构", "地区代码", "地区", "注册科普员数",
                       "分享次数"], "org": "机构", "individual": "个人"}


def sample():
    orgs = [{"name": "=HYPERLINK(\"x\")", "region_code": "110105", "region_name": "北京市朝阳区", "communicators": 250,
             "shares": 3000},
            {"name": "朝阳区科协", "region_code": "110105", "region_name": "北京市朝阳区", "communicators": 210,
             "shares": 2100}]
    people = [{"user_id": "u-1", "masked_name": "王*明", "real_name": "王小明", "phone": "138****1234",
               "org_name": "朝阳区科协", "region_code": "110105", "region_name": "北京市朝阳区", "shares": 400},
              {"user_id": "u-2", "masked_name": "李*", "real_name": None, "phone": None, "org_name": "\t=1+1",
               "region_code": "110105", "region_name": "北京市朝阳区", "shares": 300},
              {"user_id": "u-3", "masked_name": None, "real_name": "\r@SUM(A1)", "phone": None, "org_name": "-2+3",
               "region_code": None, "region_name": None, "shares": 300}]
    return orgs, people


def test_the_csv_is_one_table_with_a_bom_names_region_names_and_no_formulas():
    orgs, people = sample()
    text = recognition_csv.csv_text(orgs, people, HEADERS)
    assert text.startswith("\ufeff") and text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == HEADERS["columns"]  # the header row first: no title row above it
    assert {len(r) for r in rows} == {len(HEADERS["columns"])}
    assert rows[1][2] == "'=HYPERLINK(\"x\")"
    assert rows[2] == ["机构", "2", "朝阳区科协", "", "", "110105", "北京市朝阳区", "210", "2100"]
    assert rows[3] == ["个人", "1", "王小明", "138****1234", "朝阳区科协", "110105", "北京市朝阳区", "", "400"]
    assert rows[4][2:5] == ["李*", "", "'\t=1+1"]  # the masked name when the reader may not see the full one
    assert rows[5][2] == "'\r@SUM(A1)" and rows[5][4] == "'-2+3"


def test_pandas_reads_the_csv_as_a_table():
    orgs, people = sample()
    table = pandas.read_csv(io.BytesIO(recognition_csv.csv_text(orgs, people, HEADERS).encode("utf-8")),
                            encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == HEADERS["columns"]
    assert len(table) == 5
    assert list(table["名称"])[2:] == ["王小明", "李*", "'\r@SUM(A1)"]
    assert list(table["地区"])[:4] == ["北京市朝阳区"] * 4
    assert list(table["分享次数"]) == ["3000", "2100", "400", "300", "300"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_guarded_and_numbers_stay_numbers(start):
    assert recognition_csv._cell(start + "1") == "'" + start + "1"
    assert recognition_csv._cell(12) == 12
    assert recognition_csv._cell("科协" + start) == "科协" + start
    assert recognition_csv._cell(None) == ""


def test_the_file_name_says_the_campaign_and_its_period():
    campaign = {"name": "2026 全国科普日/秋", "starts_on": date(2026, 8, 21), "ends_on": date(2026, 9, 30)}
    assert recognition_csv.file_name(campaign, date(2026, 9, 10)) == \
        "表扬名单_2026 全国科普日_秋_2026-08-21至2026-09-30_截至2026-09-10.csv"
