"""Generators of hostile files, each small on disk and cheap to make (well under a second):

- `grid_span_docx`: a 35 KB .docx whose table cell claims gridSpan=2000000000;
- `pdf_stream_bomb`: a ~1 MB PDF whose one content stream inflates to 1 GiB (FlateDecode);
- `docx_zip_bomb`: a ~1 MB .docx whose word/document.xml inflates to 1 GiB;
- `many_pages_pdf`: a PDF of 5,000 (empty) pages;
- `gzip_bomb`: a gzip body of ~1 MB that inflates to 1 GiB (a robots.txt served with
  Content-Encoding: gzip).

Bombs are built without ever holding the inflated bytes: one block of 1 MiB is compressed once
with a full flush (a self-contained, byte-aligned run of deflate blocks with no back-references),
the run is repeated, a final empty block closes the stream, and the checksum the format needs
(adler32, CRC-32) is computed over the repeated block incrementally.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

MiB = 1 << 20
GiB = 1 << 30


def _raw_deflate(data: bytes) -> bytes:
    """Raw deflate of `data`, ended by a full flush: self-contained, byte-aligned, not final."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


def _finish() -> bytes:
    return zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # an empty final block


def _bomb(head: bytes, size: int, tail: bytes, checksum, filler: bytes = b" ") -> tuple[bytes, int, int]:
    """Raw deflate of head + filler × size + tail: (stream, its `checksum` — zlib.crc32 or
    zlib.adler32 — and its inflated size)."""
    block, times = filler * MiB, size // MiB
    value = checksum(head)
    for _ in range(times):
        value = checksum(block, value)
    value = checksum(tail, value)
    stream = _raw_deflate(head) + _raw_deflate(block) * times + _raw_deflate(tail) + _finish()
    return stream, value, len(head) + times * MiB + len(tail)


# PDF ------------------------------------------------------------------------------------------

def _pdf(objects: list[bytes]) -> bytes:
    """A PDF with these objects (1-based numbers, the first is the catalog) and a correct xref."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _text_then_spaces(inflated: int) -> bytes:
    """A zlib stream (header, deflate, adler32) of a little text, then `inflated` bytes of spaces."""
    head, tail = b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET\n", b"\n"
    raw, adler, _size = _bomb(head, inflated, tail, zlib.adler32)
    return b"\x78\xda" + raw + struct.pack(">I", adler)


def pdf_stream_bomb(path: Path, inflated: int = GiB) -> Path:
    """One page whose content stream is a little text, then `inflated` bytes of spaces."""
    stream = _text_then_spaces(inflated)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        _FONT,
    ]
    path.write_bytes(_pdf(objects))
    return path


def pdf_form_bomb(path: Path, inflated: int = GiB) -> Path:
    """One page drawing a form XObject whose content stream is a little text, then `inflated`
    bytes of spaces (the page's own content stream is tiny)."""
    stream = _text_then_spaces(inflated)
    content = b"q /X0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /X0 6 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        _FONT,
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    path.write_bytes(_pdf(objects))
    return path


def many_pages_pdf(path: Path, pages: int = 5000) -> Path:
    """`pages` pages sharing one small content stream."""
    content = b"BT /F1 12 Tf 72 720 Td (page) Tj ET"
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        _FONT,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
                b"/Contents 3 0 R >>"] * pages
    path.write_bytes(_pdf(objects))
    return path


# Word -----------------------------------------------------------------------------------------

def _plain_docx(path: Path, text: str = "正文") -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    d.save(str(path))
    return path


def grid_span_docx(path: Path, span: int = 2_000_000_000) -> Path:
    """A 2×2 table whose first cell spans `span` grid columns."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_paragraph("表1 收支情况")
    table = d.add_table(rows=2, cols=2)
    for r in range(2):
        for c in range(2):
            table.cell(r, c).text = f"{r}{c}"
    tc_pr = table.cell(0, 0)._tc.get_or_add_tcPr()
    grid_span = OxmlElement("w:gridSpan")
    grid_span.set(qn("w:val"), str(span))
    tc_pr.append(grid_span)
    d.save(str(path))
    return path


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of (name, raw deflate data, crc32, size) members, written by hand: zipfile cannot
    store data compressed elsewhere."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        n = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                               len(n), 0, 0, 0, 0, 0, offset) + n
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                                 len(out), 0)
    return bytes(out)


def docx_zip_bomb(path: Path, inflated: int = GiB) -> Path:
    """A real .docx (python-docx's) whose word/document.xml is one paragraph of `inflated` spaces."""
    import zipfile

    plain = _plain_docx(path.with_suffix(".plain.docx"))
    members = []
    with zipfile.ZipFile(plain) as zf:
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename == "word/document.xml":
                head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="'
                        b'http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
                        b'<w:t xml:space="preserve">')
                tail = b"</w:t></w:r></w:p></w:body></w:document>"
                raw, crc, size = _bomb(head, inflated, tail, zlib.crc32)
                members.append((info.filename, raw, crc, size))
            else:
                members.append((info.filename, _raw_deflate(data) + _finish(), zlib.crc32(data), len(data)))
    plain.unlink()
    path.write_bytes(_zip(members))
    return path


# HTTP -----------------------------------------------------------------------------------------

def gzip_bomb(inflated: int = GiB, filler: bytes = b"#") -> bytes:
    """A gzip member (RFC 1952): a robots.txt, then `inflated` bytes of `filler`."""
    raw, crc, size = _bomb(b"User-agent: *\nDisallow: /private/\n", inflated, b"\n", zlib.crc32, filler)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + raw + struct.pack("<II", crc, size & 0xFFFFFFFF)
