"""A cap on what one PDF stream may inflate to, where pdfminer inflates it.

pdfminer decodes a stream in one call (`zlib.decompress(data)`, then `lzwdecode`, `rldecode`):
a 1.5 MB FlateDecode content stream of one repeated byte becomes 1.5 GB before anything can look
at it. `install()` swaps the decoders pdfminer's `pdftypes` module calls for ones that stop at the
cap (FISCALDOCS_MAX_INFLATED_MB) and raise `LimitExceeded`, checking while inflating, never after.
Same results below the cap (a stream that fails to inflate still raises `zlib.error`, so pdfminer's
own fallback for corrupted streams runs as before, capped too). pypdfium2, used by camelot on a
few pages, inflates in C: the worker's memory limit bounds it.
"""

from __future__ import annotations

import zlib

from fiscaldocs.extractors.limits import LimitExceeded, limits

_CHUNK = 1 << 20


def _cap() -> int:
    cap = limits().inflated_bytes
    return cap if cap != float("inf") else 1 << 62


def _too_big(size: int) -> LimitExceeded:
    return LimitExceeded(f"a compressed PDF stream inflates to more than the limit of {limits().inflated_mb} MB "
                         "(raise it with FISCALDOCS_MAX_INFLATED_MB)")


class _CappedDecompressor:
    """zlib's decompressobj that refuses to produce more than the cap in total."""

    def __init__(self, *args):
        self._d = zlib.decompressobj(*args)
        self._total = 0
        self._cap = _cap()

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        room = self._cap - self._total + 1
        out = self._d.decompress(data, room if not max_length else min(max_length, room))
        self._total += len(out)
        if self._total > self._cap:
            raise _too_big(self._total)
        return out

    def flush(self, *args) -> bytes:
        return self._d.flush(*args)

    def __getattr__(self, name):  # eof, unused_data, unconsumed_tail
        return getattr(self._d, name)


class _CappedZlib:
    """Stands in for the `zlib` module inside pdfminer.pdftypes."""

    error = zlib.error
    decompressobj = _CappedDecompressor

    @staticmethod
    def decompress(data: bytes, *args) -> bytes:
        d = _CappedDecompressor(*args)
        parts = [d.decompress(data)]
        while d.unconsumed_tail:  # only when output hit the room left: decompress raises first
            parts.append(d.decompress(d.unconsumed_tail))
        if not d.eof:
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
        return b"".join(parts)

    def __getattr__(self, name):
        return getattr(zlib, name)


def _capped_lzwdecode(data: bytes) -> bytes:
    from io import BytesIO

    from pdfminer.lzw import LZWDecoder

    cap, total, parts = _cap(), 0, []
    for chunk in LZWDecoder(BytesIO(data)).run():
        total += len(chunk)
        if total > cap:
            raise _too_big(total)
        parts.append(chunk)
    return b"".join(parts)


def _capped(decoder):
    def decode(data: bytes) -> bytes:
        if len(data) * 64 > _cap():  # run-length expands 64× at most: check only when it could matter
            out = decoder(data)
            if len(out) > _cap():
                raise _too_big(len(out))
            return out
        return decoder(data)

    return decode


_installed = False


def install() -> None:
    """Idempotent; the cap is read from the environment at each stream."""
    global _installed
    if _installed:
        return
    from pdfminer import pdftypes

    pdftypes.zlib = _CappedZlib()
    pdftypes.lzwdecode = _capped_lzwdecode
    pdftypes.rldecode = _capped(pdftypes.rldecode)
    _installed = True
