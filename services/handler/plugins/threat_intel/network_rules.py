"""Rules for network indicators: connections to addresses, DNS queries, web requests."""

from __future__ import annotations

from typing import Any

from services.handler.plugins.threat_intel.catalogue import Technique
from services.handler.plugins.threat_intel.indicators import Indicator
from services.handler.plugins.threat_intel.spec import RuleSpec, described, some


def addresses(found: list[Indicator], own: tuple[Technique, ...]) -> RuleSpec:
    values = [i.value for i in found]
    return RuleSpec("ip", f"Network connection to {some(values, 'reported addresses')}", "network_connection",
                    {"selection": {"DestinationIp": values}, "condition": "selection"}, "medium", own,
                    described(values, "IP address", "IP addresses"))  # fmt: skip


def domains(found: list[Indicator], own: tuple[Technique, ...]) -> RuleSpec:
    values = [i.value for i in found]
    detection = {"exact": {"QueryName": values}, "subdomain": {"QueryName|endswith": [f".{v}" for v in values]},
                 "condition": "exact or subdomain"}  # fmt: skip
    return RuleSpec("domain", f"DNS query for {some(values, 'reported domains')}", "dns_query", detection,
                    "medium", own, described(values, "domain", "domains"))  # fmt: skip


def urls(found: list[Indicator], own: tuple[Technique, ...]) -> RuleSpec:
    hosts_paths = [i.value.split("://", 1)[-1].split("?", 1)[0].split("#", 1)[0].partition("/") for i in found]
    detection: dict[str, Any] = {f"url_{n}": {"cs-host": host.split(":")[0].strip("[]"), "c-uri|contains": f"/{path}"}
                                 for n, (host, _, path) in enumerate(hosts_paths, 1)}  # fmt: skip
    detection["condition"] = "1 of url_*"
    shown = [f"{host}/{path}" for host, _, path in hosts_paths]
    return RuleSpec("url", f"Web request for {some(shown, 'reported URLs')}", "proxy", detection, "medium", own,
                    described([i.value for i in found], "URL", "URLs"))  # fmt: skip
