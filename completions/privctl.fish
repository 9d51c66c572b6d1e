# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_privctl_global_optspecs
    string join \n database-url= map= actor= format= q/quiet no-progress h/help V/version
end

function __fish_privctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_privctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_privctl_using_subcommand
    set -l cmd (__fish_privctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c privctl -n "__fish_privctl_needs_command" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_needs_command" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_needs_command" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_needs_command" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_needs_command" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_needs_command" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_needs_command" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "init" -d 'Create privctl\'s own tables (ledger, confirmations, jobs, blob outbox); safe to run again'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "map" -d 'Draft a data map, or check one against the live schema'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "dsar" -d 'One data subject\'s rows in one tenant: preview, export, delete, or scan for what remains'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "export-tenant" -d 'Write every row scoped to one tenant as one bundle (json | ndjson | csv), optionally encrypted'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "delete-tenant" -d 'Erase a whole tenant (delete or anonymise per the map); needs a token'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "purge-retention" -d 'Delete rows past their retention window (plan tiers, overrides, legal holds); needs a token'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "audit-verify" -d 'Verify the ledger\'s hash chain: altered, removed, reordered, forged or cut-off entries'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "audit" -d 'Read the ledger: its head, or its recent entries'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "receipt" -d 'Check erasure receipts offline'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "decrypt" -d 'Decrypt a bundle written with --encrypt'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "status" -d 'Show unfinished jobs, blob objects still queued for deletion, and run locks'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "completions" -d 'Print a completion script (bash, zsh, fish, elvish, powershell)'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "demo" -d 'Build a demo SQLite database from the conversational-ai fixture and preview a real DSAR on it'
complete -c privctl -n "__fish_privctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c privctl -n "__fish_privctl_using_subcommand init" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand init" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand init" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand init" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand init" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand init" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand init" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -f -a "discover" -d 'Draft a data map from the live schema: tenant table and column, links, identities, timestamps'
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -f -a "check" -d 'Check the map against the live schema: every table covered, every name and link resolved'
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -f -a "graph" -d 'Draw the data map: the tenant table at the root, the routes to it, identities, owned and not-followed links, global and ignored tables, each table\'s erase effect and retention'
complete -c privctl -n "__fish_privctl_using_subcommand map; and not __fish_seen_subcommand_from discover check graph help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -l out -d 'Write the draft here instead of stdout (never over an existing file without --force)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -l tenant-column -d 'The column that holds the tenant [default: a tenant_id, org_id, organization_id, organisation_id, workspace_id, team_id, account_id or project_id column, in any case style, pointing at the table most others reach]' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -l sample -d 'Also read up to N rows per table and propose identities by content: each column whose values hold emails, phone numbers (E.164), IPv4 or IPv6 addresses, payment card numbers or IBANs (--sample alone: 1000). Values are never printed, only the share of rows' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -l force -d 'Overwrite --out if it exists'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from discover" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from check" -l sample -d 'Also read up to N rows per table and warn of personal data the map does not name (--sample alone: 1000). PostgreSQL samples at random; SQLite reads the first N rows' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from check" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from check" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from check" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from check" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from check" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from check" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -l output-format -d 'The picture\'s format' -r -f -a "dot\t''
mermaid\t''
svg\t''"
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -l out -d 'Write it here instead of stdout (never over an existing file without --force)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -l force -d 'Overwrite --out if it exists'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from graph" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from help" -f -a "discover" -d 'Draft a data map from the live schema: tenant table and column, links, identities, timestamps'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check the map against the live schema: every table covered, every name and link resolved'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from help" -f -a "graph" -d 'Draw the data map: the tenant table at the root, the routes to it, identities, owned and not-followed links, global and ignored tables, each table\'s erase effect and retention'
complete -c privctl -n "__fish_privctl_using_subcommand map; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -f -a "preview" -d 'Show every row of one data subject in one tenant; issues the token for `dsar delete`'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -f -a "export" -d 'Write the subject\'s data as a portable JSON bundle'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -f -a "delete" -d 'Erase the subject\'s data (delete or anonymise per the map); needs a token'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -f -a "scan" -d 'Look for the subject\'s identifiers by content in every table privctl may read (read-only): where the map is silent, they are residue an erasure would leave'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and not __fish_seen_subcommand_from preview export delete scan help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l tenant -d 'The tenant (required when the map has a [tenant] section, unless --all-tenants)' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l email -d 'The subject\'s email (trimmed and lower-cased); short for --identity email=…' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l phone -d 'The subject\'s phone number (normalised to E.164); short for --identity phone=…' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l identity -d 'Any identity the map declares in [identities]; several identities name one subject' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l on-behalf-of -d 'The tenant\'s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l all-tenants -d 'Every tenant where the subject\'s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from preview" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l tenant -d 'The tenant (required when the map has a [tenant] section, unless --all-tenants)' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l email -d 'The subject\'s email (trimmed and lower-cased); short for --identity email=…' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l phone -d 'The subject\'s phone number (normalised to E.164); short for --identity phone=…' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l identity -d 'Any identity the map declares in [identities]; several identities name one subject' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l on-behalf-of -d 'The tenant\'s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l out -d 'Where to write the bundle (created with mode 0600)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l output-format -d 'json: the portable bundle (privctl-bundle/1); html: one self-contained page for the data subject to read and print (who holds the data, why, how long, what erasure would do, and every record)' -r -f -a "json\t'One JSON document (privctl-bundle/1)'
html\t'One HTML page for the data subject (no script, no external asset)'"
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l key-file -d 'File with a 32-byte key (raw, base64 or hex)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l passphrase-env -d 'Environment variable holding a passphrase (stretched with argon2id)' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l receipt -d 'Also write a receipt for the data subject here: a proof, checked offline with `privctl receipt verify`, that the log records this export of them (needs keys.signing and [ledger] origin)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l all-tenants -d 'Every tenant where the subject\'s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l force -d 'Replace an existing file'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l encrypt -d 'Encrypt the bundle (AES-256-GCM STREAM); needs --key-file or --passphrase-env'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l tenant -d 'The tenant (required when the map has a [tenant] section, unless --all-tenants)' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l email -d 'The subject\'s email (trimmed and lower-cased); short for --identity email=…' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l phone -d 'The subject\'s phone number (normalised to E.164); short for --identity phone=…' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l identity -d 'Any identity the map declares in [identities]; several identities name one subject' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l on-behalf-of -d 'The tenant\'s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l confirm -d 'The token from the dry run, or `-` to read it (or the dry run\'s JSON) from stdin' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l receipt -d 'With --confirm: write an erasure receipt for the data subject here (needs keys.signing and [ledger] origin); `privctl receipt verify` checks it offline' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l metrics-file -d 'When the run ends, write its metrics here in the Prometheus text format (atomically: for node_exporter\'s textfile collector), whatever its exit code' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l all-tenants -d 'Every tenant where the subject\'s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l no-scan -d 'Skip the residue scan that follows the erasure (see `privctl dsar scan`)'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l tenant -d 'The tenant (required when the map has a [tenant] section, unless --all-tenants)' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l email -d 'The subject\'s email (trimmed and lower-cased); short for --identity email=…' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l phone -d 'The subject\'s phone number (normalised to E.164); short for --identity phone=…' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l identity -d 'Any identity the map declares in [identities]; several identities name one subject' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l on-behalf-of -d 'The tenant\'s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l all-tenants -d 'Every tenant where the subject\'s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from scan" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from help" -f -a "preview" -d 'Show every row of one data subject in one tenant; issues the token for `dsar delete`'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write the subject\'s data as a portable JSON bundle'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Erase the subject\'s data (delete or anonymise per the map); needs a token'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from help" -f -a "scan" -d 'Look for the subject\'s identifiers by content in every table privctl may read (read-only): where the map is silent, they are residue an erasure would leave'
complete -c privctl -n "__fish_privctl_using_subcommand dsar; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l tenant -d 'The tenant to export' -r
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l out -d 'Where to write: a file (json, ndjson) or a directory (csv)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l output-format -d 'Bundle format' -r -f -a "json\t'One JSON document (privctl-bundle/1)'
ndjson\t'One `{"table": …, "row": {…}}` per line, then `{"manifest": {…}}`'
csv\t'A directory: one CSV file per table and manifest.json'"
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l key-file -d 'File with a 32-byte key (raw, base64 or hex)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l passphrase-env -d 'Environment variable holding a passphrase (stretched with argon2id)' -r
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l encrypt -d 'Encrypt the bundle (AES-256-GCM STREAM); needs --key-file or --passphrase-env'
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l force -d 'Replace an existing file (or write into an existing directory)'
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand export-tenant" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l tenant -d 'The tenant to erase' -r
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l confirm -d 'The token from the dry run, or `-` to read it (or the dry run\'s JSON) from stdin' -r
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l batch-size -d 'Most rows per transaction (a purge deletes their descendants in the same transaction); given alone, every batch has this size [default: 100000, sized by --batch-time]' -r
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l batch-time -d 'Time each batch should take: sizes adapt to it, up to --batch-size (1ms to 10s) [default: 100ms unless --batch-size is given alone]' -r
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l batch-pause -d 'Pause between batches to leave room for live traffic (e.g. 50ms)' -r
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l metrics-file -d 'When the run ends, write its metrics here in the Prometheus text format (atomically: for node_exporter\'s textfile collector), whatever its exit code' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand delete-tenant" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l tenant -d 'Only this tenant [default: every tenant]' -r
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l confirm -d 'The token from the dry run, or `-` to read it (or the dry run\'s JSON) from stdin' -r
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l batch-size -d 'Most rows per transaction (a purge deletes their descendants in the same transaction); given alone, every batch has this size [default: 100000, sized by --batch-time]' -r
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l batch-time -d 'Time each batch should take: sizes adapt to it, up to --batch-size (1ms to 10s) [default: 100ms unless --batch-size is given alone]' -r
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l batch-pause -d 'Pause between batches to leave room for live traffic (e.g. 50ms)' -r
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l max-rows -d 'Refuse a plan that deletes more rows than this [default: purge.max_rows in the map]' -r
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l max-duration -d 'Stop cleanly between batches after this long (e.g. 2h); the same token resumes' -r
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l as-of -d 'Dry run as if now were TIME (RFC 3339, e.g. 2027-01-01T00:00:00Z) to see a later purge; issues no token, so it cannot be confirmed' -r
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l metrics-file -d 'When the run ends, write its metrics here in the Prometheus text format (atomically: for node_exporter\'s textfile collector), whatever its exit code' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l allow-large -d 'Accept a plan over --max-rows or over purge.max_fraction of a table'
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l blobs-only -d 'Only delete the objects waiting in the blob outbox (their rows are already gone; no token)'
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand purge-retention" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -l anchor -d 'An earlier `audit head` (SEQ:HASH): also proves nothing after it was cut off or rewritten' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -l checkpoint -d 'A signed checkpoint (`audit checkpoint`): proves the ledger is the same log, no shorter, and only appended to since' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -l vkey -d 'The log\'s verifier key (vkey text or a file of them) for --checkpoint; repeat for several' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -l witness -d 'A witness\'s verifier key: the checkpoint must carry its cosignature; repeat for several' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand audit-verify" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -f -a "head" -d 'Print the ledger\'s head (SEQ:HASH), to keep outside the database as an anchor'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -f -a "log" -d 'Show recent ledger entries, newest first (never a subject\'s identifier)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -f -a "keygen" -d 'Make an Ed25519 key pair for signing checkpoints (or, with --witness, cosigning them)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -f -a "vkey" -d 'Print the verifier keys of keys.signing, to publish beside the checkpoints'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -f -a "checkpoint" -d 'Sign the ledger\'s tree head (a C2SP checkpoint) after verifying the ledger against the last one signed'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -f -a "consistency" -d 'Write a witness request: a consistency proof from an older tree size to a checkpoint'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -f -a "witness" -d 'Cosign a checkpoint as a witness, offline: only if it is consistent with the last one cosigned'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and not __fish_seen_subcommand_from head log keygen vkey checkpoint consistency witness help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from head" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from head" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from head" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from head" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from head" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from head" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from head" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from head" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -l tenant -d 'Only entries for this tenant' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -l action -d 'Only entries of this action (dsar-delete, delete-tenant, purge-retention, …)' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -l since -d 'Only entries since this time: RFC 3339, or a duration ago such as 7d or 12h' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -l limit -d 'At most this many entries' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from log" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -l name -d 'The key\'s name, carried by every signature (the log\'s origin is a good one)' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -l out -d 'Where to write the private key (created with mode 0600; never overwritten)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -l witness -d 'A witness key (cosignature/v1), for `privctl audit witness`'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from keygen" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from vkey" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from vkey" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from vkey" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from vkey" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from vkey" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from vkey" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from vkey" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from vkey" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l state -d 'The signer\'s state: the last checkpoint it signed (kept outside the database)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l out -d 'Also write the checkpoint here (it is printed either way)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from checkpoint" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from consistency" -l old -d 'The tree size the witness last cosigned (0 for its first)' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from consistency" -l checkpoint -d 'The signed checkpoint to prove' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from consistency" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from consistency" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from consistency" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from consistency" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from consistency" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from consistency" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from consistency" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from consistency" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -l state -d 'The witness\'s state folder (the last checkpoint cosigned, per log)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -l log-vkey -d 'The log\'s verifier key (vkey text or a file of them); repeat for several' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -l key -d 'The witness\'s private key: env:VAR or file:PATH' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from witness" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "head" -d 'Print the ledger\'s head (SEQ:HASH), to keep outside the database as an anchor'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "log" -d 'Show recent ledger entries, newest first (never a subject\'s identifier)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "keygen" -d 'Make an Ed25519 key pair for signing checkpoints (or, with --witness, cosigning them)'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "vkey" -d 'Print the verifier keys of keys.signing, to publish beside the checkpoints'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "checkpoint" -d 'Sign the ledger\'s tree head (a C2SP checkpoint) after verifying the ledger against the last one signed'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "consistency" -d 'Write a witness request: a consistency proof from an older tree size to a checkpoint'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "witness" -d 'Cosign a checkpoint as a witness, offline: only if it is consistent with the last one cosigned'
complete -c privctl -n "__fish_privctl_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -f -a "verify" -d 'Check an erasure receipt: this erasure, of this subject, in this tenant, is an entry of the log'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -f -a "update" -d 'Prove a receipt again against a later checkpoint (one that witnesses cosigned)'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and not __fish_seen_subcommand_from verify update help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l vkey -d 'The log\'s verifier key (vkey text or a file of them); repeat for several' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l witness -d 'A witness\'s verifier key: its cosignature is required; repeat for several' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l email -d 'The subject\'s email: also check that the erasure was of this subject' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l phone -d 'The subject\'s phone number, with its country code (+44…)' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l identity -d 'Another identity the subject was named by, normalised as the operator\'s map does' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l bundle -d 'For an export\'s receipt: also check that this file is the bundle the export wrote' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from update" -l checkpoint -d 'The later checkpoint, as `audit checkpoint` signed it and witnesses cosigned it' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from update" -l out -d 'Where to write the updated receipt (mode 0600); the receipt itself is left as it is' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from update" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from update" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from update" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from update" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from update" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from update" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check an erasure receipt: this erasure, of this subject, in this tenant, is an entry of the log'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from help" -f -a "update" -d 'Prove a receipt again against a later checkpoint (one that witnesses cosigned)'
complete -c privctl -n "__fish_privctl_using_subcommand receipt; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -l key-file -d 'File with the 32-byte key (raw, base64 or hex)' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -l passphrase-env -d 'Environment variable holding the passphrase' -r
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -l force -d 'Replace OUTPUT if it exists'
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand decrypt" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand status" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand status" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand status" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand status" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand status" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand status" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand status" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand completions" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand completions" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand completions" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand completions" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand completions" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand completions" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand demo" -l dir -d 'Directory for the demo database, its map and its ledger key' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand demo" -l database-url -d 'Database: postgres://… or sqlite://path' -r
complete -c privctl -n "__fish_privctl_using_subcommand demo" -l map -d 'The data map' -r -F
complete -c privctl -n "__fish_privctl_using_subcommand demo" -l actor -d 'Who is acting, recorded in the ledger [default: $USER@hostname]' -r
complete -c privctl -n "__fish_privctl_using_subcommand demo" -l format -d 'Human tables or one JSON document on stdout' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document on stdout'"
complete -c privctl -n "__fish_privctl_using_subcommand demo" -l reset -d 'Rebuild the database even if it exists'
complete -c privctl -n "__fish_privctl_using_subcommand demo" -s q -l quiet -d 'No status lines and no progress bars'
complete -c privctl -n "__fish_privctl_using_subcommand demo" -l no-progress -d 'No progress bars (they are also off when stderr is not a terminal)'
complete -c privctl -n "__fish_privctl_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c privctl -n "__fish_privctl_using_subcommand demo" -s V -l version -d 'Print version'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "init" -d 'Create privctl\'s own tables (ledger, confirmations, jobs, blob outbox); safe to run again'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "map" -d 'Draft a data map, or check one against the live schema'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "dsar" -d 'One data subject\'s rows in one tenant: preview, export, delete, or scan for what remains'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "export-tenant" -d 'Write every row scoped to one tenant as one bundle (json | ndjson | csv), optionally encrypted'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "delete-tenant" -d 'Erase a whole tenant (delete or anonymise per the map); needs a token'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "purge-retention" -d 'Delete rows past their retention window (plan tiers, overrides, legal holds); needs a token'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "audit-verify" -d 'Verify the ledger\'s hash chain: altered, removed, reordered, forged or cut-off entries'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "audit" -d 'Read the ledger: its head, or its recent entries'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "receipt" -d 'Check erasure receipts offline'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "decrypt" -d 'Decrypt a bundle written with --encrypt'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "status" -d 'Show unfinished jobs, blob objects still queued for deletion, and run locks'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "completions" -d 'Print a completion script (bash, zsh, fish, elvish, powershell)'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "demo" -d 'Build a demo SQLite database from the conversational-ai fixture and preview a real DSAR on it'
complete -c privctl -n "__fish_privctl_using_subcommand help; and not __fish_seen_subcommand_from init map dsar export-tenant delete-tenant purge-retention audit-verify audit receipt decrypt status completions demo help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from map" -f -a "discover" -d 'Draft a data map from the live schema: tenant table and column, links, identities, timestamps'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from map" -f -a "check" -d 'Check the map against the live schema: every table covered, every name and link resolved'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from map" -f -a "graph" -d 'Draw the data map: the tenant table at the root, the routes to it, identities, owned and not-followed links, global and ignored tables, each table\'s erase effect and retention'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from dsar" -f -a "preview" -d 'Show every row of one data subject in one tenant; issues the token for `dsar delete`'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from dsar" -f -a "export" -d 'Write the subject\'s data as a portable JSON bundle'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from dsar" -f -a "delete" -d 'Erase the subject\'s data (delete or anonymise per the map); needs a token'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from dsar" -f -a "scan" -d 'Look for the subject\'s identifiers by content in every table privctl may read (read-only): where the map is silent, they are residue an erasure would leave'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "head" -d 'Print the ledger\'s head (SEQ:HASH), to keep outside the database as an anchor'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "log" -d 'Show recent ledger entries, newest first (never a subject\'s identifier)'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "keygen" -d 'Make an Ed25519 key pair for signing checkpoints (or, with --witness, cosigning them)'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "vkey" -d 'Print the verifier keys of keys.signing, to publish beside the checkpoints'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "checkpoint" -d 'Sign the ledger\'s tree head (a C2SP checkpoint) after verifying the ledger against the last one signed'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "consistency" -d 'Write a witness request: a consistency proof from an older tree size to a checkpoint'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "witness" -d 'Cosign a checkpoint as a witness, offline: only if it is consistent with the last one cosigned'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from receipt" -f -a "verify" -d 'Check an erasure receipt: this erasure, of this subject, in this tenant, is an entry of the log'
complete -c privctl -n "__fish_privctl_using_subcommand help; and __fish_seen_subcommand_from receipt" -f -a "update" -d 'Prove a receipt again against a later checkpoint (one that witnesses cosigned)'
