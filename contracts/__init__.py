"""Published contracts: events on the log, HTTP bodies, topics."""
