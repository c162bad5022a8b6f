"""Production mode hides the schema from everyone but partnership admins.

With ``LNOB_ENV=production``, introspection (``__schema``, ``__type``; ``__typename`` stays) is
refused by graphql-core's ``NoSchemaIntrospectionCustomRule``, and "Did you mean ...?" hints
are cut from error messages, so that field, argument, type and enum names cannot be probed one
typo at a time. Partnership admins (flag and scope) keep both; development and test keep both
for everyone.

The rule is added to the operation's validation rules, which ``ValidationCache`` uses in its
key: documents validated with and without it are cached apart, and a result cached for an
admin is never served to anyone else. Suggestions are cut from copies of the errors, so the
cached errors themselves stay whole.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from graphql import GraphQLError
from lnob_api.auth.principal import Principal

# graphql-core appends its hints at the end of a message: " Did you mean 'x', 'y' or 'z'?"
_SUGGESTION = re.compile(r"\s*Did you mean\b.*\Z", re.DOTALL)


def hides_schema(context: object) -> bool:
    """True when this request may see neither introspection nor suggestions."""
    settings = getattr(context, "settings", None)
    if getattr(settings, "env", None) != "production":
        return False
    principal = getattr(context, "principal", None)
    return not (isinstance(principal, Principal) and principal.acts_as_partnership_admin)


def without_suggestion(error: GraphQLError) -> GraphQLError:
    """The same error without graphql-core's "Did you mean" hint (a copy when it had one)."""
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    shown = copy.copy(error)  # every attribute, so nothing graphql-core adds is lost
    shown.message = message
    shown.args = (message,)
    return shown


class SchemaForAdminsOnly(SchemaExtension):
    """Introspection and suggestions for partnership admins only, in production."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        hide = hides_schema(context.context)
        if hide:
            context.validation_rules = (*context.validation_rules, NoSchemaIntrospectionCustomRule)
        yield
        result = context.result
        if hide and result is not None and result.errors:
            result.errors = [without_suggestion(e) for e in result.errors]
