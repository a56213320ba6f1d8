"""Read models folded from the event log, and the one fold they share."""
