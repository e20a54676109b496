//! Settings of the statistical scorer (`[stat]` in `kompress.toml`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatConfig {
    /// Frame name prefixes of test harnesses and reflection plumbing. A run of such frames at the
    /// bottom of a stack trace (below the last application frame) is evictable: it is the same
    /// for every test and says nothing about the failure. Frames above or between application
    /// frames are always kept.
    pub harness_frames: Vec<String>,
    /// Location fragments of runtime internals and installed packages in V8 (Node.js) stack
    /// frames (`at Module._load (node:internal/modules/cjs/loader:1091:12)`). Such a frame counts
    /// as a harness frame: V8, like the JVM, prints the outermost callers last, so a run of them
    /// below the last application frame is a harness tail.
    pub harness_locations: Vec<String>,
    /// Shortest harness tail worth evicting.
    pub min_harness_tail: usize,
    /// Path fragments of code the agent does not own (the standard library, installed
    /// packages). In a pytest traceback, the source listing of a frame located there is
    /// evictable like a harness tail; its location, failing line and `E` lines stay
    /// (`crate::pyframes`). Empty: every listing stays.
    pub library_paths: Vec<String>,
    /// Keep logit of an ordinary, unique line outside logs.
    pub base_keep: f32,
    /// Keep logit of an ordinary, unique line in a log (timestamps, levels) with no signal.
    pub log_line_keep: f32,
    /// Penalty per natural-log unit of how often a line's template repeats. Off by default:
    /// lines of one template differ in their parameters, and those are the information (the
    /// rewriter folds such runs instead); progress chatter still loses `chatter` weight.
    pub repeat_penalty: f32,
    /// Lines kept before an error block starts (what was running when it failed).
    pub context_before: usize,
}

impl Default for StatConfig {
    fn default() -> Self {
        let harness = [
            "sun.reflect.",
            "jdk.internal.reflect.",
            "java.lang.reflect.",
            "junit.framework.",
            "junit.textui.",
            "org.junit.",
            "org.apache.tools.ant.",
            "org.apache.maven.surefire.",
            "org.testng.",
            "com.sun.proxy.",
            "jdk.proxy",
            "org.gradle.api.internal.tasks.testing.",
            "worker.org.gradle.process.",
            "org.gradle.internal.dispatch.",
            "com.intellij.rt.",
        ];
        StatConfig {
            harness_frames: harness.iter().map(|s| s.to_string()).collect(),
            harness_locations: ["(node:", "at node:", "/node_modules/"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            min_harness_tail: 2,
            library_paths: [
                "/site-packages/",
                "/dist-packages/",
                "/lib/python",
                "<frozen ",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            base_keep: 0.6,
            log_line_keep: -0.4,
            repeat_penalty: 0.0,
            context_before: 1,
        }
    }
}
