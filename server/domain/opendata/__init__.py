"""Open data: publishing an operation's results for the public, GIS users and the beat meeting."""
