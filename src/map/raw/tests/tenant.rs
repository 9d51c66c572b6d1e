//! `[tenant]`: the rows the tenant row owns, and sub-tenants.

use super::*;

#[test]
fn the_tenant_row_owns_rows_and_tenants_may_nest() {
    let map = parse(
        "parent = \"parent_id\"\n\
         links = [{ column = \"settings_id\", references = \"org_settings\" }, \
                  { column = \"sso_id\", references = \"sso\", owned = true, to = \"uid\" }]\n\
         [tables.org_settings]\n[tables.sso]\n",
    );
    let tenant = map.tenant.unwrap();
    assert_eq!(tenant.parent.as_deref(), Some("parent_id"));
    assert_eq!(
        tenant.links,
        [
            LinkSpec {
                column: "settings_id".into(),
                references: "org_settings".into(),
                to: None,
                owned: true,
                follow: true,
            },
            LinkSpec {
                column: "sso_id".into(),
                references: "sso".into(),
                to: Some("uid".into()),
                owned: true,
                follow: true,
            },
        ]
    );
}

#[test]
fn bad_tenant_links_and_parents_are_refused_naming_the_key() {
    refused(
        "links = [{ column = \"settings_id\", references = \"org_settings\", owned = false }]\n\
         [tables.org_settings]\n",
        &["tenant.links[0].owned", "always owned"],
    );
    refused(
        "links = [{ column = \"settings_id\", references = \"org_setings\" }]\n\
         [tables.org_settings]\n",
        &[
            "tenant.links[0].references",
            "unknown table `org_setings`",
            "org_settings",
        ],
    );
    refused(
        "links = [{ column = \"plan_id\", references = \"plans\" }]\n\
         [tables.plans]\nignore = true\n",
        &["tenant.links[0].references", "`plans` is ignored"],
    );
    refused(
        "links = [{ column = \"user_id\", references = \"users\" }]\n\
         [tables.users]\nscope = \"global\"\nidentities = { email = \"email\" }\n",
        &["tenant.links[0].references", "`users` is a global table"],
    );
    refused(
        "links = [{ column = \"parent_id\", references = \"orgs\" }]\n",
        &["tenant.links[0].references", "`[tenant] parent`"],
    );
    refused(
        "links = [{ column = \"\", references = \"org_settings\", to = \"\" }]\n\
         [tables.org_settings]\n",
        &[
            "tenant.links[0].column: an empty name",
            "tenant.links[0].to: an empty name",
        ],
    );
    refused(
        "parent = \"id\"\n",
        &["tenant.parent", "`id` is the tenant's id"],
    );
    refused("parent = \"\"\n", &["tenant.parent: an empty name"]);
    refused(
        "links = [{ column = \"s\", references = \"org_settings\", follow = false }]\n\
         [tables.org_settings]\n",
        &["follow"],
    );
}
