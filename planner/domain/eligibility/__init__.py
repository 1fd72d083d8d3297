"""The eligibility rules (pure) and their vectorised twin."""
