"""Workforce management: Erlang B/C/A staffing, forecasting, scheduling and recruiting (pure cores)."""
