
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
            cand dsar 'dsar'
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
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;dsar;preview'= {
            cand --tenant 'The tenant (required when the map has a [tenant] section)'
            cand --email 'The subject''s email (trimmed and lower-cased); short for --identity email=…'
            cand --phone 'The subject''s phone number (normalised to E.164); short for --identity phone=…'
            cand --identity 'Any identity the map declares in [identities]; several identities name one subject'
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
        &'privctl;dsar;export'= {
            cand --tenant 'The tenant (required when the map has a [tenant] section)'
            cand --email 'The subject''s email (trimmed and lower-cased); short for --identity email=…'
            cand --phone 'The subject''s phone number (normalised to E.164); short for --identity phone=…'
            cand --identity 'Any identity the map declares in [identities]; several identities name one subject'
            cand --out 'Where to write the bundle (created with mode 0600)'
            cand --database-url 'Database: postgres://… or sqlite://path'
            cand --map 'The data map'
            cand --actor 'Who is acting, recorded in the ledger [default: $USER@hostname]'
            cand --format 'Human tables or one JSON document on stdout'
            cand --force 'Replace an existing file'
            cand -q 'No status lines and no progress bars'
            cand --quiet 'No status lines and no progress bars'
            cand --no-progress 'No progress bars (they are also off when stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'privctl;dsar;delete'= {
            cand --tenant 'The tenant (required when the map has a [tenant] section)'
            cand --email 'The subject''s email (trimmed and lower-cased); short for --identity email=…'
            cand --phone 'The subject''s phone number (normalised to E.164); short for --identity phone=…'
            cand --identity 'Any identity the map declares in [identities]; several identities name one subject'
            cand --confirm 'The token from the dry run, or `-` to read it (or the dry run''s JSON) from stdin'
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
        &'privctl;dsar;help'= {
            cand preview 'Show every row of one data subject in one tenant; issues the token for `dsar delete`'
            cand export 'Write the subject''s data as a portable JSON bundle'
            cand delete 'Erase the subject''s data (delete or anonymise per the map); needs a token'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;dsar;help;preview'= {
        }
        &'privctl;dsar;help;export'= {
        }
        &'privctl;dsar;help;delete'= {
        }
        &'privctl;dsar;help;help'= {
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
            cand dsar 'dsar'
            cand completions 'Print a completion script (bash, zsh, fish, elvish, powershell)'
            cand demo 'Build a demo SQLite database from the conversational-ai fixture and preview a real DSAR on it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'privctl;help;init'= {
        }
        &'privctl;help;dsar'= {
            cand preview 'Show every row of one data subject in one tenant; issues the token for `dsar delete`'
            cand export 'Write the subject''s data as a portable JSON bundle'
            cand delete 'Erase the subject''s data (delete or anonymise per the map); needs a token'
        }
        &'privctl;help;dsar;preview'= {
        }
        &'privctl;help;dsar;export'= {
        }
        &'privctl;help;dsar;delete'= {
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
