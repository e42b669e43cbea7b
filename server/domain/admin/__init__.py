"""Administration: people, agencies (how they are told, their Open311 key), the routing new operations
start with, and the audit log to read it all back. Pages at /admin, API under /api/v1."""
