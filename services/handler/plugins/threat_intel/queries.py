"""Each rule as the queries of the SIEMs it is deployed to, through pySigma's own backends.

No processing pipeline is applied: field names stay Sigma's (Sysmon's), which is what a
Sysmon-fed index holds; a SIEM with another schema maps them in its own pipeline."""

from __future__ import annotations

from sigma.backends.elasticsearch.elasticsearch_lucene import LuceneBackend
from sigma.backends.splunk.splunk import SplunkBackend
from sigma.conversion.base import Backend
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from services.handler.plugins.threat_intel.render import InvalidRule

BACKENDS: dict[str, type[Backend]] = {"splunk": SplunkBackend, "elasticsearch": LuceneBackend}


def queries(rule: SigmaRule) -> dict[str, str]:
    converted = {}
    for name, backend in BACKENDS.items():
        try:
            result = backend().convert_rule(rule)
        except SigmaError as error:
            raise InvalidRule(f"{name} conversion: {error}") from error
        converted[name] = "\n".join(str(query) for query in result)
    return converted
