"""Synthetic, realistic demo data (a layer above services: it is not a service)."""
