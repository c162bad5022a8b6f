"""ORM models, one module per aggregate. Import as a module: ``from lnob_api import models``."""

from lnob_api.models.area import Area
from lnob_api.models.audit import AuditEvent
from lnob_api.models.auth import AuthorizationCode, LoginThrottle, RefreshToken, RevokedToken
from lnob_api.models.coalition import (
    Coalition,
    CoalitionMember,
    CoalitionUserRole,
    MarginalisedGroup,
)
from lnob_api.models.dataset import (
    Dataset,
    DatasetGroup,
    DatasetIndicator,
    DatasetUpload,
    Grant,
    Removal,
)
from lnob_api.models.enums import (
    AreaLevel,
    CoalitionRole,
    DatasetStatus,
    MemberRole,
    Methodology,
    ObsStatus,
    OrganisationKind,
    ProjectStatus,
    PublicationKind,
    Visibility,
)
from lnob_api.models.observation import Observation
from lnob_api.models.organisation import OAuthClient, Organisation, OrganisationUser, User
from lnob_api.models.project import Project, ProjectGroup, ProjectTarget
from lnob_api.models.publication import (
    Publication,
    PublicationCoalition,
    PublicationDataset,
    PublicationTarget,
)
from lnob_api.models.sdg import Indicator, ReferenceDataVersion, SdgGoal, SdgTarget

__all__ = [
    "Area",
    "AreaLevel",
    "AuditEvent",
    "AuthorizationCode",
    "Coalition",
    "CoalitionMember",
    "CoalitionRole",
    "CoalitionUserRole",
    "Dataset",
    "DatasetGroup",
    "DatasetIndicator",
    "DatasetStatus",
    "DatasetUpload",
    "Grant",
    "Indicator",
    "LoginThrottle",
    "MarginalisedGroup",
    "MemberRole",
    "Methodology",
    "OAuthClient",
    "ObsStatus",
    "Observation",
    "Organisation",
    "OrganisationKind",
    "OrganisationUser",
    "Project",
    "ProjectGroup",
    "ProjectStatus",
    "ProjectTarget",
    "Publication",
    "PublicationCoalition",
    "PublicationDataset",
    "PublicationKind",
    "PublicationTarget",
    "ReferenceDataVersion",
    "RefreshToken",
    "Removal",
    "RevokedToken",
    "SdgGoal",
    "SdgTarget",
    "User",
    "Visibility",
]
