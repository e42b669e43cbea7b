"""walk order: each door's door_order follows the tablet's walk rule

The server numbered a street's doors by their position along the street (up the odd side, back
down the even side), while the tablet walks each side in house-number order
(shared_schemas/walk.py), so the coordinators' revisit list and the pair's walk list read in
different orders ("7, 9, 11, 13, 29 Blenheim Terrace, 1, …" against "1, 3, 5, 7, …"). Imports now
store the walk rule's position (server/domain/areas/importer.py, order_doors); this puts the doors
already imported in the same order, with their old position settling the doors without a number.

Revision ID: 0013_walk_order
Revises: 0012_sign_in_throttle
"""

import sqlalchemy as sa
from alembic import op

from shared_schemas.walk import walk_positions

revision = "0013_walk_order"
down_revision = "0012_sign_in_throttle"
branch_labels = None
depends_on = None

_DOORS = sa.text("""
    SELECT h.street_id, s.name, h.id, h.address, h.house_number, h.side, h.door_order
      FROM household AS h JOIN street AS s ON s.id = h.street_id
     ORDER BY h.street_id, h.id""")
_SET = sa.text("""
    UPDATE household AS h SET door_order = o.door_order
      FROM unnest(CAST(:ids AS integer[]), CAST(:orders AS integer[])) AS o(id, door_order)
     WHERE h.id = o.id AND h.door_order IS DISTINCT FROM o.door_order""")


def upgrade() -> None:
    bind = op.get_bind()
    streets: dict[int, tuple[str, list]] = {}
    for street_id, name, *door in bind.execute(_DOORS):
        streets.setdefault(street_id, (name, []))[1].append(tuple(door))
    ids: list[int] = []
    orders: list[int] = []
    for name, doors in streets.values():
        for household_id, place in walk_positions(name, doors).items():
            ids.append(household_id)
            orders.append(place)
        if len(ids) >= 50_000:
            bind.execute(_SET, {"ids": ids, "orders": orders})
            ids, orders = [], []
    if ids:
        bind.execute(_SET, {"ids": ids, "orders": orders})


def downgrade() -> None:
    pass  # the old positions are not kept; a new import numbers the doors again
