"""tagwise.serve."""
