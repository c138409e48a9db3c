//! Kinds of organizations and what the law makes of them.

use super::text_enum;

text_enum!(
    /// What an organization is, as far as access to budget data is concerned.
    BodyKind {
        /// A chamber of Parliament (Mazhilis, Senate).
        Parliament => "PARLIAMENT",
        /// The Supreme Audit Chamber.
        SupremeAuditChamber => "SUPREME_AUDIT_CHAMBER",
        /// The authorized body for internal state audit.
        InternalStateAuditAuthority => "INTERNAL_STATE_AUDIT_AUTHORITY",
        /// A maslikhat (local representative body).
        Maslikhat => "MASLIKHAT",
        /// A revision commission of a region.
        RevisionCommission => "REVISION_COMMISSION",
        /// The internal audit service of a central state body.
        CentralBodyInternalAudit => "CENTRAL_BODY_INTERNAL_AUDIT",
        /// The internal audit service of an oblast, city of republican significance or capital akimat.
        RegionalExecutiveInternalAudit => "REGIONAL_EXECUTIVE_INTERNAL_AUDIT",
        /// The internal audit service of a territorial police department.
        PoliceInternalAudit => "POLICE_INTERNAL_AUDIT",
        /// The Ministry of Finance as the authorized body for access.
        AuthorizedBody => "AUTHORIZED_BODY",
        /// The integrator of the source systems.
        Integrator => "INTEGRATOR",
        /// A central state body (a budget administrator of the republican budget).
        CentralStateBody => "CENTRAL_STATE_BODY",
        /// A local executive body or another body funded from a local budget (akimat, department).
        LocalExecutiveBody => "LOCAL_EXECUTIVE_BODY",
        /// A territorial police department: a budget administrator (252 in an oblast, 352 in a
        /// city of republican significance or the capital) of its own kind, whose internal audit
        /// service is the oversight body.
        PoliceDepartment => "POLICE_DEPARTMENT",
    }
);

impl BodyKind {
    /// Whether bodies of this kind are oversight bodies that may apply for read access.
    pub fn is_oversight_body(self) -> bool {
        matches!(
            self,
            BodyKind::Parliament
                | BodyKind::SupremeAuditChamber
                | BodyKind::InternalStateAuditAuthority
                | BodyKind::Maslikhat
                | BodyKind::RevisionCommission
                | BodyKind::CentralBodyInternalAudit
                | BodyKind::RegionalExecutiveInternalAudit
                | BodyKind::PoliceInternalAudit
        )
    }
}
