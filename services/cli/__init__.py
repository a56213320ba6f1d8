"""The `executions` command line."""
