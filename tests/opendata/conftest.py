"""The open-data test world, built once for the package and published through the real API."""

from __future__ import annotations

import pytest

from .world import CONTACT, PRIORITIES, OpenWorld, build_open_world


@pytest.fixture(scope="session")
async def open_world(db_engine, demo, client, headers) -> OpenWorld:
    ow = await build_open_world(db_engine, client, headers, "planted")
    op = ow.world.operation_id
    r = await client.put(f"/api/v1/operations/{op}/priorities", headers=await headers("coordinator"),
                         json={"priorities": PRIORITIES, "contact": CONTACT})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/operations/{op}/publish", headers=await headers("coordinator"))
    assert r.status_code == 200 and r.json()["published"] is True, r.text
    return ow
