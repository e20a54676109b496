//! Marker text. One short form per kind of elision, each carrying the retrieval handle.
//! Markers are the only bytes in the output that did not come from the input.

/// `[…12 lines, ref=ab12cd34]` for a run of whole lines.
pub fn lines_marker(n: usize, handle: &str) -> String {
    if n == 1 {
        format!("[…1 line, ref={handle}]")
    } else {
        format!("[…{n} lines, ref={handle}]")
    }
}

/// `[…ref=ab12cd34]` for part of a line.
pub fn inline_marker(handle: &str) -> String {
    format!("[…ref={handle}]")
}

/// Rough o200k token estimate of a piece of log text (about 3.6 bytes per token), used only to
/// decide whether eliding a run pays for its marker.
pub fn est_tokens(bytes: usize) -> usize {
    (bytes * 10).div_ceil(36)
}

/// Tokens a lines marker costs, with its line break.
pub const LINES_MARKER_TOKENS: usize = 11;
/// Tokens an inline marker costs.
pub const INLINE_MARKER_TOKENS: usize = 7;
