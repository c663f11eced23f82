"""The recognition CSV as the gateway serves it (services stubbed at the RPC boundary), read by pandas the way
a spreadsheet user's tools read it: one rectangular table, the header first (no title row above it: the
campaign, its period and the as-of day are in the file name), UTF-8 with a BOM for Excel."""
import io
import uuid
from urllib.parse import unquote

import pandas
import pytest

from gateway import rpc

CAMPAIGN = str(uuid.uuid4())
ADMIN = str(uuid.uuid4())
PERSON = str(uuid.uuid4())


@pytest.fixture
def stubbed(monkeypatch):
    def fake(service, method, *args, **kwargs):
        if (service, method) == ("metrics", "recognitions"):
            return {"campaign": {"id": CAMPAIGN, "name": "2026 全国科普日", "starts_on": "2026-09-01",
                                 "ends_on": "2026-09-30"},
                    "as_of": "2026-09-10T16:00:00+00:00",
                    "orgs": [{"org_id": str(uuid.uuid4()), "name": "朝阳区科协", "region_code": "110105",
                              "region_name": "北京市朝阳区", "communicators": 210, "shares": 2100},
                             {"org_id": str(uuid.uuid4()), "name": "=1+2", "region_code": "110108",
                              "region_name": "北京市海淀区", "communicators": 200, "shares": 2000}],
                    "individuals": [{"user_id": PERSON, "masked_name": "王*明", "org_name": "朝阳区科协",
                                     "region_code": "110105", "region_name": "北京市朝阳区", "shares": 300}]}
        if (service, method) == ("identity", "people"):
            return [{"user_id": PERSON, "masked_name": "王*明", "real_name": "王小明", "phone": "138****1234"}]
        raise AssertionError((service, method))

    monkeypatch.setattr(rpc, "call", fake)


def test_the_download_is_one_rectangular_table_with_the_title_in_its_name(client, make_token, stubbed):
    token = make_token(["platform_admin"], sub=ADMIN)
    answer = client.get(f"/api/v1/recognitions.csv?campaign_id={CAMPAIGN}",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.data.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    disposition = unquote(answer.headers["Content-Disposition"])
    assert "表扬名单_2026 全国科普日_2026-09-01至2026-09-30_截至2026-09-10.csv" in disposition
    table = pandas.read_csv(io.BytesIO(answer.data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert table.shape == (3, 9)  # a title row above the header made pandas read a 3-column table
    assert list(table.columns)[:3] == ["类别", "名次", "名称"]
    assert list(table["名称"]) == ["朝阳区科协", "'=1+2", "王小明"]
    assert not table.columns.str.startswith("Unnamed").any()
    # the same with the csv module, strictly: every row as wide as the header
    import csv

    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig")), strict=True))
    assert {len(row) for row in rows} == {9} and len(rows) == 4
