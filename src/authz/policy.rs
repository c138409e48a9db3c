//! The Casbin policy (`policies/`): loaded and checked once at start, then asked which
//! permissions — resource, action and scope kind — a subject holds.

use std::path::Path;

use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi, StringAdapter};

use crate::domain::org::BodyKind;

const MODEL: &str = include_str!("../../policies/model.conf");
const POLICY: &str = include_str!("../../policies/policy.csv");

/// How much of the budget system a permission reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeKind {
    /// Every budget.
    All,
    /// Local budgets of the body's territory.
    Territory,
    /// The body's own administrator in the republican budget.
    Administrator,
    /// Listed administrators of the regional budget of the body's region.
    TerritoryAdministrators(Vec<String>),
    /// No budget data.
    None,
}

/// One permission a subject holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// Resource (`budget`, `application`, ...).
    pub resource: String,
    /// Action (`read`, `review`, ...).
    pub action: String,
    /// Scope kind.
    pub scope: ScopeKind,
}

/// The loaded policy.
pub struct Policy {
    enforcer: Enforcer,
}

/// Why the policy could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("policy {what}: {detail}")]
pub struct PolicyError {
    what: &'static str,
    detail: String,
}

fn policy_error(what: &'static str, detail: impl std::fmt::Display) -> PolicyError {
    PolicyError {
        what,
        detail: detail.to_string(),
    }
}

fn parse_scope(kind: &str, codes: &str) -> Result<ScopeKind, String> {
    let scope = match kind {
        "all" => ScopeKind::All,
        "territory" => ScopeKind::Territory,
        "administrator" => ScopeKind::Administrator,
        "none" => ScopeKind::None,
        "territory_administrators" => {
            let list: Vec<String> = codes.split('|').map(|c| c.trim().to_owned()).collect();
            if list
                .iter()
                .any(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(format!(
                    "administrator codes `{codes}` must be 3-digit codes separated by `|`"
                ));
            }
            return Ok(ScopeKind::TerritoryAdministrators(list));
        }
        other => {
            return Err(format!(
                "unknown scope kind `{other}` (expected all, territory, administrator, territory_administrators or none)"
            ));
        }
    };
    if codes.trim().is_empty() {
        Ok(scope)
    } else {
        Err(format!(
            "scope kind `{kind}` takes no administrator codes (got `{codes}`)"
        ))
    }
}

/// The text of a policy, and where it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyText {
    /// The Casbin model (`model.conf`).
    pub model: String,
    /// The rules (`policy.csv`).
    pub rules: String,
    /// The folder it was read from, or `built-in`.
    pub source: String,
}

/// The source of the policy copies built into the binary.
pub const BUILT_IN: &str = "built-in";

impl PolicyText {
    /// Reads `model.conf` and `policy.csv` from `dir`, or takes the copies built into the binary.
    pub fn read(dir: Option<&Path>) -> Result<PolicyText, PolicyError> {
        let Some(d) = dir else {
            return Ok(PolicyText {
                model: MODEL.to_owned(),
                rules: POLICY.to_owned(),
                source: BUILT_IN.to_owned(),
            });
        };
        let read = |name: &str, what: &'static str| {
            let path = d.join(name);
            std::fs::read_to_string(&path)
                .map_err(|e| policy_error(what, format!("{}: {e}", path.display())))
        };
        Ok(PolicyText {
            model: read("model.conf", "model")?,
            rules: read("policy.csv", "rules")?,
            source: d.display().to_string(),
        })
    }

    /// SHA-256 of the model and the rules (each length-prefixed, so no two texts share it).
    pub fn sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [&self.model, &self.rules] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }

    /// The policy this text defines, checked rule by rule.
    pub async fn compile(&self) -> Result<Policy, PolicyError> {
        Policy::from_text(&self.model, &self.rules).await
    }
}

impl Policy {
    /// Loads `model.conf` and `policy.csv` from `dir`, or the copies built into the binary.
    /// Every rule is checked: a malformed file stops start-up with a message naming the rule.
    pub async fn load(dir: Option<&Path>) -> Result<Policy, PolicyError> {
        PolicyText::read(dir)?.compile().await
    }

    /// Loads a policy from its text.
    pub async fn from_text(model: &str, policy: &str) -> Result<Policy, PolicyError> {
        let model = DefaultModel::from_str(model)
            .await
            .map_err(|e| policy_error("model", e))?;
        let adapter = StringAdapter::new(policy.to_owned());
        let enforcer = Enforcer::new(model, adapter)
            .await
            .map_err(|e| policy_error("rules", e))?;
        let p = Policy { enforcer };
        p.validate()?;
        Ok(p)
    }

    fn validate(&self) -> Result<(), PolicyError> {
        let rules = self.enforcer.get_policy();
        if rules.is_empty() {
            return Err(policy_error(
                "rules",
                "no `p` rules were loaded (is the model's [policy_definition] `p = sub, obj, act, scope, codes`?)",
            ));
        }
        if let Err(e) = self.enforcer.enforce(("PARLIAMENT", "budget", "read")) {
            return Err(policy_error(
                "model",
                format!("cannot decide a request: {e}"),
            ));
        }
        for rule in rules {
            let [_, _, _, scope, codes] = &rule[..] else {
                return Err(policy_error(
                    "rule",
                    format!("`{}` must have 5 fields", rule.join(", ")),
                ));
            };
            parse_scope(scope, codes)
                .map_err(|e| policy_error("rule", format!("`{}`: {e}", rule.join(", "))))?;
        }
        for g in self.enforcer.get_grouping_policy() {
            let subject = g.first().map(String::as_str).unwrap_or("");
            if subject.parse::<BodyKind>().is_err() && !self.is_role(subject) {
                return Err(policy_error(
                    "role assignment",
                    format!("`{}`: `{subject}` is not a body kind", g.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn is_role(&self, name: &str) -> bool {
        self.enforcer
            .get_policy()
            .iter()
            .any(|p| p.first().map(String::as_str) == Some(name))
    }

    /// Every permission `subject` holds, directly or through its roles.
    pub fn permissions(&self, subject: &str) -> Vec<Permission> {
        let mut enforcer_rows = self
            .enforcer
            .get_filtered_policy(0, vec![subject.to_owned()]);
        for role in self.roles(subject) {
            enforcer_rows.extend(self.enforcer.get_filtered_policy(0, vec![role]));
        }
        enforcer_rows
            .into_iter()
            .filter_map(|r| {
                let [_, resource, action, scope, codes] = &r[..] else {
                    return None;
                };
                Some(Permission {
                    resource: resource.clone(),
                    action: action.clone(),
                    scope: parse_scope(scope, codes).ok()?,
                })
            })
            .collect()
    }

    /// The roles `subject` is assigned (transitively).
    pub fn roles(&self, subject: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut frontier = vec![subject.to_owned()];
        while let Some(s) = frontier.pop() {
            for g in self.enforcer.get_filtered_grouping_policy(0, vec![s]) {
                if let Some(role) = g.get(1)
                    && !found.contains(role)
                {
                    found.push(role.clone());
                    frontier.push(role.clone());
                }
            }
        }
        found
    }

    /// Whether `subject` may do `action` on `resource` (Casbin's own decision).
    pub fn allows(&self, subject: &str, resource: &str, action: &str) -> bool {
        self.enforcer
            .enforce((subject, resource, action))
            .unwrap_or(false)
    }

    /// The scope kinds under which `subject` reads `resource`.
    pub fn read_scopes(&self, subject: &str, resource: &str) -> Vec<ScopeKind> {
        self.permissions(subject)
            .into_iter()
            .filter(|p| p.resource == resource && p.action == "read")
            .map(|p| p.scope)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shipped_policy_gives_each_auditor_kind_its_scope() {
        let p = Policy::load(None).await.expect("shipped policy loads");
        for (kind, want) in [
            (BodyKind::Parliament, vec![ScopeKind::All]),
            (BodyKind::SupremeAuditChamber, vec![ScopeKind::All]),
            (BodyKind::InternalStateAuditAuthority, vec![ScopeKind::All]),
            (BodyKind::Maslikhat, vec![ScopeKind::Territory]),
            (BodyKind::RevisionCommission, vec![ScopeKind::Territory]),
            (
                BodyKind::CentralBodyInternalAudit,
                vec![ScopeKind::Administrator],
            ),
            (
                BodyKind::RegionalExecutiveInternalAudit,
                vec![ScopeKind::Territory],
            ),
            (
                BodyKind::PoliceInternalAudit,
                vec![ScopeKind::TerritoryAdministrators(vec![
                    "252".into(),
                    "352".into(),
                ])],
            ),
            (BodyKind::AuthorizedBody, vec![]),
            (BodyKind::Integrator, vec![]),
            (BodyKind::CentralStateBody, vec![]),
            (BodyKind::LocalExecutiveBody, vec![]),
        ] {
            assert_eq!(p.read_scopes(kind.as_str(), "budget"), want, "{kind}");
        }
    }

    #[tokio::test]
    async fn auditors_hold_read_only() {
        let p = Policy::load(None).await.expect("policy");
        for kind in BodyKind::ALL.iter().filter(|k| k.is_oversight_body()) {
            for perm in p.permissions(kind.as_str()) {
                assert_eq!(perm.action, "read", "{kind} holds {perm:?}");
            }
            assert!(!p.allows(kind.as_str(), "application", "grant"));
        }
        assert!(p.allows("INTEGRATOR", "application", "grant"));
        assert!(!p.allows("INTEGRATOR", "budget", "read"));
    }

    #[tokio::test]
    async fn malformed_policies_fail_with_a_message_naming_the_rule() {
        for (name, rules, needle) in [
            (
                "unknown scope kind",
                "p, r, budget, read, everywhere,\ng, PARLIAMENT, r\n",
                "unknown scope kind `everywhere`",
            ),
            (
                "bad codes",
                "p, r, budget, read, territory_administrators, 25|352\ng, PARLIAMENT, r\n",
                "3-digit codes",
            ),
            (
                "codes on a plain scope",
                "p, r, budget, read, all, 252\ng, PARLIAMENT, r\n",
                "takes no administrator codes",
            ),
            (
                "unknown body kind",
                "p, r, budget, read, all,\ng, PARLAMENT, r\n",
                "`PARLAMENT` is not a body kind",
            ),
        ] {
            let err = match Policy::from_text(MODEL, rules).await {
                Ok(_) => panic!("{name}: accepted"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(needle), "{name}: {err}");
        }
        assert!(
            Policy::from_text("[request_definition]\nr = sub\n", POLICY)
                .await
                .is_err(),
            "broken model"
        );
    }
}
