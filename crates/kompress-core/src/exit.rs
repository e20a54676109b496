//! The exit codes of every kompress binary (`kompress`, `kompress-kafka`), one table. Each
//! binary maps its errors here by variant, never by message text.

/// Success (and for `stream`/`memory-sink`: drained and committed).
pub const OK: i32 = 0;
/// Anything else: an internal, broker, store or pruner failure. Nothing uncommitted is lost; a
/// restart processes it again.
pub const FAILURE: i32 = 1;
/// A usage error: bad flags or subcommand (clap's own code).
pub const USAGE: i32 = 2;
/// Bad input: invalid UTF-8, malformed JSON, unknown schema or role, empty or oversized text.
pub const INPUT: i32 = 3;
/// Bad configuration: a config file, an environment variable or a floor file that does not
/// validate, or a model directory that does not exist (the message names the field). A model
/// directory whose files do not load is a pruner failure (FAILURE), its cause in the message.
pub const CONFIG: i32 = 4;
/// The records do not restore the text (wrong records, or edited output).
pub const RESTORE: i32 = 5;
