from __future__ import annotations

import pytest

from fiscaldocs.sources import SourceError, read_sources_file, resolve


def test_sources_file_paths_are_relative_to_it(tmp_path):
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "sources.toml"
    f.write_text('[[source]]\nname = "a"\npaths = ["docs"]\nurls = ["https://example.org/r.pdf"]\n', encoding="utf-8")
    assert read_sources_file(f).inputs == [str(tmp_path / "sub" / "docs"), "https://example.org/r.pdf"]


def test_portal_source(tmp_path):
    f = tmp_path / "sources.toml"
    f.write_text('''[[source]]
name = "普陀区财政局"
start_urls = ["https://www.example.gov.cn/czyjs/index.html"]
detail_pattern = 't\\d{8}_\\d+\\.html$'
rate_limit = 0.5
[source.hints]
report_kind = "budget"
''', encoding="utf-8")
    portal = read_sources_file(f).portals[0]
    assert portal.allowed_hosts == frozenset({"www.example.gov.cn"})
    assert portal.detail_pattern.search("/czyjs/t20240510_1.html") and portal.rate_limit == 0.5
    assert portal.hints == {"report_kind": "budget"}


@pytest.mark.parametrize("text", ["[[source]]\nname = 'x'\n", "not toml = = ="])
def test_bad_sources_file_names_the_file(tmp_path, text):
    f = tmp_path / "sources.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match="sources.toml"):
        read_sources_file(f)


def test_resolve_folders_files_and_missing(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "d" / "notes.txt").write_text("x")
    (tmp_path / "odd.bin").write_bytes(b"x")
    resolved = resolve([str(tmp_path / "d"), str(tmp_path / "odd.bin"), str(tmp_path / "nope")], tmp_path / "raw")
    found, problems = resolved.files, resolved.problems
    assert [f.path for f in found] == [str(tmp_path / "d" / "a.pdf"), str(tmp_path / "odd.bin")]
    assert len(found[0].sha256) == 64
    assert problems == [f"{tmp_path / 'nope'}: no such file or folder"]
