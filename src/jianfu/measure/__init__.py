"""Measurement quality: reliability, validity, factor analysis, scale scores (Step 4)."""
