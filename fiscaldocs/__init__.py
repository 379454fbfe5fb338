"""fiscaldocs: Chinese government fiscal reports → a DuckDB warehouse."""

__version__ = "0.1.0"
