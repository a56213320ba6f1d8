"""Deployable services: the gateway and the handler."""
