//! Global tables, links, and ignored tables that may be scanned.

use super::*;

#[test]
fn a_global_table_names_identities_and_no_tenant() {
    let map = parse(
        "[tables.contacts]\ntenant = \"org_id\"\nidentities = { email = \"email\" }\n\
         [tables.jobs]\nscope = \"global\"\nidentities = { email = { column = \"payload\", json = \"any\" } }\n\
         links = [{ column = \"contact_id\", references = \"contacts\" }]\n\
         erase = { anonymise = { payload = \"scrub\" } }\n\
         [tables.contact_notes]\nscope = \"tenant\"\ntenant = \"org_id\"\n",
    );
    let jobs = &map.tables["jobs"];
    assert_eq!(jobs.scope, Scope::Global);
    assert_eq!(jobs.tenant, None);
    // Links are kept (erasure order), never followed for selection or tenancy.
    assert_eq!(jobs.links.len(), 1);
    // delete-tenant never touches it: a plain scrub is for its DSARs.
    let scrub = Erase::Anonymise(vec![("payload".into(), AnonymiseMode::Scrub)]);
    assert_eq!(jobs.erase.subject, scrub);
    assert_eq!(map.tables["contacts"].scope, Scope::Tenant);
    assert_eq!(map.tables["contact_notes"].scope, Scope::Tenant);
}

#[test]
fn bad_global_tables_are_refused_naming_the_key() {
    refused(
        "[tables.jobs]\nscope = \"globl\"\ntenant = \"org_id\"\n",
        &["tables.jobs.scope", "unknown scope \"globl\""],
    );
    refused(
        "[tables.jobs]\nscope = \"global\"\ntenant = \"org_id\"\nidentities = { email = \"email\" }\n",
        &[
            "tables.jobs.tenant",
            "`org_id`",
            "a global table belongs to no tenant",
        ],
    );
    refused(
        "[tables.jobs]\nscope = \"global\"\n",
        &["tables.jobs.identities: missing"],
    );
    refused(
        "[tables.attrs]\nscope = \"global\"\n\
         identities = { email = { column = \"value\", identifies = \"contact_id\" } }\n",
        &[
            "tables.attrs.identities.email.identifies",
            "not reached from a global table",
        ],
    );
    refused(
        "[tables.addresses]\ntenant = \"org_id\"\n\
         [tables.jobs]\nscope = \"global\"\nidentities = { email = \"email\" }\n\
         links = [{ column = \"address_id\", references = \"addresses\", owned = true }]\n",
        &[
            "tables.jobs.links[0].owned",
            "not reached from a global table",
        ],
    );
    refused(
        "[tables.users]\nscope = \"global\"\nidentities = { email = \"email\" }\n\
         [tables.contacts]\ntenant = \"org_id\"\n\
         links = [{ column = \"user_id\", references = \"users\", owned = true }]\n",
        &[
            "tables.contacts.links[0].owned",
            "`users` is a global table",
        ],
    );
    refused(
        "[tables.jobs]\nscope = \"global\"\nidentities = { email = \"email\" }\n\
         erase = { subject = \"delete\", tenant = \"retain\" }\n",
        &[
            "tables.jobs.erase.tenant",
            "delete-tenant never touches a global table",
        ],
    );
    refused(
        "[tables.jobs]\nscope = \"global\"\nidentities = { email = \"email\" }\n\
         category = \"logs\"\ntimestamp = \"at\"\n\
         [tenant.retention_overrides]\nlogs = \"log_days\"\n\
         [retention]\nlogs = \"30d\"\n",
        &["tables.jobs.category", "`logs` has a per-tenant override"],
    );
}

#[test]
fn links_may_target_a_unique_column_or_an_ignored_table() {
    let map = parse(
        "[tables.bookings]\ntenant = \"org_id\"\n\
         [tables.attendees]\n\
         links = [{ column = \"booking_uid\", references = \"bookings\", to = \"uid\" }, \
                  { column = \"created_by\", references = \"users\" }]\n\
         [tables.users]\nignore = true\n",
    );
    assert_eq!(
        map.tables["attendees"].links,
        [
            LinkSpec {
                column: "booking_uid".into(),
                references: "bookings".into(),
                to: Some("uid".into()),
                owned: false,
                follow: true,
            },
            LinkSpec {
                column: "created_by".into(),
                references: "users".into(),
                to: None,
                owned: false,
                follow: true,
            },
        ]
    );
}

#[test]
fn bad_links_are_refused_naming_the_key() {
    refused(
        "[tables.attendees]\nlinks = [{ column = \"b\", references = \"bookings\", to = \"\" }]\n\
         [tables.bookings]\ntenant = \"org_id\"\n",
        &["tables.attendees.links[0].to: an empty name"],
    );
    refused(
        "[tables.contacts]\ntenant = \"org_id\"\n\
         links = [{ column = \"user_id\", references = \"users\", owned = true }]\n\
         [tables.users]\nignore = true\n",
        &["tables.contacts.links[0].owned", "`users` is ignored"],
    );
    refused(
        "[tables.contacts]\ntenant = \"org_id\"\n\
         links = [{ column = \"user_id\", references = \"usres\" }]\n\
         [tables.users]\nignore = true\n",
        &[
            "tables.contacts.links[0].references",
            "unknown table `usres`",
        ],
    );
}

#[test]
fn an_ignored_table_may_be_scanned() {
    let map = parse(
        "[tables.audit_archive]\nignore = true\nscan = true\nreason = \"cold archive\"\n\
         [tables.schema_migrations]\nignore = true\n",
    );
    assert!(map.ignored.contains_key("audit_archive"));
    assert_eq!(
        map.scan_ignored.iter().collect::<Vec<_>>(),
        ["audit_archive"]
    );
}

#[test]
fn scan_on_a_mapped_table_and_stray_keys_on_an_ignored_one_are_refused() {
    refused(
        "[tables.contacts]\ntenant = \"org_id\"\nscan = true\n",
        &["tables.contacts.scan", "`scan` goes with `ignore = true`"],
    );
    refused(
        "[tables.archive]\nignore = true\nscan = true\ntimestamp = \"at\"\nexport = \"omit\"\npurpose = \"x\"\n",
        &[
            "tables.archive: an ignored table takes only `ignore`, `reason` and `scan`",
            "purpose, timestamp, export",
        ],
    );
}

#[test]
fn a_table_states_its_purpose_for_the_subject() {
    let map = parse("[tables.contacts]\ntenant = \"org_id\"\npurpose = \"to answer you\"\n");
    assert_eq!(
        map.tables["contacts"].purpose.as_deref(),
        Some("to answer you")
    );
    assert_eq!(map.tables["contacts"].legal_basis, None);
}
