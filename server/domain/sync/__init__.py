"""Sync: the offline pack, exactly-once push, incremental pull (the server side of the sync contract)."""
