"""Documents checked as what they claim to be: a Word file (.docx) is a zip with word/document.xml, no
executables or macros, no entry that climbs out of its folder, and an expansion bounded in size and
ratio (a zip bomb is refused from its directory, before anything is inflated); a PDF parses with PDFium
(pypdfium2, whose wheels bundle it) and has a page. A wall chart's thumbnail is its first page.

check_docx_entries is pure (unit-tested); the rest reads a file on disk and is blocking code: the
service runs it in a thread with a time bound, like PyAV's probe.
"""
import io
import posixpath
import zipfile


from kepu_common.domain import filetypes
from kepu_common.interfaces.errors import InvalidInput

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
MB = 1024 * 1024
REQUIRED_PARTS = ("[Content_Types].xml", "word/document.xml")
# what a Word document never needs to carry: programs, scripts, macros (a .docm, not a .docx)
EXECUTABLE_SUFFIXES = (".exe", ".dll", ".com", ".bat", ".cmd", ".scr", ".msi", ".ps1", ".vbs", ".vbe", ".js",
                       ".jse", ".wsf", ".hta", ".jar", ".sh", ".lnk", ".cpl", ".pif")
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")
MAX_ENTRIES = 5000
MAX_EXPANDED = 1024 * MB  # a 200 MB article of pictures stays far below
MAX_RATIO = 200  # deflate rarely beats 100:1 on real XML; zip bombs reach 1000:1 and more
RATIO_FLOOR = MB  # small entries (an empty-ish XML part) may compress very well


class DocumentRefused(InvalidInput):
    """A file that is not the document it claims to be, or carries what a document must not."""


def _refuse(field_code, **params):
    raise DocumentRefused(field_code, {"file": (field_code, params)}, details={"reason": field_code}, **params)


def _unsafe(name):
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in posixpath.normpath(name).split("/") or ".." in name.split("/")


def check_docx_entries(entries, max_expanded=MAX_EXPANDED, max_ratio=MAX_RATIO, max_entries=MAX_ENTRIES):
    """entries: [(name, compressed size, expanded size, first bytes or b"")] from a zip's directory.
    Refuses (DocumentRefused, a field code on `file`) what is not a safe Word document."""
    if len(entries) > max_entries:
        _refuse("docx_too_many_entries", max_entries=max_entries)
    names = {name for name, _, _, _ in entries}
    if not all(part in names for part in REQUIRED_PARTS):
        _refuse("docx_not_word")
    expanded = 0
    for name, compressed, size, head in entries:
        if _unsafe(name):
            _refuse("docx_unsafe_path", entry=name[:100])
        lowered = name.lower()
        if lowered.endswith(EXECUTABLE_SUFFIXES) or filetypes.sniff(head) == filetypes.EXECUTABLE:
            _refuse("docx_has_executable", entry=name[:100])
        if posixpath.basename(lowered) in MACRO_PARTS:
            _refuse("docx_has_macros")
        if size > RATIO_FLOOR and size > max_ratio * max(compressed, 1):
            _refuse("docx_expands_too_much", max_mb=max_expanded // MB)
        expanded += size
    if expanded > max_expanded:
        _refuse("docx_expands_too_much", max_mb=max_expanded // MB)


def check_docx(path):
    """The file at path is a safe Word document, or DocumentRefused."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ENTRIES:
                _refuse("docx_too_many_entries", max_entries=MAX_ENTRIES)
            entries = []
            for info in infos:
                head = b""
                if not info.is_dir() and info.file_size and info.flag_bits & 0x1 == 0:  # not encrypted
                    with archive.open(info) as entry:  # a few bytes inflated: enough to see a program
                        head = entry.read(filetypes.HEAD_BYTES)
                entries.append((info.filename, info.compress_size, info.file_size, head))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError,
            RuntimeError):
        _refuse("docx_not_word")
    check_docx_entries(entries)


def check_pdf(path, thumbnail_box=None):
    """The file at path parses as a PDF with a page; with thumbnail_box, (JPEG of its first page fitted
    into box x box) or None."""
    import pypdfium2  # PDFium: loaded by the decoding workers only
    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError:
        _refuse("pdf_unreadable")
    try:
        if len(document) < 1:
            _refuse("pdf_unreadable")
        if thumbnail_box is None:
            return None
        page = document[0]
        try:
            width, height = page.get_size()
            scale = min(thumbnail_box / max(width, height, 1), 4.0)
            image = page.render(scale=scale).to_pil().convert("RGB")
        except pypdfium2.PdfiumError:
            _refuse("pdf_unreadable")
        finally:
            page.close()
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue()
    finally:
        document.close()


def inspect(path, content_type, thumbnail_box=None):
    """A document checked as its content type; {"thumbnail": JPEG or None} (a PDF's first page when a
    thumbnail_box is given)."""
    if content_type == DOCX:
        check_docx(path)
        return {"thumbnail": None}
    return {"thumbnail": check_pdf(path, thumbnail_box)}
