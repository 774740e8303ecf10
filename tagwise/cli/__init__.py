"""tagwise.cli."""
