"""The plant definition: site, areas, lines, stations, products, characteristics and routings.

`definition/` is the pure YAML schema; `tables.py` stores each loaded revision; `service.py`
loads and queries revisions; `routes.py` is the JSON API.
"""
