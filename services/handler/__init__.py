"""The handler: runs pipelines and writes each execution's lifecycle events."""
