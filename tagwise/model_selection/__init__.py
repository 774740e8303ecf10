"""tagwise.model_selection."""
