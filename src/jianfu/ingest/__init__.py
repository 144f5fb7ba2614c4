"""Ingest and clean: read real survey exports and office records, map them to the codebook,
normalise values, match townships, de-identify, apply cleaning rules with a quarantine (Step 3)."""
