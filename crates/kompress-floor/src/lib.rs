//! kompress-floor: the safety floor. A TOML-configured set of regex categories (paths,
//! `file:line`, URLs, hashes, ids, versions, identifiers, flags, error names and codes, ...)
//! found in one leftmost-first pass over the text and mapped onto tokens, so that the
//! pruner can never cut a critical span in half or evict a line that names an error.
//!
//! ```
//! use kompress_floor::Floor;
//! let floor = Floor::embedded_default();
//! let text = "error[E0308]: mismatched types at src/main.rs:12:5";
//! let names: Vec<_> = floor.scan(text).iter().map(|h| floor.category_name(h.category)).collect();
//! assert_eq!(names, ["error_code", "file_line"]);
//! ```

mod ansi;
mod config;
mod error;
mod floor;
mod mask;

pub use config::Keep;
pub use error::FloorError;
pub use floor::{Floor, FloorHit, EMBEDDED_TOML};
pub use mask::FloorMask;
