"""tagwise.text."""
