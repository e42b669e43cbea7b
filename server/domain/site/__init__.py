"""The front door: the landing page at / and the styled 404 of an unknown page address."""
