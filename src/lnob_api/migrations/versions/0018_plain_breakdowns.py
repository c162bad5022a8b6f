"""Disaggregation codes hold no character JSON escapes

Create Date: 2026-12-03

``ck_observations_<dimension>_plain`` for sex, age, disability_status, urbanisation and
group_code: no quote, backslash or control character, so that the compiled read path writes
them between quotes without ``to_json`` (``graphql.compiled.fields.PLAIN``). Uploads accepted
any text before: a code that holds one has it replaced first (a control character by a space,
a quote by an apostrophe, a backslash by a slash) and its row's ``updated_at`` moved, so that
incremental sync sends it again.
"""

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"

_COLUMNS = ("sex", "age", "disability_status", "urbanisation", "group_code")
_ESCAPED = r"'[\x01-\x1f" + '"' + r"\\]'"

# Only the rows that need it; each code: control characters to spaces, then a quote to an
# apostrophe and a backslash to a slash.
_REWRITE = r"""
UPDATE observations SET
    sex = translate(regexp_replace(sex, '[\x01-\x1f]', ' ', 'g'), '"\', '''/'),
    age = translate(regexp_replace(age, '[\x01-\x1f]', ' ', 'g'), '"\', '''/'),
    disability_status = translate(
        regexp_replace(disability_status, '[\x01-\x1f]', ' ', 'g'), '"\', '''/'
    ),
    urbanisation = translate(regexp_replace(urbanisation, '[\x01-\x1f]', ' ', 'g'), '"\', '''/'),
    group_code = translate(regexp_replace(group_code, '[\x01-\x1f]', ' ', 'g'), '"\', '''/'),
    updated_at = now()
WHERE sex ~ '[\x01-\x1f"\\]' OR age ~ '[\x01-\x1f"\\]' OR disability_status ~ '[\x01-\x1f"\\]'
    OR urbanisation ~ '[\x01-\x1f"\\]' OR group_code ~ '[\x01-\x1f"\\]'
"""


def upgrade() -> None:
    op.execute(_REWRITE)
    for column in _COLUMNS:
        op.create_check_constraint(
            op.f(f"ck_observations_{column}_plain"), "observations", f"{column} !~ {_ESCAPED}"
        )


def downgrade() -> None:
    for column in reversed(_COLUMNS):
        op.drop_constraint(op.f(f"ck_observations_{column}_plain"), "observations", type_="check")
