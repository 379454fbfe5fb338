"""Legacy Word 97–2003 (.doc) in pure Python: olefile opens the compound file, struct reads the rest.

What is read, after Microsoft's [MS-DOC] specification:

- the FIB at the start of the WordDocument stream: which table stream (0Table/1Table) holds the
  structures, how long the main text is (ccpText), where the piece table is (fcClx/lcbClx);
- the piece table (CLX): the main text in order, piece by piece, each either compressed
  (8-bit cp1252, at fc/2) or UTF-16LE. Fast-saved files are read the same way: their text is
  simply in more pieces;
- paragraph properties (PAPX FKPs, huge PAPX in the Data stream, and the pieces' own sprms): in a
  table or not, the nesting depth, the row-end mark (TTP) with the row's table properties (cell
  boundaries from sprmTDefTable, horizontal and vertical merges from its TC80 flags, sprmTMerge,
  sprmTVertMerge), centred or not, outline level;
- character properties (CHPX FKPs): font size (for title/heading), deleted tracked changes and
  special characters;
- the style sheet for style names and the section table for section marks.

Text is cleaned exactly as the .docx backend cleans it, and tables become the same `Table`
shape (spans, nested tables with a `parent`, the caption above), so a .doc and the .docx of the
same report give the same blocks, tables and claims. Headers, footers, footnotes and text boxes
are other sub-documents and stay out of the body, as in .docx.

Every offset and length read from the file is checked against the stream it points into before
it is used; a file that breaks the format raises `DocFormatError` saying what is wrong.
"""

from __future__ import annotations

import bisect
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

from fiscaldocs.extractors.docx_backend import cell_clean, classify, paragraph_clean, take_caption

from fiscaldocs.model import Cell, Document, Table, TextBlock


class DocFormatError(ValueError):
    """The file is not a readable Word 97–2003 document; the message says why."""


class UnsupportedDocVersion(DocFormatError):
    """An older Word binary format (Word 6.0/95 and before) that this reader does not parse."""


EXTRACTOR = "doc-binary"
MAX_TABLE_DEPTH = 64  # Word nests tables at most 63 deep
MAX_GRID_COLUMNS = 4096  # Word rows have at most 63 cells; a grid made of many rows has more lines
_FKP = 512  # size of a formatted disk page
# Paragraph sprms.
_P_JC80, _P_JC, _P_OUTLVL = 0x2403, 0x2461, 0x2640
_P_INTABLE, _P_TTP, _P_ITAP, _P_DTAP = 0x2416, 0x2417, 0x6649, 0x664A
_P_INNER_CELL, _P_INNER_TTP, _P_HUGE = 0x244B, 0x244C, 0x6646
_P_CHGTABS = 0xC615
# Table sprms (stored in the PAPX of a row-end mark).
_T_DEFTABLE, _T_MERGE, _T_SPLIT, _T_VERTMERGE = 0xD608, 0x5624, 0x5625, 0xD62B
# Character sprms.
_C_RMARKDEL, _C_SPEC, _C_HPS = 0x0800, 0x0855, 0x4A43
_STI_TITLE = 62  # built-in style identifiers: 1-9 are "heading 1-9"
_SPRA_SIZE = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}

# Compressed text is cp1252; the five bytes cp1252 leaves undefined keep their Latin-1 meaning.
_CP1252 = {b: (bytes([b]).decode("cp1252", errors="ignore") or chr(b)) for b in range(0x80, 0xA0)}
_CP1252_TABLE = str.maketrans({chr(b): ch for b, ch in _CP1252.items()})
_CONTROL = re.compile(r"[\x00-\x1f]")
_STRUCTURAL = "\r\x07\x0c"  # paragraph, cell/row and section marks: never removed from the text


def extract_doc_body(path: Path, doc: Document) -> None:
    streams, meta = _open(path)
    reader = WordBinary(*streams)
    doc.meta.page_count, doc.meta.producer = meta
    items = reader.items()
    for order, item in enumerate(items):
        item.order = order
        (doc.tables if isinstance(item, Table) else doc.blocks).append(item)  # type: ignore[arg-type]
    for i, table in enumerate(doc.tables):
        table.index = i


# What olefile raises on a broken or hostile compound file (it has no error class of its own):
# OSError for "not an OLE2 file", the rest from sectors and directory entries that point nowhere.
OLE_ERRORS = (OSError, ValueError, struct.error, IndexError, KeyError, EOFError, RecursionError)


def _open(path: Path) -> tuple[tuple[bytes, bytes, bytes], tuple[int | None, str | None]]:
    import olefile

    size = path.stat().st_size
    try:
        ole = olefile.OleFileIO(str(path))
    except OLE_ERRORS as exc:
        raise DocFormatError(f"not a readable OLE compound file ({type(exc).__name__}: {exc})") from exc
    try:
        def stream(name: str, required: bool = True) -> bytes:
            if not ole.exists(name):
                if required:
                    raise DocFormatError(f"no {name} stream in the compound file"
                                         + (": not a Word document" if name == "WordDocument" else ""))
                return b""
            claimed = ole.get_size(name)
            if claimed > size:  # a stream cannot be larger than the file that holds it
                raise DocFormatError(f"the {name} stream claims {claimed} bytes in a file of {size}")
            try:
                return ole.openstream(name).read()
            except OLE_ERRORS as exc:
                raise DocFormatError(f"cannot read the {name} stream ({type(exc).__name__}: {exc})") from exc

        word = stream("WordDocument")
        if len(word) < 34:
            raise DocFormatError(f"WordDocument stream too short for a FIB ({len(word)} bytes)")
        flags = struct.unpack_from("<H", word, 0x0A)[0]  # fWhichTblStm says which table stream
        table = stream("1Table" if flags & 0x0200 else "0Table")
        data = stream("Data", required=False)
        meta = _summary(ole)
    finally:
        ole.close()
    return (word, table, data), meta


def _summary(ole) -> tuple[int | None, str | None]:
    """Page count and writing application from the SummaryInformation stream, with the .docx
    backend's rule: a zero word count marks the page count as never laid out."""
    try:
        m = ole.get_metadata()
    except OLE_ERRORS:  # a broken summary loses the page count, not the document
        return None, None
    app = m.creating_application
    if isinstance(app, bytes):
        app = app.decode("cp1252", errors="replace")
    app = (app.strip("\x00 ") or None) if isinstance(app, str) else None
    pages, words = m.num_pages, m.num_words
    if not isinstance(pages, int) or pages <= 0 or words == 0:
        pages = None
    return pages, app


# --- the binary reader -----------------------------------------------------------------------


@dataclass(slots=True)
class _Piece:
    cp: int  # first character position
    end: int  # one past the last
    fc: int  # byte offset in the WordDocument stream
    compressed: bool
    prm: int


@dataclass(slots=True)
class _Pap:
    istd: int = 0
    in_table: bool = False
    ttp: bool = False
    itap: int | None = None
    inner_cell: bool = False
    inner_ttp: bool = False
    centered: bool = False
    outline: bool = False
    table_sprms: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def depth(self) -> int:
        if self.itap is not None and self.itap > 0:
            return self.itap
        return 1 if self.in_table else 0


@dataclass(slots=True)
class _Chp:
    hps: int = 0  # font size in half-points, 0 when not set directly
    deleted: bool = False
    special: bool = False


class WordBinary:
    """The main text of a Word 97–2003 document, as paragraphs and tables."""

    def __init__(self, word: bytes, table: bytes, data: bytes = b""):
        self.word, self.table, self.data = word, table, data
        self._fib()
        self.prcs, self.pieces = self._piece_table()
        self.text = self._text()
        self.styles = self._style_names()
        self._pap_bte = self._bte(13, "paragraph")
        self._chp_bte = self._bte(12, "character", strict=False)
        self._fkp_cache: dict[tuple[str, int], list] = {}
        self.chp_runs = self._chp_runs()
        self._chp_starts = [r[0] for r in self.chp_runs]
        self.section_marks = self._section_marks()

    # FIB --------------------------------------------------------------------------------------

    def _fib(self) -> None:
        w = self.word
        if len(w) < 34:
            raise DocFormatError(f"WordDocument stream too short for a FIB ({len(w)} bytes)")
        ident, nfib = struct.unpack_from("<HH", w, 0)
        if ident != 0xA5EC:
            raise DocFormatError(f"no Word FIB signature (0x{ident:04X}, want 0xA5EC)")
        flags = struct.unpack_from("<H", w, 0x0A)[0]
        if flags & 0x0100:
            raise DocFormatError("encrypted Word document: a password is required to open it")
        if nfib < 0xC0:
            raise UnsupportedDocVersion(f"Word 6.0/95 or older binary format (nFib {nfib}), not Word 97–2003")
        self.nfib = nfib
        pos = 32
        csw = self._u16(w, pos, "FIB csw")
        pos += 2 + 2 * csw
        cslw = self._u16(w, pos, "FIB cslw")
        if cslw < 4:
            raise DocFormatError(f"FIB has {cslw} longs, too few for the text length")
        self.ccp_text = self._i32(w, pos + 2 + 3 * 4, "FIB ccpText")
        pos += 2 + 4 * cslw
        cb_fclcb = self._u16(w, pos, "FIB cbRgFcLcb")
        self._fclcb_at = pos + 2
        if cb_fclcb < 34 or self._fclcb_at + 8 * cb_fclcb > len(w):
            raise DocFormatError(f"FIB offset table truncated ({cb_fclcb} entries)")
        if self.ccp_text < 0:
            raise DocFormatError(f"negative text length in the FIB (ccpText {self.ccp_text})")

    @staticmethod
    def _u16(buf: bytes, pos: int, what: str) -> int:
        if pos + 2 > len(buf):
            raise DocFormatError(f"WordDocument stream too short for the {what}")
        return struct.unpack_from("<H", buf, pos)[0]

    @staticmethod
    def _i32(buf: bytes, pos: int, what: str) -> int:
        if pos + 4 > len(buf):
            raise DocFormatError(f"WordDocument stream too short for the {what}")
        return struct.unpack_from("<i", buf, pos)[0]

    def _fclcb(self, i: int) -> tuple[int, int]:
        return struct.unpack_from("<II", self.word, self._fclcb_at + 8 * i)

    def _table_slice(self, i: int, what: str) -> bytes:
        fc, lcb = self._fclcb(i)
        if lcb == 0:
            return b""
        if fc + lcb > len(self.table):
            raise DocFormatError(f"the {what} (fc {fc}, {lcb} bytes) lies outside the table stream "
                                 f"({len(self.table)} bytes)")
        return self.table[fc:fc + lcb]

    # piece table ------------------------------------------------------------------------------

    def _piece_table(self) -> tuple[list[bytes], list[_Piece]]:
        clx = self._table_slice(33, "piece table (CLX)")
        if not clx:
            raise DocFormatError("no piece table (CLX) in the FIB")
        prcs: list[bytes] = []
        i = 0
        while i < len(clx) and clx[i] == 0x01:  # Prc: property modifiers the pieces refer to
            if i + 3 > len(clx):
                raise DocFormatError("piece table (CLX) truncated in a property modifier")
            cb = struct.unpack_from("<h", clx, i + 1)[0]
            if cb < 0 or i + 3 + cb > len(clx):
                raise DocFormatError(f"property modifier of {cb} bytes runs past the piece table")
            prcs.append(clx[i + 3:i + 3 + cb])
            i += 3 + cb
        if i + 5 > len(clx) or clx[i] != 0x02:
            raise DocFormatError("piece table (CLX) has no piece descriptor table (Pcdt)")
        lcb = struct.unpack_from("<I", clx, i + 1)[0]
        body = clx[i + 5:i + 5 + lcb]
        if lcb < 16 or len(body) < lcb or (lcb - 4) % 12:
            raise DocFormatError(f"piece descriptor table of {lcb} bytes is truncated or malformed")
        n = (lcb - 4) // 12
        cps = struct.unpack_from(f"<{n + 1}I", body, 0)
        if cps[0] != 0:
            raise DocFormatError(f"the piece table starts at CP {cps[0]}, not at the beginning of the text")
        self.ccp_text = min(self.ccp_text, cps[-1])  # a text length past the last piece: read what is there
        pieces = []
        total = 0
        for k in range(n):
            cp, end = cps[k], cps[k + 1]
            if end < cp:
                raise DocFormatError(f"piece {k} ends before it starts (CP {cp}..{end})")
            raw, prm = struct.unpack_from("<IH", body, 4 * (n + 1) + 8 * k + 2)
            compressed = bool(raw & 0x40000000)
            fc = (raw & 0x3FFFFFFF) // 2 if compressed else raw & 0x3FFFFFFF
            nbytes = (end - cp) * (1 if compressed else 2)
            if fc + nbytes > len(self.word):
                raise DocFormatError(f"piece {k} (CP {cp}..{end}) points outside the WordDocument stream "
                                     f"(bytes {fc}..{fc + nbytes} of {len(self.word)})")
            total += end - cp
            if total > len(self.word):
                raise DocFormatError(f"the piece table claims more characters than the WordDocument "
                                     f"stream holds ({len(self.word)} bytes)")
            pieces.append(_Piece(cp, end, fc, compressed, prm))
        return prcs, pieces

    def _text(self) -> str:
        """The main document's characters (CP 0..ccpText), pieces decoded and concatenated."""
        parts = []
        want = self.ccp_text
        for p in self.pieces:
            if p.cp >= want:
                break
            n = min(p.end, want) - p.cp
            if p.compressed:
                parts.append(self.word[p.fc:p.fc + n].decode("latin-1").translate(_CP1252_TABLE))
            else:
                parts.append(self.word[p.fc:p.fc + 2 * n].decode("utf-16-le", errors="replace"))
        self._piece_starts = [p.cp for p in self.pieces]
        return "".join(parts)

    def _piece_at(self, cp: int) -> _Piece | None:
        k = bisect.bisect_right(self._piece_starts, cp) - 1
        if k < 0:
            return None
        p = self.pieces[k]
        return p if p.cp <= cp < p.end else None

    def _fc(self, cp: int) -> tuple[int, _Piece] | None:
        p = self._piece_at(cp)
        if p is None:
            return None
        return p.fc + (cp - p.cp) * (1 if p.compressed else 2), p

    # formatted disk pages ---------------------------------------------------------------------

    def _bte(self, i: int, what: str, strict: bool = True) -> tuple[list[int], list[int]]:
        """The index of formatted disk pages (PlcBte): page start FCs and page numbers. Without
        `strict`, a broken index means no such properties rather than an unreadable file."""
        try:
            plc = self._table_slice(i, f"{what} property index (PlcBte)")
        except DocFormatError:
            if strict:
                raise
            return [], []
        if len(plc) < 4 or (len(plc) - 4) % 8:
            return [], []
        n = (len(plc) - 4) // 8
        fcs = list(struct.unpack_from(f"<{n + 1}I", plc, 0))
        if any(b <= a for a, b in zip(fcs, fcs[1:], strict=False)):
            if not strict:
                return [], []
            raise DocFormatError(f"the {what} property index (PlcBte) is not in ascending order")
        pns = [pn & 0x3FFFFF for pn in struct.unpack_from(f"<{n}I", plc, 4 * (n + 1))]
        return fcs, pns

    def _fkp(self, kind: str, pn: int) -> list[tuple[int, int, bytes]]:
        """The runs (fc, fc_end, grpprl-with-istd or grpprl) of one formatted disk page."""
        key = (kind, pn)
        if key in self._fkp_cache:
            return self._fkp_cache[key]
        what = "paragraph" if kind == "pap" else "character"
        runs: list[tuple[int, int, bytes]] = []
        start = pn * _FKP
        page = self.word[start:start + _FKP]
        if len(page) < _FKP:
            raise DocFormatError(f"{what} property page {pn} lies outside the WordDocument stream")
        crun = page[511]
        entry = 13 if kind == "pap" else 1
        if 4 * (crun + 1) + entry * crun > 511:
            raise DocFormatError(f"{what} property page {pn} claims {crun} runs, more than a page holds")
        fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
        if any(b <= a for a, b in zip(fcs, fcs[1:], strict=False)):
            raise DocFormatError(f"{what} property page {pn} is corrupt (runs out of order)")
        for j in range(crun):
            off = 2 * page[4 * (crun + 1) + entry * j]
            runs.append((fcs[j], fcs[j + 1], self._fkp_props(kind, page, off)))
        self._fkp_cache[key] = runs
        return runs

    def _fkp_or_nothing(self, kind: str, pn: int) -> list[tuple[int, int, bytes]]:
        """Paragraph pages must be sound (tables depend on them); a broken character page only
        costs formatting hints (font size, deletions), so its text is read as plain."""
        if kind == "pap":
            return self._fkp(kind, pn)
        try:
            return self._fkp(kind, pn)
        except DocFormatError:
            self._fkp_cache[(kind, pn)] = []
            return []

    @staticmethod
    def _fkp_props(kind: str, page: bytes, off: int) -> bytes:
        if off == 0 or off >= 511:
            return b""
        cb = page[off]
        if kind == "chp":
            return page[off + 1:min(off + 1 + cb, 511)]
        if cb:
            return page[off + 1:min(off + 2 * cb, 511)]  # 2*cb-1 bytes: istd + grpprl
        return page[off + 2:min(off + 2 + 2 * page[off + 1], 511)] if off + 1 < 511 else b""

    def _runs_over(self, kind: str, fc0: int, fc1: int):
        """FKP runs overlapping the bytes [fc0, fc1) of the WordDocument stream."""
        fcs, pns = self._pap_bte if kind == "pap" else self._chp_bte
        k = max(bisect.bisect_right(fcs, fc0) - 1, 0)
        while k < len(pns) and fcs[k] < fc1:
            lo, hi = max(fcs[k], fc0), min(fcs[k + 1], fc1)  # a page only speaks for its own range
            for a, b, props in self._fkp_or_nothing(kind, pns[k]):
                if b > lo and a < hi:
                    yield max(a, lo), min(b, hi), props
            k += 1

    # properties -------------------------------------------------------------------------------

    def _prm_sprms(self, prm: int) -> bytes:
        if prm & 1:
            i = prm >> 1
            return self.prcs[i] if i < len(self.prcs) else b""
        return b""  # a single-sprm Prm0 only ever carries character formatting that we do not use

    def pap(self, mark_cp: int) -> _Pap:
        """Paragraph properties of the paragraph whose mark is at `mark_cp`."""
        pap = _Pap()
        located = self._fc(mark_cp)
        if located is None:
            return pap
        fc, piece = located
        props = next(self._runs_over("pap", fc, fc + 1), None)
        grpprls = []
        if props is not None and len(props[2]) >= 2:
            pap.istd = struct.unpack_from("<H", props[2], 0)[0]
            grpprls.append(props[2][2:])
        grpprls.append(self._prm_sprms(piece.prm))
        for grpprl in grpprls:
            for sprm, arg in _sprms(grpprl):
                if sprm == _P_HUGE and len(arg) == 4:
                    self._apply_pap(pap, _sprms(self._huge_papx(struct.unpack("<I", arg)[0])))
                else:
                    self._apply_pap(pap, [(sprm, arg)])
        return pap

    def _huge_papx(self, fc: int) -> bytes:
        if fc + 2 > len(self.data):
            raise DocFormatError(f"paragraph properties at {fc} lie outside the Data stream ({len(self.data)} bytes)")
        cb = struct.unpack_from("<H", self.data, fc)[0]
        if fc + 2 + cb > len(self.data):
            raise DocFormatError(f"paragraph properties of {cb} bytes run past the Data stream")
        return self.data[fc + 2:fc + 2 + cb]

    @staticmethod
    def _apply_pap(pap: _Pap, sprms) -> None:
        for sprm, arg in sprms:
            if not arg:
                continue
            if sprm == _P_INTABLE:
                pap.in_table = bool(arg[0])
            elif sprm == _P_TTP:
                pap.ttp = bool(arg[0])
            elif sprm == _P_ITAP and len(arg) == 4:
                pap.itap = struct.unpack("<i", arg)[0]
            elif sprm == _P_DTAP and len(arg) == 4:
                pap.itap = (pap.itap or 0) + struct.unpack("<i", arg)[0]
            elif sprm == _P_INNER_CELL:
                pap.inner_cell = bool(arg[0])
            elif sprm == _P_INNER_TTP:
                pap.inner_ttp = bool(arg[0])
            elif sprm in (_P_JC80, _P_JC):
                pap.centered = arg[0] == 1
            elif sprm == _P_OUTLVL:
                pap.outline = arg[0] < 9  # 9 is "body text"
            elif sprm >> 10 & 7 == 5:  # sgc 5: table properties
                pap.table_sprms.append((sprm, arg))

    def _chp_runs(self) -> list[tuple[int, int, _Chp]]:
        """Character property runs over the main text as (cp, cp_end, chp), in CP order."""
        out: list[tuple[int, int, _Chp]] = []
        if not self._chp_bte[0]:
            return out
        for p in self.pieces:
            if p.cp >= self.ccp_text:
                break
            width = 1 if p.compressed else 2
            fc_end = p.fc + (min(p.end, self.ccp_text) - p.cp) * width
            for fc0, fc1, grpprl in self._runs_over("chp", p.fc, fc_end):
                chp = _Chp()
                for sprm, arg in _sprms(grpprl):
                    if sprm == _C_HPS and len(arg) == 2:
                        chp.hps = struct.unpack("<H", arg)[0]
                    elif sprm == _C_RMARKDEL:
                        chp.deleted = arg[0] in (1, 0x81)
                    elif sprm == _C_SPEC:
                        chp.special = arg[0] in (1, 0x81)
                a = p.cp + (max(fc0, p.fc) - p.fc) // width
                b = p.cp + (min(fc1, fc_end) - p.fc + width - 1) // width
                if b > a:
                    out.append((a, b, chp))
        out.sort(key=lambda r: r[0])
        return out

    def _max_hps(self, cp0: int, cp1: int) -> int:
        starts = self._chp_starts
        k = max(bisect.bisect_right(starts, cp0) - 1, 0)
        best = 0
        while k < len(self.chp_runs) and self.chp_runs[k][0] <= cp1:
            a, b, chp = self.chp_runs[k]
            if b > cp0:
                best = max(best, chp.hps)
            k += 1
        return best

    def _style_names(self) -> dict[int, str]:
        """istd → style name, from the style sheet (STSH). Best effort: a broken style sheet only
        costs the heading/title hints, never the text."""
        try:
            stsh = self._table_slice(1, "style sheet")
        except DocFormatError:
            return {}
        names: dict[int, str] = {}
        if len(stsh) < 6:
            return names
        cb_stshi = struct.unpack_from("<H", stsh, 0)[0]
        cstd, cb_base = struct.unpack_from("<HH", stsh, 2)
        pos = 2 + cb_stshi
        for istd in range(cstd):
            if pos + 2 > len(stsh):
                break
            cb = struct.unpack_from("<H", stsh, pos)[0]
            std = stsh[pos + 2:pos + 2 + cb]
            pos += 2 + cb
            if len(std) < cb_base + 2:
                continue
            sti = struct.unpack_from("<H", std, 0)[0] & 0x0FFF
            cch = struct.unpack_from("<H", std, cb_base)[0]
            raw = std[cb_base + 2:cb_base + 2 + 2 * cch]
            # A built-in style is known by its identifier whatever the name's language ("标题 1").
            names[istd] = (f"heading {sti}" if 1 <= sti <= 9 else "title" if sti == _STI_TITLE
                           else raw.decode("utf-16-le", errors="replace"))
        return names

    def _section_marks(self) -> set[int]:
        """CPs of the section marks (\\x0c that end a section and its paragraph); any other \\x0c
        in the text is a page break inside a paragraph."""
        try:
            plc = self._table_slice(6, "section table")
        except DocFormatError:
            return set()
        if len(plc) < 4 or (len(plc) - 4) % 16:
            return set()
        n = (len(plc) - 4) // 16
        cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
        return {cp - 1 for cp in cps[1:]}

    # paragraphs and tables --------------------------------------------------------------------

    def paragraphs(self):
        """(raw text, cp of the first character, cp of the mark, mark) for every paragraph of the
        main text, with field codes dropped (their results kept), deleted revisions and special
        characters removed, tabs as spaces and line breaks as "\\n"."""
        text = self._visible_text()
        fields: list[bool] = []  # one per open field: True once its result has started
        in_code = 0  # open fields still in their code: nothing shows until it is 0
        buf: list[str] = []
        start = pos = 0
        for m in _CONTROL.finditer(text):
            i = m.start()
            if not in_code:
                buf.append(text[pos:i])
            pos = i + 1
            ch = text[i]
            if ch in "\r\x07" or ch == "\x0c" and i in self.section_marks:
                yield "".join(buf), start, i, ch
                buf, start = [], i + 1
            elif ch == "\x13":
                fields.append(False)
                in_code += 1
            elif ch == "\x14":
                if fields and not fields[-1]:
                    fields[-1] = True
                    in_code -= 1
            elif ch == "\x15":
                if fields and not fields.pop():
                    in_code -= 1
            elif not in_code:
                if ch == "\t":
                    buf.append(" ")
                elif ch in "\x0b\x0c\x0e":  # line, page and column breaks
                    buf.append("\n")
                elif ch == "\x1e":  # non-breaking hyphen
                    buf.append("-")
                # everything else (objects \x01 \x08, footnote marks \x02, soft hyphens...) drops
        if not in_code:
            buf.append(text[pos:])
        if "".join(buf).strip():
            yield "".join(buf), start, len(text), ""

    def _visible_text(self) -> str:
        """The text with deleted revisions and special-character placeholders turned into \\x00
        (dropped later); structural marks stay so paragraphs and cells keep their place."""
        hidden = [(a, b) for a, b, chp in self.chp_runs if chp.deleted or chp.special]
        if not hidden:
            return self.text
        chars = list(self.text)
        for a, b, chp in self.chp_runs:
            if chp.deleted:
                for i in range(a, min(b, len(chars))):
                    if chars[i] not in _STRUCTURAL:
                        chars[i] = "\x00"
            elif chp.special:  # a symbol-font glyph stands in the text as "(": it is not the text
                for i in range(a, min(b, len(chars))):
                    if chars[i] == "(":
                        chars[i] = "\x00"
        return "".join(chars)

    def items(self) -> list[TextBlock | Table]:
        items: list[TextBlock | Table] = []
        self._n_tables = 0
        stack: list[_TableBuilder] = []
        for raw, cp0, mark_cp, mark in self.paragraphs():
            pap = self.pap(mark_cp) if mark else _Pap()
            depth = pap.depth
            if mark == "\x07" and depth == 0:
                depth = 1  # a cell mark says "table" even where the properties do not
            if depth > MAX_TABLE_DEPTH:
                raise DocFormatError(f"table nesting depth {depth} at CP {mark_cp} is absurd")
            while len(stack) > depth:
                self._close(stack, items)
            if depth == 0:
                block = self._block(raw, cp0, mark_cp, pap)
                if block is not None:
                    items.append(block)
                continue
            while len(stack) < depth:
                stack.append(_TableBuilder(parent=stack[-1] if stack else None))
            table = stack[-1]
            if (depth == 1 and pap.ttp) or (depth > 1 and pap.inner_ttp):
                table.end_row(_tap(pap.table_sprms))
            elif (depth == 1 and mark == "\x07") or (depth > 1 and pap.inner_cell):
                table.add_paragraph(raw)
                table.end_cell()
            else:
                table.add_paragraph(raw)
        while stack:
            self._close(stack, items)
        return items

    def _block(self, raw: str, cp0: int, mark_cp: int, pap: _Pap) -> TextBlock | None:
        text = paragraph_clean(raw)
        if not text:
            return None
        kind = classify(text, style=self.styles.get(pap.istd, ""), centered=pap.centered,
                        outline=pap.outline, max_size=lambda: self._max_hps(cp0, mark_cp))
        return TextBlock(text=text, page=None, kind=kind)

    def _close(self, stack: list[_TableBuilder], items: list) -> None:
        builder = stack.pop()
        builder.finish()
        if builder.parent is not None:
            builder.parent.add_nested(builder)
        else:
            self._emit(builder, items, None)

    def _emit(self, builder: _TableBuilder, items: list, parent: tuple[int, int, int] | None) -> None:
        """Append a finished table, then the tables nested in it, as the .docx backend does."""
        index = self._n_tables
        self._n_tables += 1
        title, unit = take_caption(items) if parent is None else (None, None)
        items.append(Table(index=index, n_rows=builder.n_rows, n_cols=builder.n_cols, cells=builder.cells,
                           title=title, unit=unit, extractor=EXTRACTOR, parent=parent,
                           row_pages=[None] * builder.n_rows))
        for row, col, inner in builder.nested_at:
            self._emit(inner, items, (index, row, col))


# --- tables ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tc:
    horz: int = 0  # 0 none, 1 first of a horizontal merge, 2/3 merged into the cell before
    vert: int = 0  # 0 none, 1/2 continues the merge above, 3 starts a vertical merge


@dataclass(slots=True)
class _Tap:
    centers: list[int]  # cell boundaries in twips, one more than cells
    tcs: list[_Tc]


def _tap(sprms: list[tuple[int, bytes]]) -> _Tap | None:
    tap: _Tap | None = None
    for sprm, arg in sprms:
        if sprm == _T_DEFTABLE and len(arg) >= 1:
            n = arg[0]
            if len(arg) < 1 + 2 * (n + 1):
                continue
            centers = list(struct.unpack_from(f"<{n + 1}h", arg, 1))
            tcs = []
            base = 1 + 2 * (n + 1)
            for i in range(n):
                off = base + 20 * i
                flags = struct.unpack_from("<H", arg, off)[0] if off + 2 <= len(arg) else 0
                tcs.append(_Tc(horz=flags & 3, vert=flags >> 5 & 3))
            tap = _Tap(centers, tcs)
        elif tap is None:
            continue
        elif sprm in (_T_MERGE, _T_SPLIT) and len(arg) >= 2:
            first, lim = arg[0], min(arg[1], len(tap.tcs))
            for i in range(first, lim):
                tap.tcs[i].horz = 0 if sprm == _T_SPLIT else (1 if i == first else 2)
        elif sprm == _T_VERTMERGE and len(arg) >= 2 and arg[0] < len(tap.tcs):
            tap.tcs[arg[0]].vert = arg[1] & 3
    return tap


@dataclass(slots=True)
class _Row:
    cells: list[list[str]]
    tap: _Tap | None
    nested: list[tuple[int, _TableBuilder]]  # (cell index, table)


class _TableBuilder:
    def __init__(self, parent: _TableBuilder | None):
        self.parent = parent
        self.rows: list[_Row] = []
        self._cells: list[list[str]] = []
        self._paragraphs: list[str] = []
        self._nested: list[tuple[int, _TableBuilder]] = []
        self.cells: list[Cell] = []
        self.nested_at: list[tuple[int, int, _TableBuilder]] = []  # (row, col, table)
        self.n_rows = self.n_cols = 0

    def add_paragraph(self, raw: str) -> None:
        self._paragraphs.append(raw)

    def end_cell(self) -> None:
        self._cells.append(self._paragraphs)
        self._paragraphs = []

    def add_nested(self, inner: _TableBuilder) -> None:
        self._nested.append((len(self._cells), inner))

    def end_row(self, tap: _Tap | None) -> None:
        if self._paragraphs:  # text after the last cell mark (a malformed row): a cell of its own
            self.end_cell()
        if self._cells or self._nested:
            self.rows.append(_Row(self._cells, tap, self._nested))
        self._cells, self._nested = [], []

    def finish(self) -> None:
        """Lay the rows on one column grid made of every row's cell boundaries: a cell spans the
        grid columns between its boundaries, as Word and LibreOffice draw it."""
        self.end_row(None)
        edges = _grid_edges([row.tap.centers for row in self.rows if row.tap])
        if len(edges) > MAX_GRID_COLUMNS + 1:
            raise DocFormatError(f"a table whose rows draw {len(edges) - 1} distinct columns is absurd")
        anchors: list[Cell] = []
        open_vmerge: dict[int, Cell] = {}
        for r, row in enumerate(self.rows):
            col_of_cell: dict[int, int] = {}
            next_col = 0
            last: Cell | None = None
            for i, paragraphs in enumerate(row.cells):
                tc = row.tap.tcs[i] if row.tap and i < len(row.tap.tcs) else _Tc()
                c0, c1 = _cell_columns(row.tap, i, edges, next_col)
                text = cell_clean(paragraphs)
                if tc.horz >= 2 and last is not None:  # merged into the cell on its left
                    last.col_span = max(last.col_span, c1 - last.col)
                    last.text = cell_clean([last.text, text]) if text else last.text
                    col_of_cell[i] = last.col
                    next_col = last.col + last.col_span
                    continue
                if tc.vert in (1, 2) and c0 in open_vmerge:
                    anchor = open_vmerge[c0]
                    anchor.row_span = r - anchor.row + 1
                    col_of_cell[i] = c0
                    last, next_col = None, c1
                    continue
                cell = Cell(row=r, col=c0, text=text, col_span=c1 - c0)
                anchors.append(cell)
                for c in range(c0, c1):
                    open_vmerge.pop(c, None)
                if tc.vert:
                    open_vmerge[c0] = cell
                col_of_cell[i] = c0
                last, next_col = cell, c1
                self.n_cols = max(self.n_cols, c1)
            for i, inner in row.nested:
                self.nested_at.append((r, col_of_cell.get(i, col_of_cell.get(i - 1, 0)), inner))
        self.cells = sorted(anchors, key=lambda c: (c.row, c.col))
        self.n_rows = len(self.rows)
        self.n_cols = max(self.n_cols, len(edges) - 1, 1 if self.rows else 0)


_EDGE_TOLERANCE = 10  # twips (1/144 inch): boundaries closer than this are one grid line


def _grid_edges(all_centers: list[list[int]]) -> list[int]:
    edges: list[int] = []
    for x in sorted({x for centers in all_centers for x in centers}):
        if not edges or x - edges[-1] > _EDGE_TOLERANCE:
            edges.append(x)
    return edges


def _cell_columns(tap: _Tap | None, i: int, edges: list[int], next_col: int) -> tuple[int, int]:
    """Grid columns [c0, c1) of cell i; never left of where the row has got to."""
    if tap is None or i + 1 >= len(tap.centers) or not edges:
        return next_col, next_col + 1
    c0 = max(_nearest(edges, tap.centers[i]), next_col)
    c1 = max(_nearest(edges, tap.centers[i + 1]), c0 + 1)
    return c0, c1


def _nearest(edges: list[int], x: int) -> int:
    k = bisect.bisect_left(edges, x)
    if k == len(edges) or k > 0 and x - edges[k - 1] <= edges[k] - x:
        return k - 1
    return k


# --- sprms -----------------------------------------------------------------------------------


def _sprms(grpprl: bytes):
    """(sprm, operand) pairs of a property list; stops at the first one that runs past the end."""
    i, n = 0, len(grpprl)
    while i + 2 <= n:
        sprm = struct.unpack_from("<H", grpprl, i)[0]
        i += 2
        spra = sprm >> 13
        if spra != 6:
            size = _SPRA_SIZE[spra]
        elif sprm == _T_DEFTABLE:  # a 2-byte length that counts itself as 1
            if i + 2 > n:
                return
            size = struct.unpack_from("<H", grpprl, i)[0] - 1
            i += 2
        elif sprm == _P_CHGTABS and i < n and grpprl[i] == 255:
            size = _chgtabs_size(grpprl, i + 1)
            i += 1
        else:
            if i >= n:
                return
            size = grpprl[i]
            i += 1
        if size < 0 or i + size > n:
            return
        yield sprm, grpprl[i:i + size]
        i += size


def _chgtabs_size(grpprl: bytes, i: int) -> int:
    """sprmPChgTabs with cb 255: the operand's length follows from its own counts."""
    if i >= len(grpprl):
        return -1
    dels = grpprl[i]
    j = i + 1 + 4 * dels
    if j >= len(grpprl):
        return -1
    adds = grpprl[j]
    return 1 + 4 * dels + 1 + 3 * adds


__all__ = ["DocFormatError", "UnsupportedDocVersion", "WordBinary", "extract_doc_body"]
