"""People and access: users, roles, skills, station tokens, sessions, permission checks."""
