"""Every table of every domain, for migrations and for tests that compare them."""

from lawcam.access import models as access_models
from lawcam.activities import models as activity_models
from lawcam.audit import models as audit_models
from lawcam.compliance import models as compliance_models
from lawcam.custody import models as custody_models
from lawcam.db.base import Base
from lawcam.documents import models as document_models
from lawcam.equipment import models as equipment_models
from lawcam.evidence import models as evidence_models
from lawcam.org import models as org_models
from lawcam.retention import models as retention_models

__all__ = [
    "Base",
    "access_models",
    "activity_models",
    "audit_models",
    "compliance_models",
    "custody_models",
    "document_models",
    "equipment_models",
    "evidence_models",
    "org_models",
    "retention_models",
]

metadata = Base.metadata
