"""The poster pre-check's rules (plain code) and the OCR they read from: posters rendered with Pillow and a CJK
font, read by RapidOCR as the job reads them, and posters it cannot read."""
import io
import subprocess

import pytest
from PIL import Image

from services.activities import poster_check, poster_ocr
from services.activities.tests.posters import ACTIVITY, campaign_poster, poster


def statuses(checked):
    return {item["key"]: item["status"] for item in checked["items"]}


def matched(checked, key):
    return next(item["matched"] for item in checked["items"] if item["key"] == key)


# --- the rules, on lines of text -------------------------------------------------------------------------
GOOD = ["2026全国科普日", "走进量子世界：青少年科学体验营", "时间：2026年9月20日14:00", "主办单位：北京市海淀区科学技术协会"]


def test_a_complete_poster_finds_every_item_with_the_line_it_matched():
    checked = poster_check.checklist(GOOD, ACTIVITY)
    assert checked["state"] == "read"
    assert statuses(checked) == {"mark": "found", "name": "found", "date": "found", "time": "found", "host": "found"}
    assert matched(checked, "mark") == "2026全国科普日"
    assert matched(checked, "date") == "时间：2026年9月20日14:00"
    assert matched(checked, "host") == "主办单位：北京市海淀区科学技术协会"
    assert checked["hints"] == []


def test_without_the_mark_it_says_not_found_and_nothing_else_changes():
    checked = poster_check.checklist(["科学嘉年华"] + GOOD[1:], ACTIVITY)
    assert statuses(checked)["mark"] == "not_found" and matched(checked, "mark") is None
    assert statuses(checked)["name"] == "found"


@pytest.mark.parametrize("written", ["2026年9月20日", "9月20日", "09月20号", "2026.9.20", "2026-09-20", "2026/9/20",
                                     "２０２６年９月２０日", "2026 年 9 月 20 日"])
def test_the_start_date_in_the_forms_chinese_posters_use(written):
    checked = poster_check.checklist(["时间：" + written], ACTIVITY)
    assert statuses(checked)["date"] == "found"


@pytest.mark.parametrize("written", ["14:00", "14：00", "14点", "下午2点", "下午2:00", "１４：００"])
def test_the_start_time_in_the_forms_chinese_posters_use(written):
    assert statuses(poster_check.checklist(["9月20日 " + written], ACTIVITY))["time"] == "found"


def test_a_start_time_in_shanghai_not_utc():
    # 06:00 UTC is 14:00 in Beijing: a poster never shows 06:00
    assert statuses(poster_check.checklist(["2026年9月20日 06:00"], ACTIVITY))["time"] == "not_found"


@pytest.mark.parametrize("written", ["2026年9月21日", "2025年9月20日", "2026.10.20", "9月2日"])
def test_a_wrong_date_is_a_mismatch_showing_the_dates_on_the_poster(written):
    checked = poster_check.checklist(["时间：" + written + " 14:00"], ACTIVITY)
    assert statuses(checked)["date"] == "mismatch"
    assert written in matched(checked, "date")


def test_an_end_date_beside_the_right_start_date_is_no_mismatch():
    checked = poster_check.checklist(["2026年9月20日—9月22日"], ACTIVITY)
    assert statuses(checked)["date"] == "found"


def test_no_date_at_all_is_not_found():
    assert statuses(poster_check.checklist(["全国科普日"], ACTIVITY))["date"] == "not_found"


def test_a_name_split_over_lines_and_without_its_punctuation_is_found():
    checked = poster_check.checklist(["走进量子世界", "青少年科学体验营"], ACTIVITY)
    assert statuses(checked)["name"] == "found"


def test_part_of_the_name_is_partial_with_the_part_matched():
    checked = poster_check.checklist(["青少年科学体验营 欢迎你"], ACTIVITY)
    assert statuses(checked)["name"] == "partial"
    assert matched(checked, "name") == "青少年科学体验营 欢迎你"
    assert statuses(poster_check.checklist(["量子"], ACTIVITY))["name"] == "not_found"


def test_every_host_or_some_of_them():
    activity = dict(ACTIVITY, hosts=[{"name": "北京市海淀区科学技术协会"}, {"name": "中关村科技馆"}])
    assert statuses(poster_check.checklist(["主办：北京市海淀区科学技术协会 中关村科技馆"], activity))["host"] == "found"
    assert statuses(poster_check.checklist(["主办：北京市海淀区科学技术协会"], activity))["host"] == "partial"
    assert statuses(poster_check.checklist(["主办：某某公司"], activity))["host"] == "not_found"


def test_the_hint_lists_flag_commercial_promotion_and_routine_teaching():
    shown = poster_check.hints(["报名费99元，限时优惠", "扫码下单享折扣", "本学期课程表", "期末复习作业讲评"])
    words = {(hint["category"], hint["word"]) for hint in shown}
    assert {("commercial", "优惠"), ("commercial", "折扣"), ("commercial", "限时"), ("commercial", "报名费"),
            ("commercial", "下单"), ("teaching", "课程表"), ("teaching", "期末"), ("teaching", "作业")} <= words
    assert ("commercial", "99元") in words  # a price
    assert next(h["matched"] for h in shown if h["word"] == "课程表") == "本学期课程表"


def test_what_a_genuine_poster_says_raises_no_hint():
    assert poster_check.hints(["免费参加，扫码预约报名", "科学课堂·专家讲座", "面向中小学生", "门票：免费"]) == []


def test_every_hint_word_is_a_hint_and_the_lists_do_not_overlap():
    for category, words in poster_check.HINT_WORDS.items():
        for word in words:
            assert {(h["category"], h["word"]) for h in poster_check.hints([f"本次{word}活动"])} >= {(category, word)}
    assert not set(poster_check.HINT_WORDS["commercial"]) & set(poster_check.HINT_WORDS["teaching"])


def test_unreadable_and_pending_have_no_items():
    assert poster_check.unreadable("image_unreadable") == {"state": "unreadable", "reason": "image_unreadable",
                                                          "items": [], "hints": [], "lines": []}
    assert poster_check.pending()["state"] == "pending"


# --- read off rendered posters by the OCR ----------------------------------------------------------------
@pytest.fixture(scope="module")
def reader():
    return poster_ocr.engine()


def read(reader, data):
    return poster_ocr.lines_of(poster_ocr.prepared(io.BytesIO(data)), reader)


def test_a_rendered_poster_with_the_mark_passes_every_item(reader):
    lines = read(reader, campaign_poster(extra=[("报名费99元，限时优惠", 40)]))
    checked = poster_check.checklist(lines, ACTIVITY)
    assert statuses(checked) == {"mark": "found", "name": "found", "date": "found", "time": "found", "host": "found"}
    assert "2026全国科普日" in matched(checked, "mark")
    assert {"报名费", "限时", "优惠"} <= {hint["word"] for hint in checked["hints"]}


def test_a_rendered_poster_without_the_mark_says_mark_not_found(reader):
    checked = poster_check.checklist(read(reader, campaign_poster(mark=False)), ACTIVITY)
    assert statuses(checked)["mark"] == "not_found"
    assert statuses(checked)["name"] == "found" and statuses(checked)["host"] == "found"


def test_a_rendered_poster_with_a_wrong_date_is_a_mismatch(reader):
    checked = poster_check.checklist(read(reader, campaign_poster(date="2026年9月27日14:00")), ACTIVITY)
    assert statuses(checked)["date"] == "mismatch"
    assert "9月27日" in matched(checked, "date")


# --- posters it cannot read: refused before the OCR, or by the child's limits ----------------------------
def test_a_corrupt_jpeg_is_unreadable(tmp_path):
    path = tmp_path / "corrupt.jpg"
    path.write_bytes(campaign_poster()[:2000])  # the header, then nothing
    with pytest.raises(poster_ocr.Unreadable) as refused:
        poster_ocr.prepared(path)
    assert refused.value.reason == "image_unreadable"
    path.write_bytes(b"\xff\xd8\xff\xe0 not a JPEG at all")
    with pytest.raises(poster_ocr.Unreadable):
        poster_ocr.prepared(path)


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(path)  # 400 megapixels in a few dozen KB
    assert path.stat().st_size < 200_000
    with pytest.raises(poster_ocr.Unreadable) as refused:
        poster_ocr.prepared(path, max_pixels=50_000_000)
    assert refused.value.reason == "image_too_many_pixels"


def test_a_huge_poster_is_read_at_a_bounded_size(tmp_path):
    path = tmp_path / "huge.jpg"
    Image.new("RGB", (6000, 8000), (255, 255, 255)).save(path, quality=50)
    assert max(poster_ocr.prepared(path).size) == poster_ocr.OCR_SIDE


def test_a_blank_poster_has_no_text(reader):
    assert read(reader, poster([])) == []


def test_the_child_answers_unreadable_for_a_corrupt_file_and_stops_at_its_memory_limit(tmp_path):
    path = tmp_path / "poster.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not a JPEG at all")
    with pytest.raises(poster_ocr.Unreadable) as refused:
        poster_ocr.read(path)
    assert refused.value.reason == "image_unreadable"
    path.write_bytes(campaign_poster())
    with pytest.raises(poster_ocr.Unreadable) as refused:
        poster_ocr.read(path, memory_mb=200)  # the models alone need more
    assert refused.value.reason == "ocr_memory_limit"


def test_the_child_runs_under_its_memory_limit_and_first_in_line_for_the_oom_killer():
    # what the OCR child's preexec sets, seen from a process started with it
    limits = subprocess.run(["sh", "-c", "ulimit -v; cat /proc/self/oom_score_adj"], capture_output=True, text=True,
                            preexec_fn=poster_ocr.child_limits(300), check=True).stdout.split()
    assert limits == [str(300 * 1024), "1000"]


def test_the_child_reads_a_poster(tmp_path):
    path = tmp_path / "poster.jpg"
    path.write_bytes(campaign_poster())
    assert "2026全国科普日" in poster_ocr.read(path)


def test_a_date_run_into_its_time_is_still_read():
    # OCR often drops the space between a date and its time
    checked = poster_check.checklist(["时间：2026.9.2014:00"], ACTIVITY)
    assert statuses(checked)["date"] == "found" and statuses(checked)["time"] == "found"


def test_a_reading_past_its_time_is_stopped_and_unreadable(tmp_path):
    path = tmp_path / "poster.jpg"
    path.write_bytes(campaign_poster())
    with pytest.raises(poster_ocr.Unreadable) as refused:
        poster_ocr.read(path, seconds=0.2)  # less than the interpreter needs to load the models
    assert refused.value.reason == "ocr_timed_out"


def test_a_child_that_fails_for_another_reason_is_not_called_out_of_memory(tmp_path, monkeypatch, caplog):
    path = tmp_path / "poster.jpg"
    path.write_bytes(campaign_poster())
    monkeypatch.setattr(poster_ocr.sys, "executable", "/bin/false")  # a broken install: exits 1, says nothing
    with pytest.raises(poster_ocr.Unreadable) as refused:
        poster_ocr.read(path)
    assert refused.value.reason == "ocr_failed"
    assert "poster OCR child failed" in caplog.text
