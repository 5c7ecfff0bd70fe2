"""aidnews: the command line that drives the crawler, the ETL and the service (`aidnews.cli:app`).

This package sits on top of the others: it may import scheduler, crawler and etl, and none of them
imports it.
"""
