"""Threat-intelligence text to Sigma detection rules and ATT&CK techniques."""
