"""Areas: import a neighbourhood's streets and households from OpenStreetMap."""

from server.domain.areas.features import (
    Area,
    AreaFileError,
    HouseholdFeature,
    StreetFeature,
    UnknownOperationError,
)

__all__ = ["Area", "AreaFileError", "HouseholdFeature", "StreetFeature", "UnknownOperationError"]
