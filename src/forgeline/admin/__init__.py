"""Administration of people and stations: users, roles, operator skills, station tokens.

It sits above the plant so that skills and tokens are checked against the loaded plant
(a skill names a station type, a token a station), while `forgeline.auth` stays core.
"""
