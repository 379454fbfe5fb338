"""Legacy Word (.doc, OLE2) → .docx through LibreOffice, the only faithful converter available."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


class ConversionError(RuntimeError):
    pass


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_doc_to_docx(path: Path, workdir: Path) -> Path:
    exe = soffice()
    if exe is None:
        raise ConversionError(
            "legacy Word .doc needs LibreOffice to convert it: install it "
            "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui) or save the file as .docx"
        )
    profile = tempfile.mkdtemp(prefix="lo_profile_", dir=workdir)
    src = workdir / "source.doc"
    shutil.copyfile(path, src)
    proc = subprocess.run(
        [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "docx",
         "--outdir", str(workdir), str(src)],
        capture_output=True, text=True, timeout=180,
    )
    out = workdir / "source.docx"
    if proc.returncode != 0 or not out.exists():
        raise ConversionError(f"LibreOffice could not convert the .doc: {proc.stderr.strip() or proc.stdout.strip()}")
    return out
