"""Photos of fixes and follow-ups: uploaded apart from the records, by hash, cleaned again here."""
