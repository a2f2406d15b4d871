"""Contacts: interactions, IVR, queues, skills, agent states and the pure skill-routing engine."""
