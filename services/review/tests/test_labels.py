"""What a reviewer reads of a snapshot: labels for codes, hidden internals, the codes' own labels kept."""
from services.review.web.labels import snapshot_rows


def test_a_hidden_code_still_shows_its_label_under_its_own_name():
    rows = dict(snapshot_rows({"real_name": "林海峰", "communicator_type": "district_admin",
                               "communicator_type_label": "区县级管理员", "region_code": "440305",
                               "category": "district_assoc", "category_label": "区县科协"}, "zh_CN"))
    assert rows["科普员类型"] == "区县级管理员"
    assert rows["类别"] == "区县科协"
    assert "district_admin" not in rows.values() and "440305" not in rows.values()


def test_a_visible_code_shows_as_its_label_in_one_row():
    rows = snapshot_rows({"type": "video", "type_label": "视频"}, "zh_CN")
    assert [value for _, value in rows] == ["视频"]


def test_the_organization_chosen_from_the_directory_is_shown_and_its_id_is_not():
    rows = dict(snapshot_rows({"unit_name": "深圳市南山区科协", "org_id": "0b7e…", "chosen_org": "南山区科学技术协会"},
                              "zh_CN"))
    assert rows["所属机构"] == "南山区科学技术协会"
    assert "0b7e…" not in rows.values()
