//! Informatization objects, their lifecycle and their technical documentation.

use super::text_enum;

text_enum!(
    /// Kind of informatization object (Law "On Informatization", art. 1).
    ObjectKind {
        /// An information system.
        InformationSystem => "INFORMATION_SYSTEM",
        /// An electronic information resource.
        ElectronicInformationResource => "ELECTRONIC_INFORMATION_RESOURCE",
        /// A software product.
        SoftwareProduct => "SOFTWARE_PRODUCT",
        /// An internet resource.
        InternetResource => "INTERNET_RESOURCE",
        /// An object of information and communication infrastructure.
        IctInfrastructure => "ICT_INFRASTRUCTURE",
    }
);

text_enum!(
    /// Stage of an object's lifecycle.
    LifecycleStage {
        /// Being created.
        Creation => "CREATION",
        /// In trial operation.
        TrialOperation => "TRIAL_OPERATION",
        /// In industrial (commercial) operation.
        IndustrialOperation => "INDUSTRIAL_OPERATION",
        /// Being developed further.
        Development => "DEVELOPMENT",
        /// Taken out of operation.
        Decommissioned => "DECOMMISSIONED",
    }
);

text_enum!(
    /// Who may see an object's content.
    AccessLevel {
        /// Publicly available.
        Public => "PUBLIC",
        /// Restricted access.
        Restricted => "RESTRICTED",
    }
);

text_enum!(
    /// Information-security attestation of an object (Law "On Informatization": a state
    /// information system goes into industrial operation only with a certificate of conformity
    /// to the information-security requirements).
    AttestationStatus {
        /// Attested: the certificate was issued (with its date).
        Attested => "ATTESTED",
        /// Not attested (yet, or no longer).
        NotAttested => "NOT_ATTESTED",
        /// The requirement does not apply to this object.
        NotRequired => "NOT_REQUIRED",
    }
);

text_enum!(
    /// Type of a technical document (rules for placing electronic copies of documentation).
    DocumentType {
        /// Terms of reference.
        TermsOfReference => "TERMS_OF_REFERENCE",
        /// Technical project.
        TechnicalProject => "TECHNICAL_PROJECT",
        /// Test program and methodology.
        TestProgram => "TEST_PROGRAM",
        /// Test protocol.
        TestProtocol => "TEST_PROTOCOL",
        /// Act of putting into trial operation.
        TrialOperationAct => "TRIAL_OPERATION_ACT",
        /// Act of putting into industrial operation.
        IndustrialOperationAct => "INDUSTRIAL_OPERATION_ACT",
        /// Operation (user) manual.
        OperationManual => "OPERATION_MANUAL",
        /// Contract.
        Contract => "CONTRACT",
        /// Information-security documentation.
        InformationSecurity => "INFORMATION_SECURITY",
    }
);

text_enum!(
    /// File format of a stored document.
    DocumentFormat {
        /// PDF/A-1.
        PdfA1 => "PDF_A_1",
        /// Office Open XML document.
        Docx => "DOCX",
    }
);

text_enum!(
    /// Language of a document.
    DocumentLanguage {
        /// Kazakh.
        Kk => "KK",
        /// Russian.
        Ru => "RU",
        /// English.
        En => "EN",
    }
);

impl DocumentFormat {
    /// The media type a download is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            DocumentFormat::PdfA1 => "application/pdf",
            DocumentFormat::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }
}
