
use builtin;
use str;

set edit:completion:arg-completer[privctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'privctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'privctl'= {
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create privctl''s own tables (ledger, confirmations, jobs, blob outbox); safe to run again'
            cand map 'Draft a data map, or check one against the live schema'
            cand dsar 'One data subject''s rows in one tenant: preview, export, delete, or scan for what remains'
            cand export-tenant 'Write every row scoped to one tenant as one bundle (json | ndjson | csv), optionally encrypted'
            cand delete-tenant 'Erase a whole tenant (delete or anonymise per the map); needs a token'
            cand purge-retention 'Delete rows past their retention window (plan tiers, overrides, legal holds); needs a token'
            cand audit-verify 'Verify the ledger''s hash chain: altered, removed, reordered, forged or cut-off entries'
            cand audit 'Read the ledger: its head, or its recent entries'
            cand receipt 'Check erasure receipts offline'
            cand decrypt 'Decrypt a bundle written with --encrypt'
            cand status 'Show unfinished jobs, blob objects still queued for deletion, and run locks'
            cand completions 'Print a completion script (bash, zsh, fish, elvish, powershell)'
            cand demo 'Build a demo SQLite database from the conversational-ai fixture and preview a real DSAR on it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;init'= {
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;map'= {
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand discover 'Draft a data map from the live schema: tenant table and column, links, identities, timestamps'
            cand check 'Check the map against the live schema: every table covered, every name and link resolved'
            cand graph 'Draw the data map: the tenant table at the root, the routes to it, identities, owned and not-followed links, global and ignored tables, each table''s erase effect and retention'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;map;discover'= {
            cand --out 'Write the draft here instead of stdout (never over an existing file without --force)'
            cand --tenant-column 'The column that holds the tenant [default: a tenant_id, org_id, organization_id, organisation_id, workspace_id, team_id, account_id or project_id column, in any case style, pointing at the table most others reach]'
            cand --sample 'Also read up to N rows per table and propose identities by content: each column whose values hold emails, phone numbers (E.164), IPv4 or IPv6 addresses, payment card numbers or IBANs (--sample alone: 1000). Values are never printed, only the share of rows'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --force 'Overwrite --out if it exists'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;map;check'= {
            cand --sample 'Also read up to N rows per table and warn of personal data the map does not name (--sample alone: 1000). PostgreSQL samples at random; SQLite reads the first N rows'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;map;graph'= {
            cand --output-format 'The picture''s format'
            cand --out 'Write it here instead of stdout (never over an existing file without --force)'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --force 'Overwrite --out if it exists'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;map;help'= {
            cand discover 'Draft a data map from the live schema: tenant table and column, links, identities, timestamps'
            cand check 'Check the map against the live schema: every table covered, every name and link resolved'
            cand graph 'Draw the data map: the tenant table at the root, the routes to it, identities, owned and not-followed links, global and ignored tables, each table''s erase effect and retention'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;map;help;discover'= {
        }
        &'privctl;map;help;check'= {
        }
        &'privctl;map;help;graph'= {
        }
        &'privctl;map;help;help'= {
        }
        &'privctl;dsar'= {
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand preview 'Show every row of one data subject in one tenant; issues the token for `dsar delete`'
            cand export 'Write the subject''s data as a portable JSON bundle'
            cand delete 'Erase the subject''s data (delete or anonymise per the map); needs a token'
            cand scan 'Look for the subject''s identifiers by content in every table privctl may read (read-only): where the map is silent, they are residue an erasure would leave'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;dsar;preview'= {
            cand --tenant 'The tenant (required when the map has a [tenant] section, unless --all-tenants)'
            cand --email 'The subject''s email (trimmed and lower-cased); short for --identity email=…'
            cand --phone 'The subject''s phone number (normalised to E.164); short for --identity phone=…'
            cand --identity 'Any identity the map declares in [identities]; several identities name one subject'
            cand --on-behalf-of 'The tenant''s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --all-tenants 'Every tenant where the subject''s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;dsar;export'= {
            cand --tenant 'The tenant (required when the map has a [tenant] section, unless --all-tenants)'
            cand --email 'The subject''s email (trimmed and lower-cased); short for --identity email=…'
            cand --phone 'The subject''s phone number (normalised to E.164); short for --identity phone=…'
            cand --identity 'Any identity the map declares in [identities]; several identities name one subject'
            cand --on-behalf-of 'The tenant''s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger'
            cand --out 'Where to write the bundle (created with mode 0600)'
            cand --output-format 'json: the portable bundle (privctl-bundle/1); html: one self-contained page for the data subject to read and print (who holds the data, why, how long, what erasure would do, and every record)'
            cand --key-file 'File with a 32-byte key (raw, base64 or hex)'
            cand --passphrase-env 'Environment variable holding a passphrase (stretched with argon2id)'
            cand --receipt 'Also write a receipt for the data subject here: a proof, checked offline with `privctl receipt verify`, that the log records this export of them (needs keys.signing and [ledger] origin)'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --all-tenants 'Every tenant where the subject''s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data'
            cand --force 'Replace an existing file'
            cand --encrypt 'Encrypt the bundle (AES-256-GCM STREAM); needs --key-file or --passphrase-env'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;dsar;delete'= {
            cand --tenant 'The tenant (required when the map has a [tenant] section, unless --all-tenants)'
            cand --email 'The subject''s email (trimmed and lower-cased); short for --identity email=…'
            cand --phone 'The subject''s phone number (normalised to E.164); short for --identity phone=…'
            cand --identity 'Any identity the map declares in [identities]; several identities name one subject'
            cand --on-behalf-of 'The tenant''s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger'
            cand --confirm 'The token from the dry run, or `-` to read it (or the dry run''s JSON) from stdin'
            cand --receipt 'With --confirm: write an erasure receipt for the data subject here (needs keys.signing and [ledger] origin); `privctl receipt verify` checks it offline'
            cand --metrics-file 'When the run ends, write its metrics here in the Prometheus text format (atomically: for node_exporter''s textfile collector), whatever its exit code'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --all-tenants 'Every tenant where the subject''s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data'
            cand --no-scan 'Skip the residue scan that follows the erasure (see `privctl dsar scan`)'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;dsar;scan'= {
            cand --tenant 'The tenant (required when the map has a [tenant] section, unless --all-tenants)'
            cand --email 'The subject''s email (trimmed and lower-cased); short for --identity email=…'
            cand --phone 'The subject''s phone number (normalised to E.164); short for --identity phone=…'
            cand --identity 'Any identity the map declares in [identities]; several identities name one subject'
            cand --on-behalf-of 'The tenant''s member the request is made for (their email or id): their role must allow the command ([authz] in the map); a refusal is recorded in the ledger'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --all-tenants 'Every tenant where the subject''s identifiers match, plus rows of no tenant and global tables: for the platform as controller of that data'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;dsar;help'= {
            cand preview 'Show every row of one data subject in one tenant; issues the token for `dsar delete`'
            cand export 'Write the subject''s data as a portable JSON bundle'
            cand delete 'Erase the subject''s data (delete or anonymise per the map); needs a token'
            cand scan 'Look for the subject''s identifiers by content in every table privctl may read (read-only): where the map is silent, they are residue an erasure would leave'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;dsar;help;preview'= {
        }
        &'privctl;dsar;help;export'= {
        }
        &'privctl;dsar;help;delete'= {
        }
        &'privctl;dsar;help;scan'= {
        }
        &'privctl;dsar;help;help'= {
        }
        &'privctl;export-tenant'= {
            cand --tenant 'The tenant to export'
            cand --out 'Where to write: a file (json, ndjson) or a directory (csv)'
            cand --output-format 'Bundle format'
            cand --key-file 'File with a 32-byte key (raw, base64 or hex)'
            cand --passphrase-env 'Environment variable holding a passphrase (stretched with argon2id)'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --encrypt 'Encrypt the bundle (AES-256-GCM STREAM); needs --key-file or --passphrase-env'
            cand --force 'Replace an existing file (or write into an existing directory)'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;delete-tenant'= {
            cand --tenant 'The tenant to erase'
            cand --confirm 'The token from the dry run, or `-` to read it (or the dry run''s JSON) from stdin'
            cand --batch-size 'Most rows per transaction (a purge deletes their descendants in the same transaction); given alone, every batch has this size [default: 100000, sized by --batch-time]'
            cand --batch-time 'Time each batch should take: sizes adapt to it, up to --batch-size (1ms to 10s) [default: 100ms unless --batch-size is given alone]'
            cand --batch-pause 'Pause between batches to leave room for live traffic (e.g. 50ms)'
            cand --metrics-file 'When the run ends, write its metrics here in the Prometheus text format (atomically: for node_exporter''s textfile collector), whatever its exit code'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;purge-retention'= {
            cand --tenant 'Only this tenant [default: every tenant]'
            cand --confirm 'The token from the dry run, or `-` to read it (or the dry run''s JSON) from stdin'
            cand --batch-size 'Most rows per transaction (a purge deletes their descendants in the same transaction); given alone, every batch has this size [default: 100000, sized by --batch-time]'
            cand --batch-time 'Time each batch should take: sizes adapt to it, up to --batch-size (1ms to 10s) [default: 100ms unless --batch-size is given alone]'
            cand --batch-pause 'Pause between batches to leave room for live traffic (e.g. 50ms)'
            cand --max-rows 'Refuse a plan that deletes more rows than this [default: purge.max_rows in the map]'
            cand --max-duration 'Stop cleanly between batches after this long (e.g. 2h); the same token resumes'
            cand --as-of 'Dry run as if now were TIME (RFC 3339, e.g. 2027-01-01T00:00:00Z) to see a later purge; issues no token, so it cannot be confirmed'
            cand --metrics-file 'When the run ends, write its metrics here in the Prometheus text format (atomically: for node_exporter''s textfile collector), whatever its exit code'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --allow-large 'Accept a plan over --max-rows or over purge.max_fraction of a table'
            cand --blobs-only 'Only delete the objects waiting in the blob outbox (their rows are already gone; no token)'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;audit-verify'= {
            cand --anchor 'An earlier `audit head` (SEQ:HASH): also proves nothing after it was cut off or rewritten'
            cand --checkpoint 'A signed checkpoint (`audit checkpoint`): proves the ledger is the same log, no shorter, and only appended to since'
            cand --vkey 'The log''s verifier key (vkey text or a file of them) for --checkpoint; repeat for several'
            cand --witness 'A witness''s verifier key: the checkpoint must carry its cosignature; repeat for several'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;audit'= {
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand head 'Print the ledger''s head (SEQ:HASH), to keep outside the database as an anchor'
            cand log 'Show recent ledger entries, newest first (never a subject''s identifier)'
            cand keygen 'Make an Ed25519 key pair for signing checkpoints (or, with --witness, cosigning them)'
            cand vkey 'Print the verifier keys of keys.signing, to publish beside the checkpoints'
            cand checkpoint 'Sign the ledger''s tree head (a C2SP checkpoint) after verifying the ledger against the last one signed'
            cand consistency 'Write a witness request: a consistency proof from an older tree size to a checkpoint'
            cand witness 'Cosign a checkpoint as a witness, offline: only if it is consistent with the last one cosigned'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;audit;head'= {
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;audit;log'= {
            cand --tenant 'Only entries for this tenant'
            cand --action 'Only entries of this action (dsar-delete, delete-tenant, purge-retention, …)'
            cand --since 'Only entries since this time: RFC 3339, or a duration ago such as 7d or 12h'
            cand --limit 'At most this many entries'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;audit;keygen'= {
            cand --name 'The key''s name, carried by every signature (the log''s origin is a good one)'
            cand --out 'Where to write the private key (created with mode 0600; never overwritten)'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --witness 'A witness key (cosignature/v1), for `privctl audit witness`'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;audit;vkey'= {
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;audit;checkpoint'= {
            cand --state 'The signer''s state: the last checkpoint it signed (kept outside the database)'
            cand --out 'Also write the checkpoint here (it is printed either way)'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;audit;consistency'= {
            cand --old 'The tree size the witness last cosigned (0 for its first)'
            cand --checkpoint 'The signed checkpoint to prove'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;audit;witness'= {
            cand --state 'The witness''s state folder (the last checkpoint cosigned, per log)'
            cand --log-vkey 'The log''s verifier key (vkey text or a file of them); repeat for several'
            cand --key 'The witness''s private key: env:VAR or file:PATH'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;audit;help'= {
            cand head 'Print the ledger''s head (SEQ:HASH), to keep outside the database as an anchor'
            cand log 'Show recent ledger entries, newest first (never a subject''s identifier)'
            cand keygen 'Make an Ed25519 key pair for signing checkpoints (or, with --witness, cosigning them)'
            cand vkey 'Print the verifier keys of keys.signing, to publish beside the checkpoints'
            cand checkpoint 'Sign the ledger''s tree head (a C2SP checkpoint) after verifying the ledger against the last one signed'
            cand consistency 'Write a witness request: a consistency proof from an older tree size to a checkpoint'
            cand witness 'Cosign a checkpoint as a witness, offline: only if it is consistent with the last one cosigned'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;audit;help;head'= {
        }
        &'privctl;audit;help;log'= {
        }
        &'privctl;audit;help;keygen'= {
        }
        &'privctl;audit;help;vkey'= {
        }
        &'privctl;audit;help;checkpoint'= {
        }
        &'privctl;audit;help;consistency'= {
        }
        &'privctl;audit;help;witness'= {
        }
        &'privctl;audit;help;help'= {
        }
        &'privctl;receipt'= {
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand verify 'Check an erasure receipt: this erasure, of this subject, in this tenant, is an entry of the log'
            cand update 'Prove a receipt again against a later checkpoint (one that witnesses cosigned)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;receipt;verify'= {
            cand --vkey 'The log''s verifier key (vkey text or a file of them); repeat for several'
            cand --witness 'A witness''s verifier key: its cosignature is required; repeat for several'
            cand --email 'The subject''s email: also check that the erasure was of this subject'
            cand --phone 'The subject''s phone number, with its country code (+44…)'
            cand --identity 'Another identity the subject was named by, normalised as the operator''s map does'
            cand --bundle 'For an export''s receipt: also check that this file is the bundle the export wrote'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;receipt;update'= {
            cand --checkpoint 'The later checkpoint, as `audit checkpoint` signed it and witnesses cosigned it'
            cand --out 'Where to write the updated receipt (mode 0600); the receipt itself is left as it is'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;receipt;help'= {
            cand verify 'Check an erasure receipt: this erasure, of this subject, in this tenant, is an entry of the log'
            cand update 'Prove a receipt again against a later checkpoint (one that witnesses cosigned)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;receipt;help;verify'= {
        }
        &'privctl;receipt;help;update'= {
        }
        &'privctl;receipt;help;help'= {
        }
        &'privctl;decrypt'= {
            cand --key-file 'File with the 32-byte key (raw, base64 or hex)'
            cand --passphrase-env 'Environment variable holding the passphrase'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --force 'Replace OUTPUT if it exists'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;status'= {
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;completions'= {
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;demo'= {
            cand --dir 'Directory for the demo database, its map and its ledger key'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --reset 'Rebuild the database even if it exists'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;help'= {
            cand init 'Create privctl''s own tables (ledger, confirmations, jobs, blob outbox); safe to run again'
            cand map 'Draft a data map, or check one against the live schema'
            cand dsar 'One data subject''s rows in one tenant: preview, export, delete, or scan for what remains'
            cand export-tenant 'Write every row scoped to one tenant as one bundle (json | ndjson | csv), optionally encrypted'
            cand delete-tenant 'Erase a whole tenant (delete or anonymise per the map); needs a token'
            cand purge-retention 'Delete rows past their retention window (plan tiers, overrides, legal holds); needs a token'
            cand audit-verify 'Verify the ledger''s hash chain: altered, removed, reordered, forged or cut-off entries'
            cand audit 'Read the ledger: its head, or its recent entries'
            cand receipt 'Check erasure receipts offline'
            cand decrypt 'Decrypt a bundle written with --encrypt'
            cand status 'Show unfinished jobs, blob objects still queued for deletion, and run locks'
            cand completions 'Print a completion script (bash, zsh, fish, elvish, powershell)'
            cand demo 'Build a demo SQLite database from the conversational-ai fixture and preview a real DSAR on it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;help;init'= {
        }
        &'privctl;help;map'= {
            cand discover 'Draft a data map from the live schema: tenant table and column, links, identities, timestamps'
            cand check 'Check the map against the live schema: every table covered, every name and link resolved'
            cand graph 'Draw the data map: the tenant table at the root, the routes to it, identities, owned and not-followed links, global and ignored tables, each table''s erase effect and retention'
        }
        &'privctl;help;map;discover'= {
        }
        &'privctl;help;map;check'= {
        }
        &'privctl;help;map;graph'= {
        }
        &'privctl;help;dsar'= {
            cand preview 'Show every row of one data subject in one tenant; issues the token for `dsar delete`'
            cand export 'Write the subject''s data as a portable JSON bundle'
            cand delete 'Erase the subject''s data (delete or anonymise per the map); needs a token'
            cand scan 'Look for the subject''s identifiers by content in every table privctl may read (read-only): where the map is silent, they are residue an erasure would leave'
        }
        &'privctl;help;dsar;preview'= {
        }
        &'privctl;help;dsar;export'= {
        }
        &'privctl;help;dsar;delete'= {
        }
        &'privctl;help;dsar;scan'= {
        }
        &'privctl;help;export-tenant'= {
        }
        &'privctl;help;delete-tenant'= {
        }
        &'privctl;help;purge-retention'= {
        }
        &'privctl;help;audit-verify'= {
        }
        &'privctl;help;audit'= {
            cand head 'Print the ledger''s head (SEQ:HASH), to keep outside the database as an anchor'
            cand log 'Show recent ledger entries, newest first (never a subject''s identifier)'
            cand keygen 'Make an Ed25519 key pair for signing checkpoints (or, with --witness, cosigning them)'
            cand vkey 'Print the verifier keys of keys.signing, to publish beside the checkpoints'
            cand checkpoint 'Sign the ledger''s tree head (a C2SP checkpoint) after verifying the ledger against the last one signed'
            cand consistency 'Write a witness request: a consistency proof from an older tree size to a checkpoint'
            cand witness 'Cosign a checkpoint as a witness, offline: only if it is consistent with the last one cosigned'
        }
        &'privctl;help;audit;head'= {
        }
        &'privctl;help;audit;log'= {
        }
        &'privctl;help;audit;keygen'= {
        }
        &'privctl;help;audit;vkey'= {
        }
        &'privctl;help;audit;checkpoint'= {
        }
        &'privctl;help;audit;consistency'= {
        }
        &'privctl;help;audit;witness'= {
        }
        &'privctl;help;receipt'= {
            cand verify 'Check an erasure receipt: this erasure, of this subject, in this tenant, is an entry of the log'
            cand update 'Prove a receipt again against a later checkpoint (one that witnesses cosigned)'
        }
        &'privctl;help;receipt;verify'= {
        }
        &'privctl;help;receipt;update'= {
        }
        &'privctl;help;decrypt'= {
        }
        &'privctl;help;status'= {
        }
        &'privctl;help;completions'= {
        }
        &'privctl;help;demo'= {
        }
        &'privctl;help;help'= {
        }
    ]
    $completions[$command]
}
