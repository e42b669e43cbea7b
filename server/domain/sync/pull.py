"""Pull: the changes a pair needs since its cursor, from one consistent snapshot, paged.

What a pair gets for one operation (a coordinator not on a pair gets every team's):

* ``visit``: visits made on other tablets, outcome only (no answers, no notes): enough to
  colour the door and list its attempts, and ``supersedes`` for a correction. A tablet that names
  itself (``device_id``, the id it pushes with) gets every visit but its own pushes, so the two
  tablets of a pair see each other's; without it, the pair's own visits are left out (what
  tablets before corrections expected: they would have counted their own pushes twice). Either
  way the answers residents gave online with the code on a card the pair left come too
  (``answered_online``, under the pair's team: the pair's tablet has no such visit of its own,
  and shows the door answered);
* ``followup_status``: status changes of the follow-ups the pair raised (``followup_event``);
* ``team``: a team or its members or streets changed (``team_event``), with the team as it
  is now, or ``removed``.

One SQL statement reads the snapshot's xmin X and the three change streams, so it is one
consistent snapshot. Each stream is an index range scan on ``(operation_id, change_txid,
change_seq)`` from the cursor, cut at ``limit``: the cost follows the changes returned (and
the pair's own visits skipped in that range), not the history stored. See ``cursor.py``
for why rows below X only are returned.
"""

from __future__ import annotations

import uuid

import msgspec
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.driver import driver_connection
from server.domain.operations.teams import TEAM_MEMBERS_JSON
from server.domain.sync.cursor import Position, all_before, decode_cursor, encode_cursor
from server.lib.exceptions import BadRequest
from server.lib.paging import checked_limit
from shared_schemas.pack import PackMember
from shared_schemas.sync import Change, FollowupStatusChange, PullResponse, TeamChange, VisitChange

DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000


class _TeamDetail(msgspec.Struct):
    removed: bool
    members: list[PackMember]
    street_ids: list[int]


_team_detail = msgspec.json.Decoder(_TeamDetail)


def _sql(team_filter: bool, device_filter: bool = False) -> str:
    """The pull statement ($4 is the limit). With ``team_filter`` only the follow-ups the pair raised
    are followed ($5 is its team id), and the visits left out are the pair's own but its online
    answers, or with ``device_filter`` only those pushed from the tablet that asks ($6 its device id)."""
    own = "AND v.device_id <> $6" if device_filter else "AND (v.team_id <> $5 OR v.outcome = 'answered_online')"
    visit_team = own if team_filter else ""
    followup_team = "AND f.team_id = $5" if team_filter else ""
    after = "({t}.change_txid, {t}.change_seq) > ($2::bigint, $3::bigint) AND {t}.change_txid < (SELECT x FROM snap)"
    return f"""
WITH snap AS MATERIALIZED (
    SELECT pg_snapshot_xmin(s)::text::bigint AS x, pg_snapshot_xmax(s)::text::bigint AS xmax
      FROM pg_current_snapshot() AS s
), visits AS (
    SELECT 1 AS kind, v.change_txid AS txid, v.change_seq AS seq, v.id AS uid, v.household_id AS a, v.team_id AS b,
           v.outcome AS s1, NULL::text AS s2, v.visited_at AS at, NULL::int AS version, v.supersedes::text AS detail
      FROM visit AS v
     WHERE v.operation_id = $1 AND {after.format(t="v")} {visit_team}
     ORDER BY v.change_txid, v.change_seq
     LIMIT $4
), followups AS (
    SELECT 2, e.change_txid, e.change_seq, e.followup_id, NULL::int, NULL::int, e.to_status, e.note, e.at,
           e.version, a.code
      FROM followup_event AS e
      JOIN followup AS f ON f.id = e.followup_id
      LEFT JOIN agency AS a ON a.id = e.agency_id
     WHERE e.operation_id = $1 AND {after.format(t="e")} {followup_team}
     ORDER BY e.change_txid, e.change_seq
     LIMIT $4
), teams AS (
    SELECT 3, te.change_txid, te.change_seq, NULL::uuid, te.team_id::int, NULL::int, t.name, NULL::text, te.at,
           NULL::int,
           json_build_object(
             'removed', te.removed OR t.id IS NULL,
             'members', {TEAM_MEMBERS_JSON},
             'street_ids', coalesce((SELECT json_agg(ts.street_id ORDER BY ts.street_id)
                                       FROM team_street AS ts WHERE ts.team_id = t.id), '[]'::json)
           )::text
      FROM team_event AS te
      LEFT JOIN team AS t ON t.id = te.team_id AND NOT te.removed
     WHERE te.operation_id = $1 AND {after.format(t="te")}
     ORDER BY te.change_txid, te.change_seq
     LIMIT $4
), page AS (
    SELECT * FROM visits UNION ALL SELECT * FROM followups UNION ALL SELECT * FROM teams
     ORDER BY txid, seq
     LIMIT $4
)
SELECT snap.x, snap.xmax, page.*
  FROM snap LEFT JOIN page ON true
 ORDER BY page.txid, page.seq
"""


_SQL_PAIR = _sql(team_filter=True)
_SQL_DEVICE = _sql(team_filter=True, device_filter=True)
_SQL_ALL = _sql(team_filter=False)


async def pull(session: AsyncSession, operation_id: int, team_id: int | None, since: str | None,
               limit: int = DEFAULT_LIMIT, device_id: str | None = None) -> PullResponse:
    """Changes after ``since`` for the pair ``team_id`` (None: a coordinator, every team), as seen by the
    tablet ``device_id`` (its own pushes left out; None: the pair's own visits left out)."""
    position = decode_cursor(since)
    limit = checked_limit(limit, MAX_LIMIT)
    raw = await driver_connection(session)
    if team_id is None:
        rows = await raw.fetch(_SQL_ALL, operation_id, position.txid, position.seq, limit)
    elif device_id:
        rows = await raw.fetch(_SQL_DEVICE, operation_id, position.txid, position.seq, limit, team_id, device_id)
    else:
        rows = await raw.fetch(_SQL_PAIR, operation_id, position.txid, position.seq, limit, team_id)
    xmin, xmax = rows[0]["x"], rows[0]["xmax"]
    if position.txid >= xmax:
        # xmax is the first transaction id not yet given out; every cursor this server issued is below it.
        raise BadRequest(
            "The cursor is from the future: this database has not reached that point. It may come from "
            "another server or a restored database; leave `since` out to pull from the start.",
            field="since",
        )
    changes: list[Change] = [_change(row) for row in rows if row["kind"] is not None]
    if len(changes) == limit:
        last = rows[-1]
        return PullResponse(changes=changes, cursor=encode_cursor(Position(last["txid"], last["seq"])), more=True)
    following = all_before(xmin)
    if following < position:  # nothing new since a cursor that is already past X - 1
        following = position
    return PullResponse(changes=changes, cursor=encode_cursor(following), more=False)


def _change(row) -> Change:
    kind = row["kind"]
    if kind == 1:
        return VisitChange(id=row["uid"], household_id=row["a"], team_id=row["b"], outcome=row["s1"],
                           visited_at=row["at"], supersedes=uuid.UUID(row["detail"]) if row["detail"] else UNSET)
    if kind == 2:
        return FollowupStatusChange(followup_id=row["uid"], status=row["s1"], version=row["version"],
                                    note=row["s2"] or "", changed_at=row["at"], agency=row["detail"])
    detail = _team_detail.decode(row["detail"])
    if detail.removed:
        return TeamChange(team_id=row["a"], removed=True)
    return TeamChange(team_id=row["a"], name=row["s1"] or "", members=detail.members, street_ids=detail.street_ids)
