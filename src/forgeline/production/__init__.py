"""Production execution: units, lots, carriers, batches, operations, holds, ingest, OEE, yield."""
