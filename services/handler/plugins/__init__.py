"""Pipeline plugins, one module per handler type."""
