"""The table of handler types, read from the `execution_tracking.handlers` entry points.

A package of your own adds a handler type by declaring, in its pyproject.toml,
`[project.entry-points."execution_tracking.handlers"] my_type = "my_pkg.module:PLUGIN"`,
where `PLUGIN` is a `services.handler.plugins.base.Plugin`. Ours are declared the same way.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from services.handler.plugins.base import Plugin

ENTRY_POINT_GROUP = "execution_tracking.handlers"


def default_plugins() -> dict[str, Plugin]:
    plugins: dict[str, Plugin] = {}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        plugin = entry_point.load()
        if not isinstance(plugin, Plugin):
            raise TypeError(f"entry point {entry_point.name!r} ({entry_point.value}) is not a Plugin")
        plugins[plugin.handler_type] = plugin
    return plugins
