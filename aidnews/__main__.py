"""`python -m aidnews …`: the same command line as the installed `aidnews` script."""

from aidnews.cli import app

app(prog_name="aidnews")
