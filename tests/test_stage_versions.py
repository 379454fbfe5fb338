"""Stage versions that mean something: they change with a stage's code or data, staged results are
JSON keyed on them, and an upgrade of one stage reprocesses exactly what it must."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest
from conftest import SAMPLES

from fiscaldocs import versions
from fiscaldocs.codec import StagingFormatError, read_json, write_json
from fiscaldocs.model import Document, Processed
from fiscaldocs.staging import extracted_path, read_processed, run_stages


def test_a_stage_version_changes_with_its_code_and_data_and_nothing_else(tmp_path, monkeypatch):
    copy = tmp_path / "normalize"
    shutil.copytree(versions._package_dir("fiscaldocs.normalize"), copy,
                    ignore=shutil.ignore_patterns("__pycache__"))
    real = versions._package_dir

    def package_dir(name):
        return copy if name == "fiscaldocs.normalize" else real(name)

    monkeypatch.setattr(versions, "_package_dir", package_dir)
    seen = []
    for change in (None, "data", "cache", "note", "code"):
        if change == "data":  # a taxonomy entry renamed: output can change
            csv = copy / "data" / "special_items.csv"
            csv.write_text(csv.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        elif change == "cache":  # bytecode is not source
            (copy / "__pycache__").mkdir()
            (copy / "__pycache__" / "claims.cpython-311.pyc").write_bytes(b"\0")
        elif change == "note":  # a README beside the data is prose, not data
            (copy / "data" / "README.md").write_text("notes", encoding="utf-8")
        elif change == "code":
            (copy / "claims.py").write_text((copy / "claims.py").read_text(encoding="utf-8") + "\n# a rule\n",
                                            encoding="utf-8")
        versions.stage_digest.cache_clear()
        seen.append(versions.stage_digest("normalize"))
    versions.stage_digest.cache_clear()
    initial, data, cache, note, code = seen
    assert data != initial and code != data
    assert cache == data and note == data
    assert versions.stage_digest("extract") != versions.stage_digest("normalize")


def test_staged_results_are_json_and_round_trip_exactly(tmp_path):
    pdf = SAMPLES / "heshan_2021_final_accounts.pdf"
    from fiscaldocs.extractors import sha256_file

    sha = sha256_file(pdf)
    report = run_stages(str(pdf), sha, str(tmp_path))
    assert report.stages_run == ["extract", "normalize", "audit"]
    raw = json.loads(open(report.staged, encoding="utf-8").read())  # plain JSON, nothing executes
    processed = read_processed(report.staged)
    assert isinstance(processed, Processed) and processed.versions == versions.current().as_dict()
    assert raw["document"]["meta"]["sha256"] == sha
    # exact money: the 赫山区 2021 支出决算 total as printed, 7919.57 万元
    assert Decimal("79195700") in {f.amount for f in processed.facts}
    assert all(isinstance(f.amount, Decimal) for f in processed.facts)
    extracted = read_json(extracted_path(tmp_path, sha, versions.current()), Document)
    again = tmp_path / "again.json"
    write_json(again, extracted)
    assert read_json(again, Document) == extracted
    assert again.read_bytes() == extracted_path(tmp_path, sha, versions.current()).read_bytes()
    assert run_stages(str(pdf), sha, str(tmp_path)).stages_run == []  # everything reused


def test_a_staged_file_from_elsewhere_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"versions": {}, "document": {"meta": 3}}')
    with pytest.raises(StagingFormatError, match="x.json"):
        read_processed(bad)


@pytest.fixture
def corpus(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("heshan_2021_final_accounts.pdf", "yiyang_2023_performance_self_evaluation.docx"):
        shutil.copyfile(SAMPLES / name, docs / name)
    return docs


def test_an_upgrade_reprocesses_exactly_the_stages_it_must(prefect_harness, corpus, tmp_path, monkeypatch):
    """A normalization rule changes → the next ingest re-normalizes and re-audits every affected
    document from its staged extraction, extracting nothing; an unchanged run then skips them; an
    extractor change extracts again."""
    import fiscaldocs.audit
    import fiscaldocs.extractors
    import fiscaldocs.normalize
    from fiscaldocs.flows.ingest import ingest_flow

    monkeypatch.setenv("FISCALDOCS_WORKERS", "0")  # stages in this process, so the test sees every call
    extractions = []
    real_extract = fiscaldocs.extractors.extract

    def counting_extract(path):
        extractions.append(path)
        return real_extract(path)

    monkeypatch.setattr(fiscaldocs.extractors, "extract", counting_extract)
    db, work = tmp_path / "w.duckdb", tmp_path / "work"

    def ingest():
        extractions.clear()
        result = ingest_flow(inputs=[str(corpus)], db=str(db), workdir=str(work))
        return {o["file"]: (o["action"], o["stages"]) for o in result["outcomes"]}, len(extractions)

    def loaded():
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("SELECT file_name, extractor_version, normalize_version, audit_version, "
                               "(SELECT count(*) FROM facts f WHERE f.doc_id = d.doc_id) "
                               "FROM documents d ORDER BY file_name").fetchall()

    first, extracted = ingest()
    assert extracted == 2
    assert set(first.values()) == {("new", "extract,normalize,audit")}
    before = loaded()
    old = versions.current()
    assert [r[1:4] for r in before] == [(old.extract, old.normalize, old.audit)] * 2

    monkeypatch.setattr(fiscaldocs.normalize, "NORMALIZER_VERSION", "rule-changed")
    second, extracted = ingest()
    assert extracted == 0
    assert set(second.values()) == {("reloaded", "normalize,audit")}
    after = loaded()
    assert [r[1:4] for r in after] == [(old.extract, "rule-changed", old.audit)] * 2
    assert [r[4] for r in after] == [r[4] for r in before]  # same facts: only the label moved

    third, extracted = ingest()
    assert extracted == 0 and set(third.values()) == {("skipped", "")}

    monkeypatch.setattr(fiscaldocs.audit, "AUDIT_VERSION", "rules-changed")
    fourth, extracted = ingest()
    assert extracted == 0 and set(fourth.values()) == {("reloaded", "normalize,audit")}

    monkeypatch.setattr(fiscaldocs.extractors, "EXTRACTOR_VERSION", "parser-changed")
    fifth, extracted = ingest()
    assert extracted == 2 and set(fifth.values()) == {("reloaded", "extract,normalize,audit")}
    assert sorted(p.name.split(".")[1] for p in (work / "extracted").iterdir()) == ["parser-changed"] * 2


def test_a_warehouse_of_the_previous_schema_is_migrated_not_refused(tmp_path):
    from fiscaldocs.warehouse.publish import staged
    from fiscaldocs.warehouse.schema import SCHEMA_VERSION

    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:  # the documents table as schema 3 had it, one row loaded
        con.execute("CREATE TABLE warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute("INSERT INTO warehouse_meta VALUES ('schema_version', '3')")
        con.execute("CREATE TABLE documents (doc_id VARCHAR PRIMARY KEY, source_url VARCHAR, source_path VARCHAR, "
                    "file_name VARCHAR, file_type VARCHAR, title VARCHAR, issuer VARCHAR, department VARCHAR, "
                    "region_code VARCHAR, province VARCHAR, city VARCHAR, county VARCHAR, fiscal_year INTEGER, "
                    "report_kind VARCHAR, published_date DATE, page_count INTEGER, producer VARCHAR, "
                    "status VARCHAR, error VARCHAR, extractor_version VARCHAR, ingested_at TIMESTAMP)")
        con.execute("INSERT INTO documents (doc_id, file_name, status, extractor_version, ingested_at) "
                    "VALUES ('abc', 'old.pdf', 'ok', '0.1.0', ?)", [datetime.now(UTC).replace(tzinfo=None)])
    with staged(db):
        pass
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT value FROM warehouse_meta WHERE key = 'schema_version'").fetchone()[0] == SCHEMA_VERSION
        assert con.execute("SELECT file_name, extractor_version, normalize_version FROM documents").fetchall() == [
            ("old.pdf", "0.1.0", None)]
    from fiscaldocs.warehouse.runs import loaded_documents

    assert loaded_documents(db) == {"abc": {"extract": "0.1.0", "normalize": None, "audit": None}}
