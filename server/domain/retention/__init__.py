"""Retention (issue 15): residents' details, free text and photos removed on the organisation's schedule."""
