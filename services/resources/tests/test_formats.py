import pytest

from kepu_common.interfaces.errors import InvalidInput, TooLarge
from kepu_common.domain.filetypes import sniff
from services.resources import formats
from services.resources.constants import UPLOAD_PURPOSES

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"


@pytest.mark.parametrize("head,expected", [
    (MP4, "video/mp4"), (b"\x00\x00\x00\x14ftypqt  \x00\x00", "video/quicktime"),
    (b"\x1a\x45\xdf\xa3" + bytes(12), "video/webm"), (b"%PDF-1.7\n" + bytes(7), "application/pdf"),
    (b"ID3\x04" + bytes(12), "audio/mpeg"), (b"\x00\x00\x00\x20ftypM4A \x00\x00", "audio/mp4"),
    (b"MZ\x90\x00" + bytes(12), "application/x-executable"), (b"\x7fELF" + bytes(12), "application/x-executable"),
    (b"GIF89a" + bytes(10), "image/gif"), (b"hello world, text", None),
])
def test_sniffing_reads_the_bytes(head, expected):
    assert sniff(head) == expected


def test_executable_renamed_mp4_is_refused_as_executable():
    with pytest.raises(InvalidInput) as error:
        formats.check_content("video", sniff(b"MZ\x90\x00" + bytes(12)))
    assert error.value.message == "executable_refused"
    assert error.value.fields == {"file": {"code": "executable_file", "params": {}}}


def test_declared_type_must_match_the_content():
    formats.check_content("video", sniff(MP4))
    with pytest.raises(InvalidInput) as error:
        formats.check_content("image", sniff(MP4))
    assert error.value.fields["file"]["code"] == "content_not_accepted"
    assert error.value.details["found"] == "video/mp4"
    with pytest.raises(InvalidInput) as error:
        formats.check_content("video", sniff(MP4), "video/webm")
    assert error.value.fields["content_type"] == {"code": "content_type_mismatch",
                                                  "params": {"declared": "video/webm", "found": "video/mp4"}}


def test_a_687_mb_video_is_ordinary_and_limits_are_configurable():
    formats.check_size("video", 687 * formats.MB)
    with pytest.raises(TooLarge) as error:
        formats.check_size("image", 51 * formats.MB)
    assert error.value.fields["size"] == {"code": "file_too_large", "params": {"max_mb": 50}}
    with pytest.raises(TooLarge):
        formats.check_size("video", 687 * formats.MB, {"video": 500 * formats.MB})


def test_the_activity_purposes_take_what_activities_need():
    formats.check_declared("activity_poster", "image/webp")
    formats.check_size("activity_poster", 10 * formats.MB)
    with pytest.raises(TooLarge):
        formats.check_size("activity_poster", 10 * formats.MB + 1)
    formats.check_size("followup_photo", 20 * formats.MB)
    with pytest.raises(TooLarge):
        formats.check_size("followup_photo", 20 * formats.MB + 1)
    formats.check_declared("followup_video", "video/quicktime")
    formats.check_size("followup_video", 500 * formats.MB)
    with pytest.raises(TooLarge):
        formats.check_size("followup_video", 500 * formats.MB + 1)
    with pytest.raises(InvalidInput) as error:
        formats.check_declared("followup_photo", "video/mp4")
    assert error.value.fields["content_type"]["code"] == "type_not_accepted"
    assert "followup_video" in formats.PROBED and "activity_poster" in formats.THUMBNAILED


def test_every_resource_type_and_status_of_the_contracts_has_its_formats_and_labels():
    from kepu_common.interfaces.contracts import RESOURCE_STATUSES, RESOURCE_TYPES
    from kepu_common.interfaces.messages import has, label
    assert set(RESOURCE_TYPES) <= set(UPLOAD_PURPOSES)
    for locale in ("zh_CN", "en"):
        assert all(has(f"resource_type.{t}", locale) for t in RESOURCE_TYPES)
        assert all(has(f"resource_status.{s}", locale) for s in RESOURCE_STATUSES)
    assert label("resource_status", "pending_scientific") == "初审通过/待科学性审核"
    assert label("resource_type", "wallchart", "en") == "Wall chart"


def test_articles_take_word_and_pdf_and_wall_charts_take_pdf():
    formats.check_declared("article", formats.DOCX)
    formats.check_declared("article", "application/pdf")
    formats.check_declared("wallchart", "application/pdf")
    formats.check_content("wallchart", sniff(b"%PDF-1.7\n" + bytes(7)), "application/pdf")
    with pytest.raises(InvalidInput):  # any zip is no longer an article: only a Word file
        formats.check_declared("article", "application/zip")


def test_a_zip_is_a_word_file_only_when_declared_one_and_then_must_prove_it():
    zip_head = sniff(b"PK\x03\x04" + bytes(12))
    assert formats.as_claimed(zip_head, formats.DOCX) == formats.DOCX  # documents.check_docx decides
    assert formats.as_claimed(zip_head, "application/pdf") == "application/zip"
    with pytest.raises(InvalidInput) as error:
        formats.check_content("article", formats.as_claimed(zip_head, "application/pdf"), "application/pdf")
    assert error.value.fields["file"]["code"] == "content_not_accepted"
    # a PDF declared as Word is what its bytes say
    assert formats.as_claimed("application/pdf", formats.DOCX) == "application/pdf"
