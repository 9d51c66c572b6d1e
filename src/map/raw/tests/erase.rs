//! `erase`: per action, and `scrub` only where a data subject is known.

use super::*;

#[test]
fn erase_may_differ_per_action() {
    let map = parse(
        "[tables.segments]\ntenant = \"org_id\"\n\
         erase = { subject = { anonymise = { filters = \"scrub\", name = \"redact\" } }, tenant = \"delete\" }\n\
         [tables.invoices]\ntenant = \"org_id\"\n\
         erase = { subject = { anonymise = { email = \"null\" } }, tenant = \"retain\" }\n\
         legal_basis = \"tax law\"\n\
         [tables.notes]\ntenant = \"org_id\"\nerase = { anonymise = { body = \"hash\" } }\n",
    );
    let segments = &map.tables["segments"].erase;
    assert_eq!(
        segments.subject,
        Erase::Anonymise(vec![
            ("filters".into(), AnonymiseMode::Scrub),
            ("name".into(), AnonymiseMode::Redact),
        ])
    );
    assert_eq!(segments.tenant, Erase::Delete);
    assert_eq!(map.tables["invoices"].erase.tenant, Erase::Retain);
    let notes = Erase::Anonymise(vec![("body".into(), AnonymiseMode::Hash)]);
    assert_eq!(map.tables["notes"].erase, EraseRules::both(notes));
}

#[test]
fn scrub_outside_erase_subject_is_refused() {
    let tenant = refused(
        "[tables.segments]\ntenant = \"org_id\"\n\
         erase = { subject = \"delete\", tenant = { anonymise = { filters = \"scrub\" } } }\n",
        &[
            "tables.segments.erase.tenant.anonymise.filters",
            "scrub needs a data subject: use it in erase.subject; delete-tenant deletes or anonymises the whole row",
        ],
    );
    assert!(!tenant.contains("erase.subject."), "{tenant}");
    refused(
        "[tables.messages]\ntenant = \"org_id\"\nerase = { anonymise = { body = \"scrub\" } }\n",
        &[
            "tables.messages.erase.anonymise.body",
            "scrub needs a data subject",
            "a plain erase applies to delete-tenant too",
        ],
    );
    refused(
        "[tenant.erase]\nanonymise = { name = \"scrub\" }\n",
        &["tenant.erase.anonymise.name", "scrub needs a data subject"],
    );
}

#[test]
fn bad_per_action_erases_are_refused_naming_the_key() {
    refused(
        "[tables.x]\ntenant = \"org_id\"\nerase = { subject = \"delete\" }\n",
        &["tables.x.erase.tenant: missing: what delete-tenant does"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nerase = { tenant = \"delete\" }\n",
        &["tables.x.erase.subject: missing: what dsar delete does"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nerase = { subject = \"delete\", tenant = \"delete\", dsar = \"retain\" }\n",
        &["tables.x.erase.dsar: unknown key"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nerase = { subject = { anonymise = { a = \"blank\" } }, tenant = \"delete\" }\n",
        &[
            "tables.x.erase.subject.anonymise.a",
            "unknown mode \"blank\"",
        ],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nerase = { subject = \"purge\", tenant = \"delete\" }\n",
        &["tables.x.erase.subject", "\"purge\" is not an erase"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nerase = { subject = { subject = \"delete\" }, tenant = \"delete\" }\n",
        &["tables.x.erase.subject", "is not an erase"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nerase = { subject = \"delete\", tenant = \"retain\" }\n",
        &["tables.x.legal_basis", "legal basis"],
    );
}
