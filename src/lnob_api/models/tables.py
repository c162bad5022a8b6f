"""Every model's table under its SQL name, named in this one place: the repositories and the
SQL they build import the tables they use from here (``from lnob_api.models.tables import
datasets, coalitions``) rather than each aliasing ``Model.__table__`` again."""

from __future__ import annotations

import sqlalchemy as sa

from lnob_api import models

access_requests: sa.Table = models.AccessRequest.__table__
areas: sa.Table = models.Area.__table__
audit_events: sa.Table = models.AuditEvent.__table__
authorization_codes: sa.Table = models.AuthorizationCode.__table__
coalition_members: sa.Table = models.CoalitionMember.__table__
coalition_user_roles: sa.Table = models.CoalitionUserRole.__table__
coalitions: sa.Table = models.Coalition.__table__
consents: sa.Table = models.Consent.__table__
dataset_groups: sa.Table = models.DatasetGroup.__table__
dataset_indicators: sa.Table = models.DatasetIndicator.__table__
dataset_quality_criteria: sa.Table = models.DatasetQualityCriterion.__table__
dataset_uploads: sa.Table = models.DatasetUpload.__table__
dataset_validations: sa.Table = models.DatasetValidation.__table__
datasets: sa.Table = models.Dataset.__table__
grants: sa.Table = models.Grant.__table__
idempotency_keys: sa.Table = models.IdempotencyKey.__table__
indicators: sa.Table = models.Indicator.__table__
login_throttles: sa.Table = models.LoginThrottle.__table__
marginalised_groups: sa.Table = models.MarginalisedGroup.__table__
notifications: sa.Table = models.Notification.__table__
oauth_clients: sa.Table = models.OAuthClient.__table__
observations: sa.Table = models.Observation.__table__
official_values: sa.Table = models.OfficialValue.__table__
organisation_users: sa.Table = models.OrganisationUser.__table__
organisations: sa.Table = models.Organisation.__table__
project_groups: sa.Table = models.ProjectGroup.__table__
project_targets: sa.Table = models.ProjectTarget.__table__
projects: sa.Table = models.Project.__table__
publication_coalitions: sa.Table = models.PublicationCoalition.__table__
publication_datasets: sa.Table = models.PublicationDataset.__table__
publication_targets: sa.Table = models.PublicationTarget.__table__
publications: sa.Table = models.Publication.__table__
quality_criteria: sa.Table = models.QualityCriterion.__table__
recommendation_responses: sa.Table = models.RecommendationResponse.__table__
recommendation_status_changes: sa.Table = models.RecommendationStatusChange.__table__
recommendation_targets: sa.Table = models.RecommendationTarget.__table__
recommendations: sa.Table = models.Recommendation.__table__
reference_data_versions: sa.Table = models.ReferenceDataVersion.__table__
refresh_tokens: sa.Table = models.RefreshToken.__table__
removals: sa.Table = models.Removal.__table__
revoked_tokens: sa.Table = models.RevokedToken.__table__
scorecard_actions: sa.Table = models.ScorecardAction.__table__
scorecard_criteria: sa.Table = models.ScorecardCriterion.__table__
scorecard_rounds: sa.Table = models.ScorecardRound.__table__
scorecard_scores: sa.Table = models.ScorecardScore.__table__
scorecards: sa.Table = models.Scorecard.__table__
sdg_goals: sa.Table = models.SdgGoal.__table__
sdg_targets: sa.Table = models.SdgTarget.__table__
users: sa.Table = models.User.__table__
