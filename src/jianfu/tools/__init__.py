"""Helper commands that are not pipeline stages."""
