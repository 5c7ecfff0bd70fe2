"""Storage: the tables, the engine and migrations, and the writes each job makes (runs, pages, articles).

Everything that knows SQL lives here, so the stages above it (the crawler's pipeline, the ETL loop, the
queries) deal in rows and records, never in connection handling.
"""
