"""The `aidnews` subcommands, by group: service (jobs and the service), query (reading the data), tools."""
