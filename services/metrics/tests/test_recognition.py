import csv
import io
from datetime import date

from services.metrics import recognition

THRESHOLDS = {"org_min_communicators": 200, "org_min_shares": 2000, "individual_min_shares": 300}


def test_an_org_needs_both_communicators_and_shares():
    assert recognition.org_recognised({"communicators": 200, "shares": 2000}, THRESHOLDS)
    assert not recognition.org_recognised({"communicators": 199, "shares": 5000}, THRESHOLDS)
    assert not recognition.org_recognised({"communicators": 500, "shares": 1999}, THRESHOLDS)


def test_an_individual_needs_300_shares():
    assert recognition.individual_recognised({"shares": 300}, THRESHOLDS)
    assert not recognition.individual_recognised({"shares": 299}, THRESHOLDS)


def test_the_csv_has_a_bom_chinese_and_no_formulas():
    campaign = {"name": "2026 全国科普日", "starts_on": date(2026, 8, 21), "ends_on": date(2026, 9, 30)}
    orgs = [{"name": "=HYPERLINK(\"x\")", "region_code": "110105", "communicators": 250, "shares": 3000},
            {"name": "朝阳区科协", "region_code": "110105", "communicators": 210, "shares": 2100}]
    people = [{"user_id": "u-1", "region_code": "110105", "shares": 400}]
    headers = {"columns": ["类别", "名次", "名称", "地区代码", "注册科普员数", "分享次数"], "org": "机构", "individual": "个人"}
    text = recognition.csv_text(campaign, orgs, people, headers)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["2026 全国科普日", "2026-08-21", "2026-09-30"]
    assert rows[1] == headers["columns"]
    assert rows[2][2] == "'=HYPERLINK(\"x\")"
    assert rows[3] == ["机构", "2", "朝阳区科协", "110105", "210", "2100"]
    assert rows[4] == ["个人", "1", "u-1", "110105", "", "400"]
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
