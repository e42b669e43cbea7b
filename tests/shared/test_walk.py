"""Walk order: each side of the street in number order (shared_schemas.walk)."""

from shared_schemas.walk import number_parts, numbered_on, walk_key, walk_positions


def test_cavendish_road_walks_each_side_in_number_order():
    # What the pack gave for Cavendish Road (door_order from the geometry), from the demo data.
    doors = [("7", "7 Cavendish Road", "odd", 1), ("9", "9 Cavendish Road", "odd", 2),
             ("11", "11 Cavendish Road", "odd", 3), ("13", "13 Cavendish Road", "odd", 4),
             ("29", "29 Blenheim Terrace", "odd", 5), ("1", "1 Cavendish Road", "odd", 6),
             ("181", "181 Woodhouse Lane", "odd", 7), ("3", "3 Cavendish Road", "odd", 8),
             ("5", "5 Cavendish Road", "odd", 9), ("6", "6 Cavendish Road", "even", 10),
             ("4", "4 Cavendish Road", "even", 11), ("2", "2 Cavendish Road", "even", 12),
             ("30", "Blenheim Terrace, 30 Woodhouse Lane", "even", 13), ("14", "14 Cavendish Road", "even", 14)]
    walked = sorted(doors, key=lambda d: walk_key("Cavendish Road", d[1], d[0], d[2], d[3]))
    assert [d[1] for d in walked] == [
        "1 Cavendish Road", "3 Cavendish Road", "5 Cavendish Road", "7 Cavendish Road", "9 Cavendish Road",
        "11 Cavendish Road", "13 Cavendish Road", "2 Cavendish Road", "4 Cavendish Road", "6 Cavendish Road",
        "14 Cavendish Road", "29 Blenheim Terrace", "181 Woodhouse Lane", "Blenheim Terrace, 30 Woodhouse Lane"]


def test_numbers_with_letters_and_ranges():
    assert number_parts("12a") == (12, "a") and number_parts("19-20") == (19, "") and number_parts("Flat") is None
    keys = sorted(["12", "12a", "12B", "10", "14"], key=lambda n: walk_key("X Road", f"{n} X Road", n, None, 0))
    assert keys == ["10", "12", "12a", "12B", "14"]


def test_a_number_belongs_to_the_street_its_address_names():
    assert numbered_on("Blenheim Terrace", "21 Blenheim Terrace", "21")
    assert not numbered_on("Back Blenheim Terrace", "21 Blenheim Terrace", "21")
    assert not numbered_on("Back Blenheim Terrace", "Blenheim Terrace, 23 Woodhouse Lane", "23")
    assert numbered_on("Woodhouse Lane", "Blenheim Terrace, 23 Woodhouse Lane", "23")


def test_walk_positions_number_a_street_as_its_walk_list_reads():
    # (id, address, number, side, position along the street): the server stores these as door_order.
    doors = [(10, "7 Cavendish Road", "7", "odd", 1), (11, "29 Blenheim Terrace", "29", "odd", 2),
             (12, "1 Cavendish Road", "1", "odd", 3), (13, "2 Cavendish Road", "2", "even", 9),
             (14, "Cavendish Road", None, "even", 4), (15, "Cavendish Road", None, "odd", 3)]
    assert walk_positions("Cavendish Road", doors) == {12: 1, 10: 2, 13: 3, 11: 4, 15: 5, 14: 6}
    # Numbering again from its own result changes nothing (the migration and later imports agree).
    again = [(i, a, n, s, walk_positions("Cavendish Road", doors)[i]) for i, a, n, s, _ in doors]
    assert walk_positions("Cavendish Road", again) == walk_positions("Cavendish Road", doors)
