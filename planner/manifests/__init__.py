"""Manifest writers: PDF (ReportLab) and PAXLST (UN/EDIFACT)."""
