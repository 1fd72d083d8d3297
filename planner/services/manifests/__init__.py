"""Manifests: content from the plan, PDF, PAXLST, the approve/sign workflow, batches."""
