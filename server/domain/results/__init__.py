"""Results by street, door statuses, the revisit list and pair progress for coordinators."""
