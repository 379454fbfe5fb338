"""The analyst's surface: a Streamlit dashboard and a static HTML report over the warehouse views.
All SQL is in `queries.py`; figures in `charts.py` (shared by both); the page view of a number's
source in `pageview.py`."""
