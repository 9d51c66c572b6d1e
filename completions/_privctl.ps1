
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'privctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'privctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'privctl' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create privctl''s own tables (ledger, confirmations, jobs, blob outbox); safe to run again')
            [CompletionResult]::new('map', 'map', [CompletionResultType]::ParameterValue, 'Draft a data map, or check one against the live schema')
            [CompletionResult]::new('dsar', 'dsar', [CompletionResultType]::ParameterValue, 'One data subject''s rows in one tenant: preview, export, delete, or scan for what remains')
            [CompletionResult]::new('export-tenant', 'export-tenant', [CompletionResultType]::ParameterValue, 'Write every row scoped to one tenant as one bundle (json | ndjson | csv), optionally encrypted')
            [CompletionResult]::new('delete-tenant', 'delete-tenant', [CompletionResultType]::ParameterValue, 'Erase a whole tenant (delete or anonymise per the map); needs a token')
            [CompletionResult]::new('purge-retention', 'purge-retention', [CompletionResultType]::ParameterValue, 'Delete rows past their retention window (plan tiers, overrides, legal holds); needs a token')
            [CompletionResult]::new('audit-verify', 'audit-verify', [CompletionResultType]::ParameterValue, 'Verify the ledger''s hash chain: altered, removed, reordered, forged or cut-off entries')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Read the ledger: its head, or its recent entries')
            [CompletionResult]::new('receipt', 'receipt', [CompletionResultType]::ParameterValue, 'Check erasure receipts offline')
            [CompletionResult]::new('decrypt', 'decrypt', [CompletionResultType]::ParameterValue, 'Decrypt a bundle written with --encrypt')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show unfinished jobs, blob objects still queued for deletion, and run locks')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Build a demo SQLite database from the conversational-ai fixture and preview a real DSAR on it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'privctl;init' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;map' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('discover', 'discover', [CompletionResultType]::ParameterValue, 'Draft a data map from the live schema: tenant table and column, links, identities, timestamps')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the map against the live schema: every table covered, every name and link resolved')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Draw the data map: the tenant table at the root, the routes to it, identities, owned and not-followed links, global and ignored tables, each table''s erase effect and retention')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'privctl;map;discover' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the draft here instead of stdout (never over an existing file without --force)')
            [CompletionResult]::new('--tenant-column', '--tenant-column', [CompletionResultType]::ParameterName, 'The column that holds the tenant [default: a tenant_id, org_id, organization_id, organisation_id, workspace_id, team_id, account_id or project_id column, in any case style, pointing at the table most others reach]')
            [CompletionResult]::new('--sample', '--sample', [CompletionResultType]::ParameterName, 'Also read up to N rows per table and propose identities by content: each column whose values hold emails, phone numbers (E.164), IPv4 or IPv6 addresses, payment card numbers or IBANs (--sample alone: 1000). Values are never printed, only the share of rows')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite --out if it exists')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;map;check' {
            [CompletionResult]::new('--sample', '--sample', [CompletionResultType]::ParameterName, 'Also read up to N rows per table and warn of personal data the map does not name (--sample alone: 1000). PostgreSQL samples at random; SQLite reads the first N rows')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;map;graph' {
            [CompletionResult]::new('--output-format', '--output-format', [CompletionResultType]::ParameterName, 'The picture''s format')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write it here instead of stdout (never over an existing file without --force)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite --out if it exists')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;map;help' {
            [CompletionResult]::new('discover', 'discover', [CompletionResultType]::ParameterValue, 'Draft a data map from the live schema: tenant table and column, links, identities, timestamps')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the map against the live schema: every table covered, every name and link resolved')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Draw the data map: the tenant table at the root, the routes to it, identities, owned and not-followed links, global and ignored tables, each table''s erase effect and retention')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'privctl;map;help;discover' {
            break
        }
        'privctl;map;help;check' {
            break
        }
        'privctl;map;help;graph' {
            break
        }
        'privctl;map;help;help' {
            break
        }
        'privctl;dsar' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('preview', 'preview', [CompletionResultType]::ParameterValue, 'Show every row of one data subject in one tenant; issues the token for `dsar delete`')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the subject''s data as a portable JSON bundle')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Erase the subject''s data (delete or anonymise per the map); needs a token')
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Look for the subject''s identifiers by content in every table privctl may read (read-only): where the map is silent, they are residue an erasure would leave')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'privctl;dsar;preview' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'The tenant (required when the map has a [tenant] section, unless --all-tenants)')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'The subject''s email (trimmed and lower-cased); short for --identity email=…')
            [CompletionResult]::new('--phone', '--phone', [CompletionResultType]::ParameterName, 'The subject''s phone number (normalised to E.164); short for --identity phone=…')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Any identity the map declares in [identities]; several identities name one subject')
            [CompletionResult]::new('--on-behalf-of', '--on-behalf-of', [CompletionResultType]::ParameterName, 'The tenant''s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--all-tenants', '--all-tenants', [CompletionResultType]::ParameterName, 'Every tenant where the subject''s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;dsar;export' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'The tenant (required when the map has a [tenant] section, unless --all-tenants)')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'The subject''s email (trimmed and lower-cased); short for --identity email=…')
            [CompletionResult]::new('--phone', '--phone', [CompletionResultType]::ParameterName, 'The subject''s phone number (normalised to E.164); short for --identity phone=…')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Any identity the map declares in [identities]; several identities name one subject')
            [CompletionResult]::new('--on-behalf-of', '--on-behalf-of', [CompletionResultType]::ParameterName, 'The tenant''s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the bundle (created with mode 0600)')
            [CompletionResult]::new('--output-format', '--output-format', [CompletionResultType]::ParameterName, 'json: the portable bundle (privctl-bundle/1); html: one self-contained page for the data subject to read and print (who holds the data, why, how long, what erasure would do, and every record)')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'File with a 32-byte key (raw, base64 or hex)')
            [CompletionResult]::new('--passphrase-env', '--passphrase-env', [CompletionResultType]::ParameterName, 'Environment variable holding a passphrase (stretched with argon2id)')
            [CompletionResult]::new('--receipt', '--receipt', [CompletionResultType]::ParameterName, 'Also write a receipt for the data subject here: a proof, checked offline with `privctl receipt verify`, that the log records this export of them (needs keys.signing and [ledger] origin)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--all-tenants', '--all-tenants', [CompletionResultType]::ParameterName, 'Every tenant where the subject''s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing file')
            [CompletionResult]::new('--encrypt', '--encrypt', [CompletionResultType]::ParameterName, 'Encrypt the bundle (AES-256-GCM STREAM); needs --key-file or --passphrase-env')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;dsar;delete' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'The tenant (required when the map has a [tenant] section, unless --all-tenants)')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'The subject''s email (trimmed and lower-cased); short for --identity email=…')
            [CompletionResult]::new('--phone', '--phone', [CompletionResultType]::ParameterName, 'The subject''s phone number (normalised to E.164); short for --identity phone=…')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Any identity the map declares in [identities]; several identities name one subject')
            [CompletionResult]::new('--on-behalf-of', '--on-behalf-of', [CompletionResultType]::ParameterName, 'The tenant''s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger')
            [CompletionResult]::new('--confirm', '--confirm', [CompletionResultType]::ParameterName, 'The token from the dry run, or `-` to read it (or the dry run''s JSON) from stdin')
            [CompletionResult]::new('--receipt', '--receipt', [CompletionResultType]::ParameterName, 'With --confirm: write an erasure receipt for the data subject here (needs keys.signing and [ledger] origin); `privctl receipt verify` checks it offline')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'When the run ends, write its metrics here in the Prometheus text format (atomically: for node_exporter''s textfile collector), whatever its exit code')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--all-tenants', '--all-tenants', [CompletionResultType]::ParameterName, 'Every tenant where the subject''s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data')
            [CompletionResult]::new('--no-scan', '--no-scan', [CompletionResultType]::ParameterName, 'Skip the residue scan that follows the erasure (see `privctl dsar scan`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;dsar;scan' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'The tenant (required when the map has a [tenant] section, unless --all-tenants)')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'The subject''s email (trimmed and lower-cased); short for --identity email=…')
            [CompletionResult]::new('--phone', '--phone', [CompletionResultType]::ParameterName, 'The subject''s phone number (normalised to E.164); short for --identity phone=…')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Any identity the map declares in [identities]; several identities name one subject')
            [CompletionResult]::new('--on-behalf-of', '--on-behalf-of', [CompletionResultType]::ParameterName, 'The tenant''s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--all-tenants', '--all-tenants', [CompletionResultType]::ParameterName, 'Every tenant where the subject''s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;dsar;help' {
            [CompletionResult]::new('preview', 'preview', [CompletionResultType]::ParameterValue, 'Show every row of one data subject in one tenant; issues the token for `dsar delete`')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the subject''s data as a portable JSON bundle')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Erase the subject''s data (delete or anonymise per the map); needs a token')
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Look for the subject''s identifiers by content in every table privctl may read (read-only): where the map is silent, they are residue an erasure would leave')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'privctl;dsar;help;preview' {
            break
        }
        'privctl;dsar;help;export' {
            break
        }
        'privctl;dsar;help;delete' {
            break
        }
        'privctl;dsar;help;scan' {
            break
        }
        'privctl;dsar;help;help' {
            break
        }
        'privctl;export-tenant' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'The tenant to export')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write: a file (json, ndjson) or a directory (csv)')
            [CompletionResult]::new('--output-format', '--output-format', [CompletionResultType]::ParameterName, 'Bundle format')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'File with a 32-byte key (raw, base64 or hex)')
            [CompletionResult]::new('--passphrase-env', '--passphrase-env', [CompletionResultType]::ParameterName, 'Environment variable holding a passphrase (stretched with argon2id)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--encrypt', '--encrypt', [CompletionResultType]::ParameterName, 'Encrypt the bundle (AES-256-GCM STREAM); needs --key-file or --passphrase-env')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing file (or write into an existing directory)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;delete-tenant' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'The tenant to erase')
            [CompletionResult]::new('--confirm', '--confirm', [CompletionResultType]::ParameterName, 'The token from the dry run, or `-` to read it (or the dry run''s JSON) from stdin')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'Most rows per transaction (a purge deletes their descendants in the same transaction); given alone, every batch has this size [default: 100000, sized by --batch-time]')
            [CompletionResult]::new('--batch-time', '--batch-time', [CompletionResultType]::ParameterName, 'Time each batch should take: sizes adapt to it, up to --batch-size (1ms to 10s) [default: 100ms unless --batch-size is given alone]')
            [CompletionResult]::new('--batch-pause', '--batch-pause', [CompletionResultType]::ParameterName, 'Pause between batches to leave room for live traffic (e.g. 50ms)')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'When the run ends, write its metrics here in the Prometheus text format (atomically: for node_exporter''s textfile collector), whatever its exit code')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;purge-retention' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Only this tenant [default: every tenant]')
            [CompletionResult]::new('--confirm', '--confirm', [CompletionResultType]::ParameterName, 'The token from the dry run, or `-` to read it (or the dry run''s JSON) from stdin')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'Most rows per transaction (a purge deletes their descendants in the same transaction); given alone, every batch has this size [default: 100000, sized by --batch-time]')
            [CompletionResult]::new('--batch-time', '--batch-time', [CompletionResultType]::ParameterName, 'Time each batch should take: sizes adapt to it, up to --batch-size (1ms to 10s) [default: 100ms unless --batch-size is given alone]')
            [CompletionResult]::new('--batch-pause', '--batch-pause', [CompletionResultType]::ParameterName, 'Pause between batches to leave room for live traffic (e.g. 50ms)')
            [CompletionResult]::new('--max-rows', '--max-rows', [CompletionResultType]::ParameterName, 'Refuse a plan that deletes more rows than this [default: purge.max_rows in the map]')
            [CompletionResult]::new('--max-duration', '--max-duration', [CompletionResultType]::ParameterName, 'Stop cleanly between batches after this long (e.g. 2h); the same token resumes')
            [CompletionResult]::new('--as-of', '--as-of', [CompletionResultType]::ParameterName, 'Dry run as if now were TIME (RFC 3339, e.g. 2027-01-01T00:00:00Z) to see a later purge; issues no token, so it cannot be confirmed')
            [CompletionResult]::new('--metrics-file', '--metrics-file', [CompletionResultType]::ParameterName, 'When the run ends, write its metrics here in the Prometheus text format (atomically: for node_exporter''s textfile collector), whatever its exit code')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--allow-large', '--allow-large', [CompletionResultType]::ParameterName, 'Accept a plan over --max-rows or over purge.max_fraction of a table')
            [CompletionResult]::new('--blobs-only', '--blobs-only', [CompletionResultType]::ParameterName, 'Only delete the objects waiting in the blob outbox (their rows are already gone; no token)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;audit-verify' {
            [CompletionResult]::new('--anchor', '--anchor', [CompletionResultType]::ParameterName, 'An earlier `audit head` (SEQ:HASH): also proves nothing after it was cut off or rewritten')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'A signed checkpoint (`audit checkpoint`): proves the ledger is the same log, no shorter, and only appended to since')
            [CompletionResult]::new('--vkey', '--vkey', [CompletionResultType]::ParameterName, 'The log''s verifier key (vkey text or a file of them) for --checkpoint; repeat for several')
            [CompletionResult]::new('--witness', '--witness', [CompletionResultType]::ParameterName, 'A witness''s verifier key: the checkpoint must carry its cosignature; repeat for several')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;audit' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('head', 'head', [CompletionResultType]::ParameterValue, 'Print the ledger''s head (SEQ:HASH), to keep outside the database as an anchor')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show recent ledger entries, newest first (never a subject''s identifier)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make an Ed25519 key pair for signing checkpoints (or, with --witness, cosigning them)')
            [CompletionResult]::new('vkey', 'vkey', [CompletionResultType]::ParameterValue, 'Print the verifier keys of keys.signing, to publish beside the checkpoints')
            [CompletionResult]::new('checkpoint', 'checkpoint', [CompletionResultType]::ParameterValue, 'Sign the ledger''s tree head (a C2SP checkpoint) after verifying the ledger against the last one signed')
            [CompletionResult]::new('consistency', 'consistency', [CompletionResultType]::ParameterValue, 'Write a witness request: a consistency proof from an older tree size to a checkpoint')
            [CompletionResult]::new('witness', 'witness', [CompletionResultType]::ParameterValue, 'Cosign a checkpoint as a witness, offline: only if it is consistent with the last one cosigned')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'privctl;audit;head' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;audit;log' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'Only entries for this tenant')
            [CompletionResult]::new('--action', '--action', [CompletionResultType]::ParameterName, 'Only entries of this action (dsar-delete, delete-tenant, purge-retention, …)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only entries since this time: RFC 3339, or a duration ago such as 7d or 12h')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many entries')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;audit;keygen' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The key''s name, carried by every signature (the log''s origin is a good one)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the private key (created with mode 0600; never overwritten)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--witness', '--witness', [CompletionResultType]::ParameterName, 'A witness key (cosignature/v1), for `privctl audit witness`')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;audit;vkey' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;audit;checkpoint' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'The signer''s state: the last checkpoint it signed (kept outside the database)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Also write the checkpoint here (it is printed either way)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;audit;consistency' {
            [CompletionResult]::new('--old', '--old', [CompletionResultType]::ParameterName, 'The tree size the witness last cosigned (0 for its first)')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'The signed checkpoint to prove')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;audit;witness' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'The witness''s state folder (the last checkpoint cosigned, per log)')
            [CompletionResult]::new('--log-vkey', '--log-vkey', [CompletionResultType]::ParameterName, 'The log''s verifier key (vkey text or a file of them); repeat for several')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The witness''s private key: env:VAR or file:PATH')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;audit;help' {
            [CompletionResult]::new('head', 'head', [CompletionResultType]::ParameterValue, 'Print the ledger''s head (SEQ:HASH), to keep outside the database as an anchor')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show recent ledger entries, newest first (never a subject''s identifier)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make an Ed25519 key pair for signing checkpoints (or, with --witness, cosigning them)')
            [CompletionResult]::new('vkey', 'vkey', [CompletionResultType]::ParameterValue, 'Print the verifier keys of keys.signing, to publish beside the checkpoints')
            [CompletionResult]::new('checkpoint', 'checkpoint', [CompletionResultType]::ParameterValue, 'Sign the ledger''s tree head (a C2SP checkpoint) after verifying the ledger against the last one signed')
            [CompletionResult]::new('consistency', 'consistency', [CompletionResultType]::ParameterValue, 'Write a witness request: a consistency proof from an older tree size to a checkpoint')
            [CompletionResult]::new('witness', 'witness', [CompletionResultType]::ParameterValue, 'Cosign a checkpoint as a witness, offline: only if it is consistent with the last one cosigned')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'privctl;audit;help;head' {
            break
        }
        'privctl;audit;help;log' {
            break
        }
        'privctl;audit;help;keygen' {
            break
        }
        'privctl;audit;help;vkey' {
            break
        }
        'privctl;audit;help;checkpoint' {
            break
        }
        'privctl;audit;help;consistency' {
            break
        }
        'privctl;audit;help;witness' {
            break
        }
        'privctl;audit;help;help' {
            break
        }
        'privctl;receipt' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check an erasure receipt: this erasure, of this subject, in this tenant, is an entry of the log')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Prove a receipt again against a later checkpoint (one that witnesses cosigned)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'privctl;receipt;verify' {
            [CompletionResult]::new('--vkey', '--vkey', [CompletionResultType]::ParameterName, 'The log''s verifier key (vkey text or a file of them); repeat for several')
            [CompletionResult]::new('--witness', '--witness', [CompletionResultType]::ParameterName, 'A witness''s verifier key: its cosignature is required; repeat for several')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'The subject''s email: also check that the erasure was of this subject')
            [CompletionResult]::new('--phone', '--phone', [CompletionResultType]::ParameterName, 'The subject''s phone number, with its country code (+44…)')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Another identity the subject was named by, normalised as the operator''s map does')
            [CompletionResult]::new('--bundle', '--bundle', [CompletionResultType]::ParameterName, 'For an export''s receipt: also check that this file is the bundle the export wrote')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;receipt;update' {
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'The later checkpoint, as `audit checkpoint` signed it and witnesses cosigned it')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the updated receipt (mode 0600); the receipt itself is left as it is')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;receipt;help' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check an erasure receipt: this erasure, of this subject, in this tenant, is an entry of the log')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Prove a receipt again against a later checkpoint (one that witnesses cosigned)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'privctl;receipt;help;verify' {
            break
        }
        'privctl;receipt;help;update' {
            break
        }
        'privctl;receipt;help;help' {
            break
        }
        'privctl;decrypt' {
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'File with the 32-byte key (raw, base64 or hex)')
            [CompletionResult]::new('--passphrase-env', '--passphrase-env', [CompletionResultType]::ParameterName, 'Environment variable holding the passphrase')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace OUTPUT if it exists')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;status' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;completions' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;demo' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory for the demo database, its map and its ledger key')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database: postgres://… or sqlite://path')
            [CompletionResult]::new('--map', '--map', [CompletionResultType]::ParameterName, 'The data map')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, recorded in the ledger [default: $USER@hostname]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Human tables or one JSON document on stdout')
            [CompletionResult]::new('--reset', '--reset', [CompletionResultType]::ParameterName, 'Rebuild the database even if it exists')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No status lines and no progress bars')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bars (they are also off when stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'privctl;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create privctl''s own tables (ledger, confirmations, jobs, blob outbox); safe to run again')
            [CompletionResult]::new('map', 'map', [CompletionResultType]::ParameterValue, 'Draft a data map, or check one against the live schema')
            [CompletionResult]::new('dsar', 'dsar', [CompletionResultType]::ParameterValue, 'One data subject''s rows in one tenant: preview, export, delete, or scan for what remains')
            [CompletionResult]::new('export-tenant', 'export-tenant', [CompletionResultType]::ParameterValue, 'Write every row scoped to one tenant as one bundle (json | ndjson | csv), optionally encrypted')
            [CompletionResult]::new('delete-tenant', 'delete-tenant', [CompletionResultType]::ParameterValue, 'Erase a whole tenant (delete or anonymise per the map); needs a token')
            [CompletionResult]::new('purge-retention', 'purge-retention', [CompletionResultType]::ParameterValue, 'Delete rows past their retention window (plan tiers, overrides, legal holds); needs a token')
            [CompletionResult]::new('audit-verify', 'audit-verify', [CompletionResultType]::ParameterValue, 'Verify the ledger''s hash chain: altered, removed, reordered, forged or cut-off entries')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Read the ledger: its head, or its recent entries')
            [CompletionResult]::new('receipt', 'receipt', [CompletionResultType]::ParameterValue, 'Check erasure receipts offline')
            [CompletionResult]::new('decrypt', 'decrypt', [CompletionResultType]::ParameterValue, 'Decrypt a bundle written with --encrypt')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show unfinished jobs, blob objects still queued for deletion, and run locks')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Build a demo SQLite database from the conversational-ai fixture and preview a real DSAR on it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'privctl;help;init' {
            break
        }
        'privctl;help;map' {
            [CompletionResult]::new('discover', 'discover', [CompletionResultType]::ParameterValue, 'Draft a data map from the live schema: tenant table and column, links, identities, timestamps')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the map against the live schema: every table covered, every name and link resolved')
            [CompletionResult]::new('graph', 'graph', [CompletionResultType]::ParameterValue, 'Draw the data map: the tenant table at the root, the routes to it, identities, owned and not-followed links, global and ignored tables, each table''s erase effect and retention')
            break
        }
        'privctl;help;map;discover' {
            break
        }
        'privctl;help;map;check' {
            break
        }
        'privctl;help;map;graph' {
            break
        }
        'privctl;help;dsar' {
            [CompletionResult]::new('preview', 'preview', [CompletionResultType]::ParameterValue, 'Show every row of one data subject in one tenant; issues the token for `dsar delete`')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the subject''s data as a portable JSON bundle')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Erase the subject''s data (delete or anonymise per the map); needs a token')
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Look for the subject''s identifiers by content in every table privctl may read (read-only): where the map is silent, they are residue an erasure would leave')
            break
        }
        'privctl;help;dsar;preview' {
            break
        }
        'privctl;help;dsar;export' {
            break
        }
        'privctl;help;dsar;delete' {
            break
        }
        'privctl;help;dsar;scan' {
            break
        }
        'privctl;help;export-tenant' {
            break
        }
        'privctl;help;delete-tenant' {
            break
        }
        'privctl;help;purge-retention' {
            break
        }
        'privctl;help;audit-verify' {
            break
        }
        'privctl;help;audit' {
            [CompletionResult]::new('head', 'head', [CompletionResultType]::ParameterValue, 'Print the ledger''s head (SEQ:HASH), to keep outside the database as an anchor')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show recent ledger entries, newest first (never a subject''s identifier)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make an Ed25519 key pair for signing checkpoints (or, with --witness, cosigning them)')
            [CompletionResult]::new('vkey', 'vkey', [CompletionResultType]::ParameterValue, 'Print the verifier keys of keys.signing, to publish beside the checkpoints')
            [CompletionResult]::new('checkpoint', 'checkpoint', [CompletionResultType]::ParameterValue, 'Sign the ledger''s tree head (a C2SP checkpoint) after verifying the ledger against the last one signed')
            [CompletionResult]::new('consistency', 'consistency', [CompletionResultType]::ParameterValue, 'Write a witness request: a consistency proof from an older tree size to a checkpoint')
            [CompletionResult]::new('witness', 'witness', [CompletionResultType]::ParameterValue, 'Cosign a checkpoint as a witness, offline: only if it is consistent with the last one cosigned')
            break
        }
        'privctl;help;audit;head' {
            break
        }
        'privctl;help;audit;log' {
            break
        }
        'privctl;help;audit;keygen' {
            break
        }
        'privctl;help;audit;vkey' {
            break
        }
        'privctl;help;audit;checkpoint' {
            break
        }
        'privctl;help;audit;consistency' {
            break
        }
        'privctl;help;audit;witness' {
            break
        }
        'privctl;help;receipt' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check an erasure receipt: this erasure, of this subject, in this tenant, is an entry of the log')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Prove a receipt again against a later checkpoint (one that witnesses cosigned)')
            break
        }
        'privctl;help;receipt;verify' {
            break
        }
        'privctl;help;receipt;update' {
            break
        }
        'privctl;help;decrypt' {
            break
        }
        'privctl;help;status' {
            break
        }
        'privctl;help;completions' {
            break
        }
        'privctl;help;demo' {
            break
        }
        'privctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
