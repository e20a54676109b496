//! kompress-eval: the evaluation harness. Scores any system on a JSONL set with the kscore
//! metrics ([`metrics`]), runs the baselines and the product side by side ([`systems`],
//! [`harness`], [`peer`]), voting ensembles with recall per stratum ([`ensemble`]), speed and
//! memory ([`speed`]), and writes tables and plots ([`report`], [`plot`], [`run`]).

pub mod data;
pub mod ensemble;
pub mod error;
pub mod harness;
pub mod machine;
pub mod metrics;
pub mod peer;
pub mod plot;
pub mod report;
pub mod run;
pub mod speed;
pub mod systems;
pub mod textrank;

pub use error::EvalError;
