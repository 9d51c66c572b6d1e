//! `[identities]`: the ways a data subject is named on the command line.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Problems;
use super::shape::{Checked, Found, Spellings, deserialize_by_spellings};
use crate::map::IdentityKind;

/// `[identities] NAME = { kind = …, default_region = … }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentity {
    kind: Option<Checked<KindName>>,
    default_region: Option<String>,
}

#[derive(Clone, Copy)]
enum KindName {
    Email,
    Phone,
    Exact,
}

deserialize_by_spellings!(KindName);

impl<'de> Spellings<'de> for KindName {
    const EXPECTING: &'static str = "email, phone or exact";

    fn refusal(found: &Found) -> String {
        match found.text() {
            Some(text) => format!("unknown kind `{text}` (use email, phone or exact)"),
            None => format!("unknown kind {found} (use email, phone or exact)"),
        }
    }

    fn from_text(text: &str) -> Result<Self, String> {
        match text {
            "email" => Ok(KindName::Email),
            "phone" => Ok(KindName::Phone),
            "exact" => Ok(KindName::Exact),
            _ => Err(Self::refusal(&Found::from(text))),
        }
    }
}

/// `[identities]`: each name's kind.
pub(super) fn kinds_checked(
    raw: &BTreeMap<String, RawIdentity>,
    p: &mut Problems,
) -> BTreeMap<String, IdentityKind> {
    let mut out = BTreeMap::new();
    for (name, identity) in raw {
        let key = format!("identities.{name}");
        let kind_key = format!("{key}.kind");
        let Some(kind) = identity.kind.as_ref() else {
            p.add(kind_key, "missing (use email, phone or exact)");
            continue;
        };
        let Some(kind) = kind.valid(&kind_key, p) else {
            continue;
        };
        let region = identity.default_region.as_deref();
        let kind = match kind {
            KindName::Email => IdentityKind::Email,
            KindName::Exact => IdentityKind::Exact,
            KindName::Phone => IdentityKind::Phone {
                default_region: region.and_then(|r| {
                    r.parse::<phonenumber::country::Id>()
                        .map_err(|_| {
                            p.add(
                                format!("{key}.default_region"),
                                format!("`{r}` is not a two-letter region code such as \"DE\""),
                            );
                        })
                        .ok()
                }),
            },
        };
        if region.is_some() && !matches!(kind, IdentityKind::Phone { .. }) {
            p.add(
                format!("{key}.default_region"),
                "only phone identities have a default region",
            );
        }
        out.insert(name.clone(), kind);
    }
    out
}
