//! A table's `identities`: several columns per identity, attribute rows, `match = "within"`.

use super::*;

#[test]
fn an_identity_may_live_in_several_columns() {
    let map = parse(
        "[tables.responses]\ntenant = \"org_id\"\n\
         identities = { email = [\"email\", { column = \"data\", json = \"any\" }], phone = [\"phone\"] }\n",
    );
    assert_eq!(
        map.tables["responses"].identities,
        [
            column("email", "email"),
            IdentityColumn {
                json: Some(JsonSelector::Any),
                ..column("email", "data")
            },
            column("phone", "phone"),
        ]
    );
}

#[test]
fn a_bad_element_of_an_identity_list_is_named_by_its_index() {
    refused(
        "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [\"email\", { column = \"data\", json = \"contact.email\" }] }\n",
        &["tables.x.identities.email[1].json", "`contact.email`"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [\"email\", 3] }\n",
        &["tables.x.identities.email[1]: 3 is not a column name"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [\"email\", \"\"] }\n",
        &["tables.x.identities.email[1]: an empty name"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [] }\n",
        &["tables.x.identities.email: lists no column"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [\"email\", \"email\"] }\n",
        &["tables.x.identities.email[1]", "`email` is listed twice"],
    );
}

#[test]
fn an_attribute_row_identifies_its_entity_and_a_match_may_be_within() {
    let map = parse(
        "[tables.contact_attributes]\ntenant = \"org_id\"\n\
         identities = { email = { column = \"value\", when = \"key = 'email'\", identifies = \"contact_id\" } }\n\
         [tables.rate_limits]\ntenant = \"org_id\"\n\
         identities = { email = { column = \"key\", match = \"within\" } }\n",
    );
    assert_eq!(
        map.tables["contact_attributes"].identities,
        [IdentityColumn {
            when: Some(MapCondition::parse("key = 'email'").unwrap()),
            identifies: Some("contact_id".into()),
            ..column("email", "value")
        }]
    );
    assert_eq!(
        map.tables["rate_limits"].identities,
        [IdentityColumn {
            within: true,
            ..column("email", "key")
        }]
    );
}

#[test]
fn bad_identifies_and_match_values_are_refused_naming_the_key() {
    refused(
        "[tables.x]\ntenant = \"org_id\"\nidentities = { email = { column = \"value\", identifies = 3 } }\n",
        &[
            "tables.x.identities.email.identifies",
            "3 is not a column name",
        ],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nidentities = { email = { column = \"value\", identifies = \"\" } }\n",
        &["tables.x.identities.email.identifies: an empty name"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nidentities = { email = [\"email\", { column = \"k\", match = \"contains\" }] }\n",
        &[
            "tables.x.identities.email[1].match",
            "\"contains\"",
            "\"within\"",
        ],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nidentities = { email = { column = \"k\", match = true } }\n",
        &["tables.x.identities.email.match", "unknown match true"],
    );
    refused(
        "[tables.x]\ntenant = \"org_id\"\nidentities = { email = { column = \"k\", matches = \"within\" } }\n",
        &[
            "tables.x.identities.email.matches",
            "use column, when, json, identifies, match",
        ],
    );
}
