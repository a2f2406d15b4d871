"""Discrete-event centre simulator that drives the live routing engine on virtual time."""
