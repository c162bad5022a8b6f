"""The declared account entities: users, OAuth clients and grants, one line per column (see
``declare``).

Their GraphQL object fields come from here (``graphql.declared.declared``) over the records
their services return (a field reads the record's attribute of the same name, as it reads a
row's). What is not a column of the entity's own table (the slugs and codes of joined rows,
``Grant.clientId``, ``OAuthClient.isPublic`` and what follows it, the status of a grant) stays
written in the types.

Secrets are never declared: a user's ``password_hash`` and a client's ``secret_hash`` are read
only by the sign-in code, never by a GraphQL type (tests/declare/test_accounts_declared.py).
"""

from __future__ import annotations

from lnob_api import models
from lnob_api.declare import Entity, Field

# The columns that hold secrets (hashes): never a declared field of these entities.
SECRETS = frozenset({"password_hash", "secret_hash"})

# A user as a coalition admin sees them when managing roles.
USER = Entity(
    "User",
    models.User,
    (
        Field("email"),
        Field("name"),
    ),
    description="A user, as a coalition admin sees them when managing roles.",
)

# The columns before ``isPublic`` (computed; written in the type, with what follows it).
CLIENT = Entity(
    "OAuthClient",
    models.OAuthClient,
    (
        Field("client_id", "The public client id."),
        Field("name"),
        Field("scopes", "The most its tokens may carry."),
        Field("redirect_uris"),
        Field("grant_types"),
    ),
    description="A machine or frontend client of an organisation. Its secret is shown once, at"
    " creation, and stored only as a hash.",
)

GRANT = Entity(
    "Grant",
    models.Grant,
    (
        Field("dataset_id", public=False),
        Field("expires_at"),
        Field("revoked_at"),
        Field("note"),
        Field("created_at"),
    ),
    description="Access to one dataset, or to all of a coalition's data, opened to an"
    " organisation or an OAuth client, optionally until a moment.",
)

ENTITIES = (USER, CLIENT, GRANT)
