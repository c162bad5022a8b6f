"""Discovery documents beside the RFC 8414 metadata (``http.oauth``): OpenID Connect discovery,
which gateways (Kong, Envoy, oauth2-proxy) read to find the issuer and its keys, and the RFC 9728
protected-resource metadata, which a 401's ``WWW-Authenticate`` points to.

The service issues OAuth access tokens (RFC 9068 JWTs), not OpenID Connect ID tokens: the OpenID
document is the RFC 8414 metadata plus the members OpenID Connect Discovery 1.0 requires.
``id_token_signing_alg_values_supported`` names the algorithm the service really signs with
(ES256, an EC key) rather than the RS256 the specification asks an identity provider to offer,
because verifiers such as go-oidc accept only the algorithms listed there.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from lnob_api.auth.keys import ALGORITHM
from lnob_api.auth.middleware import RESOURCE_METADATA_PATH
from lnob_api.auth.principal import Scope
from lnob_api.config import Settings
from lnob_api.http.oauth import metadata_document

OPENID_CONFIGURATION = "/.well-known/openid-configuration"
PROTECTED_RESOURCE = RESOURCE_METADATA_PATH
RESOURCE_NAME = "LNOB Data Commons API"
_HEADERS = {"Cache-Control": "public, max-age=300"}


def discovery_routes() -> list[BaseRoute]:
    """The discovery routes, for the application's route list."""
    return [
        Route(OPENID_CONFIGURATION, openid_configuration, methods=["GET"]),
        Route(PROTECTED_RESOURCE, protected_resource, methods=["GET"]),
    ]


def resource_metadata_url(settings: Settings) -> str:
    """Where the RFC 9728 document of this resource lives (for ``WWW-Authenticate``)."""
    return f"{settings.issuer}{PROTECTED_RESOURCE}"


def openid_document(settings: Settings) -> dict[str, object]:
    """OpenID Connect Discovery 1.0 provider metadata (see the module docstring)."""
    return metadata_document(settings) | {
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }


def protected_resource_document(settings: Settings) -> dict[str, object]:
    """RFC 9728 metadata: the resource identifier is the service's base URL (the issuer), and
    tokens of this service and of the configured OpenID Connect issuer are accepted."""
    servers = [settings.issuer]
    if settings.oidc_issuer is not None and settings.oidc_issuer != settings.issuer:
        servers.append(settings.oidc_issuer)
    return {
        "resource": settings.issuer,
        "authorization_servers": servers,
        "scopes_supported": [s.value for s in Scope],
        "bearer_methods_supported": ["header"],
        "resource_name": RESOURCE_NAME,
    }


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def openid_configuration(request: Request) -> Response:
    """``GET /.well-known/openid-configuration``."""
    return JSONResponse(openid_document(_settings(request)), headers=_HEADERS)


async def protected_resource(request: Request) -> Response:
    """``GET /.well-known/oauth-protected-resource`` (RFC 9728)."""
    return JSONResponse(protected_resource_document(_settings(request)), headers=_HEADERS)
