import pytest

from kepu_common.errors import InvalidInput, TooLarge
from kepu_common.filetypes import sniff
from services.resources import formats

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
    assert error.value.fields == {"file": "an executable"}


def test_declared_type_must_match_the_content():
    formats.check_content("video", sniff(MP4))
    with pytest.raises(InvalidInput) as error:
        formats.check_content("image", sniff(MP4))
    assert "video/mp4" in error.value.fields["file"]


def test_a_687_mb_video_is_ordinary_and_limits_are_configurable():
    formats.check_size("video", 687 * formats.MB)
    with pytest.raises(TooLarge):
        formats.check_size("image", 51 * formats.MB)
    with pytest.raises(TooLarge):
        formats.check_size("video", 687 * formats.MB, {"video": 500 * formats.MB})


def test_every_resource_type_of_the_contracts_has_its_formats_and_every_status_its_label():
    from kepu_common.contracts import RESOURCE_STATUSES, RESOURCE_TYPES
    from services.resources.review_flow import STATUS_LABELS
    assert set(formats.TYPES) == set(RESOURCE_TYPES) and set(STATUS_LABELS) == set(RESOURCE_STATUSES)
