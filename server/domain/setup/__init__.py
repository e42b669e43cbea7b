"""Operation set-up for coordinators: create an operation, form pairs, assign streets, open and close."""
