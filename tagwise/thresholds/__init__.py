"""tagwise.thresholds."""
