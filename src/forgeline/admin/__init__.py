"""Administration of people and stations: users, roles, operator skills, station tokens.

It sits above the plant so that skills and tokens are checked against the loaded plant
(a skill is one the plant defines, a token names one of its stations), while `forgeline.auth`
stays core.
"""
