"""Crawl the portals that publish fiscal reports: list pages → detail pages → attachments,
politely, once per content, surviving the web's failures. Knows nothing of DuckDB or Prefect."""
