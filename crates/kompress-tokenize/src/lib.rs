//! kompress-tokenize: the tokenizer role. Turns a text into lines and byte-offset tokens, and
//! cuts token sequences into word- and line-aligned chunks that never drop text.
//!
//! [`words`] is the fast built-in tokenizer the statistical path uses (no vocabulary).
//! Learned models use their own sub-word tokenizer (`tokenizers`, in the model crate) on the
//! chunks produced here and map their scores back to these tokens by byte offset.

pub mod chunk;
pub mod words;

pub use chunk::{chunk_tokens, Chunk};
pub use words::tokenize;
