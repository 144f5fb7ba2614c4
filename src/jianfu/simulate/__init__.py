"""Simulated default data: survey exports and office records with a known truth (Step 2)."""
