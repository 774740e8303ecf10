"""tagwise.nn."""
