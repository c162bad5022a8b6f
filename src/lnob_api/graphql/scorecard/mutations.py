"""Scorecard mutations: create, update, add criteria, record a round of scores (or upload
rounds from a CSV file), action plan."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any, ClassVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from lnob_api.declare.statistics import SCORECARD, SCORECARD_ACTION, SCORECARD_CRITERION
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import (
    Declared,
    create_input,
    created,
    edited,
    on_row,
    update_input,
)
from lnob_api.graphql.enums import Visibility
from lnob_api.graphql.ids import to_global_id
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import (
    FILE_CODES,
    WRITE,
    UserError,
    calls,
    codes,
    parts,
    payload,
    refused_report,
    row,
    shown,
    uploaded,
    writes,
)
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.scorecard.types import (
    Scorecard,
    ScorecardAction,
    ScorecardCriterion,
    ScorecardRound,
)
from lnob_api.graphql.upload.reports import FileProblem, report_of
from lnob_api.scorecard import actions, scores, service, upload
from lnob_api.scorecard import repository as scorecard_repo


@strawberry.input(description="A new community scorecard in a coalition.")
@create_input(SCORECARD)  # the declared fields (declare.statistics) where ``declared`` stands
class ScorecardCreateInput:
    coalition: str = strawberry.field(description="Country code of the owning coalition.")
    declared: ClassVar[Declared]
    visibility: Visibility | None = strawberry.field(
        default=None, description="Default COALITION; other levels need a coalition admin."
    )


@strawberry.input(description="Changes to a scorecard; omitted fields stay as they are.")
@update_input(SCORECARD)  # id, rowVersion, the declared fields, then these
class ScorecardUpdateInput:
    visibility: Visibility | None = strawberry.field(
        default=None, description="A change needs a coalition admin."
    )


@strawberry.input(description="A criterion for a scorecard, linked to an SDG target.")
@create_input(SCORECARD_CRITERION)  # the declared fields (declare.statistics) after scorecard
class ScorecardCriterionAddInput:
    scorecard: strawberry.ID
    declared: ClassVar[Declared]
    indicator: str | None = strawberry.field(
        default=None, description="Code of an indicator of that target (optional)."
    )


@strawberry.input(description="One criterion's scores; give at least one of the three.")
class ScorecardScoreInput:
    criterion: strawberry.ID
    community_score: float | None = None
    provider_score: float | None = None
    agreed_score: float | None = None
    note: str = ""


@strawberry.input(description="One round of scores: every criterion of the scorecard at once.")
class ScorecardScoresRecordInput:
    scorecard: strawberry.ID
    period: str = strawberry.field(description="SDMX period of the round.")
    scores: list[ScorecardScoreInput]
    held_on: date | None = strawberry.field(default=None, description="Date of the meeting.")
    note: str = ""
    replace: bool = strawberry.field(
        default=False, description="Replace the round already recorded for this period."
    )


@strawberry.input(description="Rounds of scores from a CSV file, one row per criterion and period.")
class ScorecardScoresUploadInput:
    scorecard: strawberry.ID
    file: Upload = strawberry.field(
        description="UTF-8 CSV (comma, semicolon, tab or pipe separated), header row first: "
        "period, criterion (its id or label), community_score, provider_score, agreed_score; "
        "optional note. Each period is one round: every criterion, scores within the scale."
    )
    replace: bool = strawberry.field(
        default=False,
        description="Replace the rounds already recorded for the file's periods (their meeting "
        "date and note are cleared).",
    )


@strawberry.input(description="An action of the joint action plan; name an owner or owner org.")
@create_input(SCORECARD_ACTION)  # the declared fields (declare.statistics) after scorecard
class ScorecardActionAddInput:
    scorecard: strawberry.ID


@strawberry.input(description="Changes to an action; omitted fields stay as they are.")
@update_input(SCORECARD_ACTION)  # after id and rowVersion (without a description, as written)
class ScorecardActionUpdateInput:
    id: strawberry.ID
    row_version: int
    declared: ClassVar[Declared]


ScorecardCreatePayload = payload("ScorecardCreatePayload", scorecard=Scorecard)
ScorecardUpdatePayload = payload("ScorecardUpdatePayload", scorecard=Scorecard)
ScorecardCriterionAddPayload = payload(
    "ScorecardCriterionAddPayload", criterion=ScorecardCriterion, scorecard=Scorecard
)
ScorecardScoresRecordPayload = payload(
    "ScorecardScoresRecordPayload", round=ScorecardRound, scorecard=Scorecard
)


@strawberry.enum(description="Why a row (or the whole file) of scorecard scores was refused.")
@codes(
    f"{FILE_CODES} UNKNOWN_CRITERION INVALID_SCORE OUT_OF_SCALE NO_SCORE DUPLICATE_IN_FILE"
    " MISSING_CRITERIA INVALID_PERIOD PERIOD_RECORDED INVALID"
)
class ScorecardScoreProblemCode(Enum):
    pass


@strawberry.type(description="One problem found in a file of scorecard scores.")
class ScorecardScoreProblem(FileProblem):
    code: ScorecardScoreProblemCode


@strawberry.type(description="What an upload of scorecard scores read, recorded or refused.")
class ScorecardScoresUploadReport:
    rows_read: int = strawberry.field(description="Data rows read (blank rows not counted).")
    rounds_recorded: int = strawberry.field(description="Rounds recorded (0 when refused).")
    problems: list[ScorecardScoreProblem] = strawberry.field(
        description="The first 1,000 problems, by row. One problem rejects the whole file."
    )
    problem_count: int


@strawberry.type
class ScorecardScoresUploadPayload:
    scorecard: Scorecard | None
    report: ScorecardScoresUploadReport | None = strawberry.field(
        description="Present whenever the file was examined, refused or not."
    )
    user_errors: list[UserError]


def _criterion_id(pk: int) -> str:
    return to_global_id("ScorecardCriterion", pk)


ScorecardActionAddPayload = payload("ScorecardActionAddPayload", action=ScorecardAction)
ScorecardActionUpdatePayload = payload("ScorecardActionUpdatePayload", action=ScorecardAction)


def _kept(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` without a null scale end or status: null leaves them as they are."""
    return {k: v for k, v in fields.items() if v is not None or k not in _KEPT}


_KEPT = frozenset(("scale_min", "scale_max", "status"))


def _scorecard_of(data: Any) -> int:
    """The scorecard an input's ``scorecard`` names."""
    return pk_of(data.scorecard, "Scorecard", "scorecard")


_card = row(scorecard_repo.SCORECARD_BY_ID, Scorecard)
_upload_run = parts(
    refused_report,
    scorecard=_card,
    report=shown(report_of(ScorecardScoresUploadReport)),
)


@strawberry.type
class ScorecardMutations:
    scorecard_create = calls(
        service.create,
        ScorecardCreateInput,
        ScorecardCreatePayload,
        permission_classes=WRITE,
        description="Create a community scorecard. Coalition editors.",
        args=lambda i: {"fields": created(SCORECARD, i)},
    )

    scorecard_update = on_row(
        SCORECARD,
        service.update,
        ScorecardUpdateInput,
        ScorecardUpdatePayload,
        permission_classes=WRITE,
        description="Edit a scorecard.",
        args=lambda i: {"fields": _kept(edited(SCORECARD, i))},
    )

    scorecard_criterion_add = calls(
        service.add_criterion,
        ScorecardCriterionAddInput,
        ScorecardCriterionAddPayload,
        permission_classes=WRITE,
        description="Add a criterion (it is scored from the next round).",
        args=lambda i: {"scorecard_id": _scorecard_of(i)},
        returns=lambda criterion: {"criterion": criterion.id, "scorecard": criterion.scorecard_id},
    )

    @writes(
        ScorecardScoresRecordPayload,
        permission_classes=WRITE,
        description="Record one round of scores: every criterion at once, each score within the "
        "scorecard's scale. A period already recorded needs replace: true.",
    )
    async def scorecard_scores_record(
        self, info: Info, input: ScorecardScoresRecordInput, session: AsyncSession
    ) -> dict[str, int]:
        entries = [
            scores.ScoreEntry(
                index=i,
                criterion_id=pk_of(s.criterion, "ScorecardCriterion", f"scores.{i}.criterion"),
                community_score=s.community_score,
                provider_score=s.provider_score,
                agreed_score=s.agreed_score,
                note=s.note,
            )
            for i, s in enumerate(input.scores)
        ]
        done = await scores.record_scores(
            session,
            _actor(info),
            scorecard_id=_scorecard_of(input),
            period=input.period,
            held_on=input.held_on,
            note=input.note,
            entries=entries,
            replace=input.replace,
        )
        return {"round": done.id, "scorecard": done.scorecard_id}

    @writes(
        ScorecardScoresUploadPayload,
        _upload_run,
        permission_classes=WRITE,
        description="Record rounds of scores from a CSV file, all or none (multipart request "
        "with the header Apollo-Require-Preflight: true). Each period is checked as by "
        "scorecardScoresRecord. Coalition editors.",
    )
    async def scorecard_scores_upload(
        self, info: Info, input: ScorecardScoresUploadInput, session: AsyncSession
    ) -> dict[str, Any]:
        file = uploaded(input.file)
        scorecard_id = _scorecard_of(input)
        report = await upload.upload_scores(
            session,
            _actor(info),
            scorecard_id=scorecard_id,
            file=file,
            replace=input.replace,
            id_of=_criterion_id,
        )
        return {"scorecard": scorecard_id, "report": report}

    scorecard_action_add = calls(
        actions.add_action,
        ScorecardActionAddInput,
        ScorecardActionAddPayload,
        permission_classes=WRITE,
        description="Add an action to the plan.",
        args=lambda i: {
            "scorecard_id": _scorecard_of(i),
            "fields": created(SCORECARD_ACTION, i),
        },
    )

    scorecard_action_update = on_row(
        SCORECARD_ACTION,
        actions.update_action,
        ScorecardActionUpdateInput,
        ScorecardActionUpdatePayload,
        permission_classes=WRITE,
        description="Edit an action (its status, owner, due date...).",
        key="action_id",
        args=lambda i: {"fields": _kept(edited(SCORECARD_ACTION, i))},
    )
