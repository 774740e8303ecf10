"""tagwise.report."""
