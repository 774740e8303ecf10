"""tagwise.models."""
