"""The plant twin: a discrete-event simulation (SimPy) built from the plant definition.

It answers "what will my plant do?" (`forgeline simulate`, the demo's history) and "what must I
buy?" (`forgeline plan capacity`). Simulated activity becomes the same events a real line sends
and goes through the public ingest service (`driver.py`), never straight into tables.
"""
