"""Organisation and people: HQ, provinces, regions, teams, departments, users, roles, skills, shifts."""
