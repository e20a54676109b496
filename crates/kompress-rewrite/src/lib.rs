//! kompress-rewrite: the rewriter role.
//!
//! Builds the compressed text only from byte-exact spans of the input plus markers. Guarantees:
//! lines are never joined (each kept line keeps its own terminator; a marker for elided lines
//! stands on its own line), order is kept, every removed byte is in exactly one [`LocalEdit`],
//! and applying the edits backwards (`kompress_core::restore`) gives the input back.

pub mod fold;
pub mod marker;
pub mod plan;
pub mod render;
pub mod table;

pub use plan::{plan_lines, LinePlan, LineState};
pub use render::{render, render_with_rows, LocalEdit, RewriteOptions, Rewritten};
pub use table::{find_table_folds, TableFolds, TableGroup};
