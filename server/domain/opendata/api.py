"""Coordinators' open-data API: publish or withdraw an operation, and write what happens next."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.operations.access import COORDINATOR, Access
from server.lib.auth import requires_coordinator
from server.lib.openapi import answers

from . import publication
from .schemas import NextSteps, Publication

WHO = {403: "You do not coordinate this operation.", 404: "There is no such operation."}


class OpenDataController(Controller):
    path = "/api/v1/operations/{operation_id:int}"
    guards = [requires_coordinator]
    dependencies = {"access": COORDINATOR}
    tags = ["open data"]

    @get("/publish", summary="Whether the operation's open data is published, and its public links",
         **answers(401, 403, 404, 422, when=WHO))
    async def state(self, access: Access, db_session: NamedDependency[AsyncSession]) -> Publication:
        return await publication.publication(db_session, access.operation)

    @post("/publish", status_code=200,
          summary="Publish the operation's results as open data (OGL v3, under the disclosure rule)",
          description="From then on its open-data page, files, report and OGC API collection need no sign-in and "
                      "follow the results as they change. Publishing again changes nothing.",
          **answers(401, 403, 404, 422, when=WHO))
    async def publish(self, access: Access, db_session: NamedDependency[AsyncSession]) -> Publication:
        return await publication.publish(db_session, access)

    @delete("/publish", status_code=200, summary="Withdraw the operation's open data (its public URLs answer 404)",
            **answers(401, 403, 404, 422, when=WHO))
    async def withdraw(self, access: Access, db_session: NamedDependency[AsyncSession]) -> Publication:
        return await publication.withdraw(db_session, access)

    @get("/priorities", summary="What happens next: the report's priorities (up to three) and who to contact",
         **answers(401, 403, 404, 422, when=WHO))
    async def next_steps(self, access: Access, db_session: NamedDependency[AsyncSession]) -> NextSteps:
        return await publication.next_steps(db_session, access.operation)

    @put("/priorities", summary="Set what happens next: up to three priorities (as a PACT meeting sets them) and "
                                "who to contact; both appear in the \"you said, we did\" report",
         **answers(400, 401, 403, 404, 422, when={
             **WHO, 422: "More than three priorities, an empty one, one over 200 characters (the contact over "
                         "300), or a line break or control character in them."}))
    async def set_next_steps(self, access: Access, db_session: NamedDependency[AsyncSession],
                             data: JSONBody[NextSteps]) -> NextSteps:
        return await publication.set_next_steps(db_session, access, data)


API_ROUTES = [OpenDataController]
