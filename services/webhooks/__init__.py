"""Webhooks: a tenant's endpoints, and the dispatcher that delivers its lifecycle events to them."""
