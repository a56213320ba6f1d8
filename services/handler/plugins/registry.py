"""The table of handler types this handler can run."""

from __future__ import annotations

from services.handler.plugins import code_agent_language_model, language_model, no_op, streaming_language_model
from services.handler.plugins.base import Plugin


def default_plugins() -> dict[str, Plugin]:
    plugins = [no_op.PLUGIN, language_model.PLUGIN, streaming_language_model.PLUGIN, code_agent_language_model.PLUGIN]
    return {plugin.handler_type: plugin for plugin in plugins}
