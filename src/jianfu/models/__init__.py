"""Survey models: regression, multilevel, PROCESS mediation and moderation, SEM (Step 5)."""
