"""A small writer of Word 97–2003 binary documents, for tests: the structures the .doc reader
reads (FIB, piece table with compressed cp1252 and UTF-16 pieces, PAPX and CHPX pages, a style
sheet, a section table) in an OLE compound file. Not a general writer: enough for LibreOffice to
open what it writes (which is how its output was checked) and for the tests to build the cases
the sample corpus does not have: compressed text, several pieces, fields, old-style merges, nested
tables, and broken files.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

FC_TEXT = 0x800  # where the text starts in the WordDocument stream, as Word puts it


# --- sprms -----------------------------------------------------------------------------------


def sprm(code: int, operand: bytes) -> bytes:
    if code == 0xD608:  # sprmTDefTable: a 2-byte length that counts itself as 1
        return struct.pack("<HH", code, len(operand) + 1) + operand
    if code >> 13 == 6:
        return struct.pack("<HB", code, len(operand)) + operand
    return struct.pack("<H", code) + operand


IN_TABLE = sprm(0x2416, b"\x01")
TTP = sprm(0x2417, b"\x01")
CENTER = sprm(0x2403, b"\x01") + sprm(0x2461, b"\x01")


def itap(depth: int) -> bytes:
    return sprm(0x6649, struct.pack("<i", depth))


INNER_CELL = sprm(0x244B, b"\x01")
INNER_TTP = sprm(0x244C, b"\x01")


def tdef_table(widths: list[int], flags: list[int] | None = None, left: int = 0) -> bytes:
    """sprmTDefTable for a row of cells `widths` twips wide; `flags` are the TC80 tcgrf words
    (bits 0-1 horizontal merge: 1 first, 2 merged; bits 5-6 vertical merge: 3 first, 1 merged)."""
    flags = flags or [0] * len(widths)
    centers = [left]
    for w in widths:
        centers.append(centers[-1] + w)
    body = bytes([len(widths)]) + struct.pack(f"<{len(centers)}h", *centers)
    for f, w in zip(flags, widths, strict=True):
        body += struct.pack("<HH", f, w) + b"\x00" * 16
    return sprm(0xD608, body)


def hps(half_points: int) -> bytes:
    return sprm(0x4A43, struct.pack("<H", half_points))


DELETED = sprm(0x0800, b"\x01")
SPECIAL = sprm(0x0855, b"\x01")


# --- document ---------------------------------------------------------------------------------


@dataclass
class Para:
    text: str  # without its mark
    mark: str = "\r"  # "\r" paragraph, "\x07" cell or row end, "\x0c" section end
    sprms: bytes = b""  # direct paragraph properties
    istd: int = 0


def cell(text: str, *extra: bytes) -> Para:
    return Para(text, "\x07", IN_TABLE + b"".join(extra))


def row_end(widths: list[int], flags: list[int] | None = None) -> Para:
    return Para("", "\x07", IN_TABLE + TTP + tdef_table(widths, flags))


@dataclass
class Spec:
    paras: list[Para]
    pieces: list[tuple[int, bool]] | None = None  # (characters, compressed); default: one piece
    chp: list[tuple[int, int, bytes]] = field(default_factory=list)  # (cp, cp_end, grpprl)
    styles: list[str] = field(default_factory=lambda: ["Normal"])
    section_ends: list[int] = field(default_factory=list)  # CPs where a section ends (after \x0c)
    prcs: list[bytes] = field(default_factory=list)  # grpprls the pieces' prm may point at
    prms: list[int] | None = None  # one per piece


def text_of(spec: Spec) -> str:
    return "".join(p.text + p.mark for p in spec.paras)


def build_streams(spec: Spec) -> tuple[bytes, bytes]:
    """The WordDocument and 1Table streams of the document `spec` describes."""
    text = text_of(spec)
    pieces = spec.pieces or [(len(text), _fits_cp1252(text))]
    assert sum(n for n, _ in pieces) == len(text), "pieces must cover the text"
    body = bytearray()
    char_fc: list[int] = []
    pcds = []
    cp = 0
    for n, compressed in pieces:
        chunk = text[cp:cp + n]
        fc = FC_TEXT + len(body)
        if compressed:
            data = chunk.encode("cp1252")
            char_fc += [fc + i for i in range(n)]
            pcds.append((cp, (fc * 2) | 0x40000000))
        else:
            data = chunk.encode("utf-16-le")
            char_fc += [fc + 2 * i for i in range(n)]
            pcds.append((cp, fc))
        body += data
        cp += n
    char_end = [char_fc[i] + (1 if _compressed_at(pieces, i) else 2) for i in range(len(text))]
    word = bytearray(FC_TEXT) + body
    word += b"\x00" * (-len(word) % 512)

    # Paragraph property pages: one run per paragraph, from its first character to its mark.
    pap_runs = []
    start = 0
    for p in spec.paras:
        end = start + len(p.text) + 1
        pap_runs.append((char_fc[start], char_end[end - 1], struct.pack("<H", p.istd) + p.sprms))
        start = end
    pap_pages, pap_bte = _fkp_pages(pap_runs, "pap", len(word) // 512)
    word += b"".join(pap_pages)
    # Character property pages: the given runs, plain text between them.
    # Field characters and object anchors are "special" characters, as Word marks them.
    chp = list(spec.chp) + [(i, i + 1, SPECIAL) for i, ch in enumerate(text) if ch in "\x01\x08\x13\x14\x15"
                            and not any(a <= i < b for a, b, _ in spec.chp)]
    chp_runs = []
    cuts = sorted({0, len(text)} | {a for a, _, _ in chp} | {b for _, b, _ in chp})
    props = {(a, b): g for a, b, g in chp}
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a < b:
            chp_runs.append((char_fc[a], char_end[b - 1], props.get((a, b), b"")))
    chp_pages, chp_bte = _fkp_pages(chp_runs, "chp", len(word) // 512)
    word += b"".join(chp_pages)

    table = bytearray()
    where: dict[int, tuple[int, int]] = {}

    def put(index: int, blob: bytes) -> None:
        where[index] = (len(table), len(blob))
        table.extend(blob)

    put(1, _stylesheet(spec.styles))
    ends = spec.section_ends + [len(text)]
    put(6, struct.pack(f"<{len(ends) + 1}I", 0, *ends) + b"".join(
        struct.pack("<hIhI", 0, 0xFFFFFFFF, 0, 0) for _ in ends))
    put(12, chp_bte)
    put(13, pap_bte)
    put(15, _fonts())
    put(16, _field_plcf(text))
    put(31, b"\x00" * 544)  # DOP: all defaults
    prms = spec.prms or [0] * len(pieces)
    plc = struct.pack(f"<{len(pcds) + 1}I", *[c for c, _ in pcds], len(text))
    plc += b"".join(struct.pack("<HIH", 0, fc, prm) for (_, fc), prm in zip(pcds, prms, strict=True))
    clx = b"".join(b"\x01" + struct.pack("<h", len(g)) + g for g in spec.prcs)
    put(33, clx + b"\x02" + struct.pack("<I", len(plc)) + plc)

    fib = _fib(len(word), len(text), where)
    word[:len(fib)] = fib
    return bytes(word), bytes(table)


def _fits_cp1252(text: str) -> bool:
    try:
        text.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


def _compressed_at(pieces: list[tuple[int, bool]], cp: int) -> bool:
    for n, compressed in pieces:
        if cp < n:
            return compressed
        cp -= n
    raise IndexError(cp)


def _fkp_pages(runs: list[tuple[int, int, bytes]], kind: str, first_pn: int) -> tuple[list[bytes], bytes]:
    """Formatted disk pages holding `runs` (fc, fc_end, properties) and their PlcBte."""
    entry = 13 if kind == "pap" else 1
    pages: list[bytes] = []
    bte_fcs: list[int] = []
    i = 0
    while i < len(runs):
        chunk: list[tuple[int, int, bytes]] = []
        while i < len(runs):
            trial = chunk + [runs[i]]
            if _layout(trial, kind, entry) is None:
                break
            chunk, i = trial, i + 1
        if not chunk:
            raise ValueError("a property run does not fit in a page")
        pages.append(_layout(chunk, kind, entry))
        bte_fcs.append(chunk[0][0])
    bte_fcs.append(runs[-1][1] if runs else FC_TEXT)
    pns = range(first_pn, first_pn + len(pages))
    return pages, struct.pack(f"<{len(bte_fcs)}I", *bte_fcs) + struct.pack(f"<{len(pages)}I", *pns)


def _layout(runs, kind: str, entry: int) -> bytes | None:
    crun = len(runs)
    page = bytearray(512)
    fcs = [r[0] for r in runs] + [runs[-1][1]]
    head = 4 * (crun + 1) + entry * crun
    struct.pack_into(f"<{crun + 1}I", page, 0, *fcs)
    top = 511
    for j, (_, _, props) in enumerate(runs):
        if kind == "chp":
            if not props:
                continue
            blob = bytes([len(props)]) + props
        else:
            blob = bytes([(len(props) + 1) // 2]) + props if len(props) % 2 else b"\x00" + bytes([len(props) // 2]) + props
        top = (top - len(blob)) & ~1
        if top < head:
            return None
        page[top:top + len(blob)] = blob
        page[4 * (crun + 1) + entry * j] = top // 2
    page[511] = crun
    return bytes(page)


def _stylesheet(names: list[str]) -> bytes:
    """STSH: the STSHI, then one STD per style (StdBase, name, UPXs), paragraph styles only."""
    stshi = struct.pack("<HHHHHH3H", len(names), 10, 1, 0x5B, 15, 0, 0, 0, 0)
    out = struct.pack("<H", len(stshi)) + stshi
    for istd, name in enumerate(names):
        sti = istd if istd < 10 else 0xFFE  # 0 Normal, 1-9 heading 1-9, else user defined
        base = struct.pack("<HHHHH", sti, 1 | (0x0FFF if istd == 0 else 0) << 4, 2 | (istd << 4), 0, 0)
        std = base + struct.pack("<H", len(name)) + name.encode("utf-16-le") + b"\x00\x00"
        std += struct.pack("<HH", 2, istd)  # UpxPapx: the style's istd, no properties
        std += struct.pack("<H", 0)  # UpxChpx: none
        out += struct.pack("<H", len(std)) + std
    return out


def _field_plcf(text: str) -> bytes:
    """PlcFld of the main text: the CP of every field character and its FLD (a HYPERLINK field
    type on each begin; has-separator on each end whose field had one)."""
    cps, flds, open_fields = [], [], []
    for cp, ch in enumerate(text):
        if ch == "\x13":
            open_fields.append(False)
            cps.append(cp)
            flds.append(b"\x13\x58")  # flt 88: HYPERLINK
        elif ch == "\x14" and open_fields:
            open_fields[-1] = True
            cps.append(cp)
            flds.append(b"\x14\xff")
        elif ch == "\x15" and open_fields:
            cps.append(cp)
            flds.append(b"\x15" + (b"\x80" if open_fields.pop() else b"\x00"))
    if not cps:
        return b""
    return struct.pack(f"<{len(cps) + 1}I", *cps, len(text)) + b"".join(flds)


def _fonts() -> bytes:
    name = "Times New Roman".encode("utf-16-le") + b"\x00\x00"
    ffn = bytes([0x26]) + struct.pack("<h", 400) + bytes([0, 0, 0]) + b"\x00" * 10 + b"\x00" * 24 + name
    ffn = bytes([len(ffn)]) + ffn
    return struct.pack("<HH", 1, 0) + ffn


def _fib(word_len: int, ccp_text: int, where: dict[int, tuple[int, int]]) -> bytes:
    base = struct.pack("<HHHHH", 0xA5EC, 0xC1, 0, 0x0409, 0)
    base += struct.pack("<H", 0x0200 | 0x1000)  # fWhichTblStm: 1Table; fExtChar
    base += struct.pack("<HIBBHHII", 0xBF, 0, 0, 0, 0, 0, 0, 0)
    assert len(base) == 32, len(base)
    rgw = struct.pack("<H", 14) + b"\x00" * 28
    lw = [0] * 22
    lw[0], lw[3] = word_len, ccp_text
    rglw = struct.pack("<H", 22) + struct.pack("<22i", *lw)
    pairs = [0] * (93 * 2)
    for i, (fc, lcb) in where.items():
        pairs[2 * i], pairs[2 * i + 1] = fc, lcb
    blob = struct.pack("<H", 93) + struct.pack(f"<{93 * 2}I", *pairs)
    return base + rgw + rglw + blob + struct.pack("<H", 0)


# --- OLE compound file --------------------------------------------------------------------------

_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A version 3 compound file (512-byte sectors) holding `streams`; each stream is padded to
    4096 bytes so no mini stream is needed."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    data = {n: streams[n] + b"\x00" * max(0, 4096 - len(streams[n])) for n in names}
    data = {n: d + b"\x00" * (-len(d) % 512) for n, d in data.items()}
    sectors = bytearray()
    starts = {}
    fat: list[int] = []
    for n in names:
        starts[n] = len(fat)
        count = len(data[n]) // 512
        fat += [len(fat) + k + 1 for k in range(count - 1)] + [_END]
        sectors += data[n]
    dir_entries = [_dir_entry("Root Entry", 5, _END, 0, child=1 if names else _FREE)]
    for i, n in enumerate(names):
        right = i + 2 if i + 1 < len(names) else _FREE
        dir_entries.append(_dir_entry(n, 2, starts[n], len(streams[n]) if len(streams[n]) >= 4096 else len(data[n]),
                                      right=right))
    directory = b"".join(dir_entries)
    directory += _dir_entry("", 0, _FREE, 0) * (-len(dir_entries) % 4)
    dir_start = len(fat)
    dir_count = len(directory) // 512
    fat += [dir_start + k + 1 for k in range(dir_count - 1)] + [_END]
    sectors += directory
    n_fat = 1
    while (len(fat) + n_fat) > 128 * n_fat:
        n_fat += 1
    fat_start = len(fat)
    fat += [_FAT] * n_fat
    fat += [_FREE] * (128 * n_fat - len(fat))
    sectors += struct.pack(f"<{len(fat)}I", *fat)
    difat = list(range(fat_start, fat_start + n_fat)) + [_FREE] * (109 - n_fat)
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, n_fat, dir_start, 0, 4096, _END, 0, _END, 0)
    header += struct.pack("<109I", *difat)
    assert len(header) == 512
    return header + bytes(sectors)


def _dir_entry(name: str, kind: int, start: int, size: int, child: int = _FREE, right: int = _FREE) -> bytes:
    raw = name.encode("utf-16-le")
    entry = raw + b"\x00" * (64 - len(raw))
    entry += struct.pack("<HBB", len(raw) + 2 if name else 0, kind, 1)
    entry += struct.pack("<III", _FREE, right, child)
    entry += b"\x00" * 16 + struct.pack("<I", 0) + b"\x00" * 16
    entry += struct.pack("<IQ", start, size)
    assert len(entry) == 128
    return entry


def write_doc(path, spec: Spec) -> None:
    word, table = build_streams(spec)
    path.write_bytes(compound_file({"WordDocument": word, "1Table": table}))
