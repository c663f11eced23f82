"""Documents checked as what they claim: Word files from their zip directory, PDFs parsed by PDFium.
Each rule broken alone gives its own field code."""
import io
import zipfile

import pytest
from PIL import Image

from services.resources import documents
from services.resources.documents import DocumentRefused, check_docx_entries
from services.resources.tests.conftest import docx_bytes, pdf_bytes, png_bytes

MB = 1024 * 1024
WORD = [("[Content_Types].xml", 200, 400, b"<?xml"), ("word/document.xml", 900, 3000, b"<?xml")]


def refused_code(entries, **limits):
    with pytest.raises(DocumentRefused) as error:
        check_docx_entries(entries, **limits)
    assert error.value.status == 400 and list(error.value.fields) == ["file"]
    return error.value.fields["file"]["code"]


def test_a_word_document_passes():
    check_docx_entries(WORD + [("word/media/image1.png", 50_000, 50_100, b"\x89PNG\r\n\x1a\n")])


@pytest.mark.parametrize("entries,code", [
    ([WORD[0]], "docx_not_word"),                                                       # no word/document.xml
    ([("mimetype", 10, 10, b""), ("content.xml", 10, 10, b"")], "docx_not_word"),      # an OpenDocument file
    (WORD + [("../../etc/cron.d/job", 10, 10, b"")], "docx_unsafe_path"),
    (WORD + [("word/../../evil.xml", 10, 10, b"")], "docx_unsafe_path"),
    (WORD + [("/abs/path.xml", 10, 10, b"")], "docx_unsafe_path"),
    (WORD + [("C:/Windows/x.xml", 10, 10, b"")], "docx_unsafe_path"),
    (WORD + [("word/embeddings/setup.exe", 10, 10, b"")], "docx_has_executable"),
    (WORD + [("word/media/image2.png", 10, 10, b"MZ\x90\x00")], "docx_has_executable"),  # a program renamed
    (WORD + [("word/media/run.bin", 10, 10, b"\x7fELF")], "docx_has_executable"),
    (WORD + [("word/vbaProject.bin", 10, 10, b"")], "docx_has_macros"),
    (WORD + [("word/bomb.xml", 1000, 500 * MB, b"<")], "docx_expands_too_much"),      # 500,000:1
])
def test_each_unsafe_or_foreign_zip_is_refused_with_its_own_code(entries, code):
    assert refused_code(entries) == code


def test_the_expansion_is_bounded_in_total_and_in_number_of_entries():
    many_parts = WORD + [(f"word/media/p{n}.png", 30 * MB, 30 * MB, b"") for n in range(40)]
    assert refused_code(many_parts) == "docx_expands_too_much"                # 1.2 GB in all
    assert refused_code(WORD + [(f"word/x{n}.xml", 1, 1, b"") for n in range(20)], max_entries=10) == \
        "docx_too_many_entries"


def test_real_files(tmp_path):
    word = tmp_path / "a.docx"
    word.write_bytes(docx_bytes())
    assert documents.inspect(str(word), documents.DOCX) == {"thumbnail": None}
    for name, content in (("not_zip.docx", b"PK\x03\x04 but broken" * 10), ("excel.docx", docx_bytes(
            without=("word/document.xml",), extra=[("xl/workbook.xml", b"<x/>")]))):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(DocumentRefused) as error:
            documents.inspect(str(path), documents.DOCX)
        assert error.value.fields["file"]["code"] == "docx_not_word"


def test_a_zip_bomb_is_refused_from_its_directory(tmp_path):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<" + b" " * (64 * MB))  # 64 MB of spaces: a few dozen KB
    path = tmp_path / "bomb.docx"
    path.write_bytes(bomb.getvalue())
    with pytest.raises(DocumentRefused) as error:
        documents.check_docx(str(path))
    assert error.value.fields["file"]["code"] == "docx_expands_too_much"


def test_a_pdf_parses_and_a_wall_chart_gets_its_first_page_as_thumbnail(tmp_path):
    path = tmp_path / "挂图.pdf"
    path.write_bytes(pdf_bytes(pages=2, size=(1190, 1684)))  # A2 portrait
    assert documents.inspect(str(path), documents.PDF) == {"thumbnail": None}
    thumbnail = Image.open(io.BytesIO(documents.inspect(str(path), documents.PDF, 480)["thumbnail"]))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) == 480 and thumbnail.size[1] > thumbnail.size[0]


@pytest.mark.parametrize("content", [b"%PDF-1.7\n" + b"garbage" * 100, b"%PDF-", png_bytes(20, 20)])
def test_a_file_that_does_not_parse_as_pdf_is_refused(tmp_path, content):
    path = tmp_path / "x.pdf"
    path.write_bytes(content)
    with pytest.raises(DocumentRefused) as error:
        documents.inspect(str(path), documents.PDF, 480)
    assert error.value.fields["file"]["code"] == "pdf_unreadable"
