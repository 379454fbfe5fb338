"""Prefect flow: the warehouse's housekeeping (`fiscaldocs maintain`), deployed weekly by
prefect.yaml (`weekly-maintenance`). It waits for a nightly run holding the writers' lock rather
than failing, and leaves its before/after report as a table artifact."""

from __future__ import annotations

from dataclasses import asdict

from fiscaldocs.warehouse.maintenance import Policy, maintain, render
from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact


@flow(name="fiscaldocs-maintain")
def maintain_flow(db: str = "warehouse.duckdb", expire_older_than: str = "7 days", delete_older_than: str = "1 day",
                  rewrite_delete_threshold: float = 0.5) -> dict:
    logger = get_run_logger()
    report = maintain(db, Policy(expire_older_than=expire_older_than, delete_older_than=delete_older_than,
                                 rewrite_delete_threshold=rewrite_delete_threshold),
                      wait=True, on_wait=logger.info)
    logger.info("%s", render(report))
    before, after = asdict(report.before), asdict(report.after)
    create_table_artifact(key="maintenance-summary", table=[
        {"measure": k, "before": before[k], "after": after[k]} for k in before if before[k] is not None])
    return {"warehouse": report.warehouse, "before": before, "after": after,
            "steps": [asdict(s) for s in report.steps], "rows": report.rows}
