//! `kompress hook claude-code|codex`: the PreToolUse hook that routes an agent's Bash tool
//! commands through `kompress run`. Without flags it prints the settings JSON; `--install`
//! merges it into `.claude/settings.json` (Codex: `.codex/hooks.json`) keeping every other
//! key; `--handle` is the hook itself.
//!
//! The contract (Claude Code hooks reference, PreToolUse; Codex mirrors it): the hook gets
//! `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":…},…}` on
//! stdin and answers, exit 0, with `{"hookSpecificOutput":{"hookEventName":"PreToolUse",
//! "permissionDecision":…,"updatedInput":{…}}}`. `updatedInput` replaces the whole tool input,
//! so every other field is copied. An empty answer leaves the call as it was: what the hook
//! gives for other tools, background commands, commands already wrapped, commands an
//! `exclude` rule matches and any input it cannot read (it fails open).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{json, Map, Value};

use super::run_rules::{Action, Rules};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Agent {
    ClaudeCode,
    Codex,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Permission {
    /// The agent still asks the user before running the rewritten command.
    Ask,
    /// The rewritten command runs without a prompt (the agent's deny and ask rules still apply).
    Allow,
}

#[derive(clap::Args)]
pub struct Args {
    agent: Agent,
    /// Merge the hook into the settings file instead of printing it.
    #[arg(long, conflicts_with = "handle")]
    install: bool,
    /// The settings file for --install (default .claude/settings.json, Codex .codex/hooks.json).
    #[arg(long, requires = "install")]
    settings: Option<PathBuf>,
    /// Act as the hook: read the PreToolUse JSON on stdin, print the answer.
    #[arg(long)]
    handle: bool,
    /// run.toml the hook and `kompress run` use (also baked into the installed command).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The permission decision sent with the rewrite (Claude Code default: ask; Codex takes
    /// a rewrite only with allow).
    #[arg(long, value_enum)]
    permission: Option<Permission>,
}

/// Quotes a word for a POSIX shell: unchanged when it is plain, else in single quotes.
pub fn sh_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn exe() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
        .unwrap_or_else(|| "kompress".into())
}

impl Args {
    fn agent_name(&self) -> &'static str {
        match self.agent {
            Agent::ClaudeCode => "claude-code",
            Agent::Codex => "codex",
        }
    }

    fn permission(&self) -> &'static str {
        match (self.permission, self.agent) {
            (Some(Permission::Allow), _) | (None, Agent::Codex) => "allow",
            _ => "ask",
        }
    }

    fn flags(&self) -> String {
        let mut f = String::new();
        if let Some(c) = &self.config {
            f.push_str(&format!(" --config {}", sh_quote(&c.display().to_string())));
        }
        f
    }

    /// The hook entry: one PreToolUse matcher group for the Bash tool.
    pub fn hook_entry(&self) -> Value {
        let mut command = format!(
            "{} hook {} --handle{}",
            sh_quote(&exe()),
            self.agent_name(),
            self.flags()
        );
        if let Some(p) = self.permission {
            command.push_str(match p {
                Permission::Ask => " --permission ask",
                Permission::Allow => " --permission allow",
            });
        }
        json!({"matcher": "Bash", "hooks": [{"type": "command", "command": command}]})
    }
}

/// True when the command already goes through `kompress run`.
fn is_wrapped(command: &str) -> bool {
    let mut words = command.split_whitespace();
    let first = words.next().unwrap_or("").trim_matches(['\'', '"']);
    first.rsplit('/').next() == Some("kompress") && words.next() == Some("run")
}

/// The answer to one PreToolUse input, or `None` to leave the call alone.
pub fn answer(input: &Value, rules: &Rules, a: &Args) -> Option<Value> {
    if input.get("tool_name")?.as_str()? != "Bash" {
        return None;
    }
    let tool_input = input.get("tool_input")?.as_object()?;
    let command = tool_input.get("command")?.as_str()?;
    let background = tool_input.get("run_in_background").and_then(Value::as_bool);
    if command.trim().is_empty()
        || background == Some(true)
        || is_wrapped(command)
        || rules.action_for(command) == Action::Exclude
    {
        return None;
    }
    let wrapped = format!(
        "{} run{} -- bash -c {}",
        sh_quote(&exe()),
        a.flags(),
        sh_quote(command)
    );
    let mut updated: Map<String, Value> = tool_input.clone();
    updated.insert("command".into(), Value::String(wrapped));
    Some(json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": a.permission(),
            "permissionDecisionReason": "kompress run: output compressed losslessly (kompress recall restores it)",
            "updatedInput": Value::Object(updated),
        }
    }))
}

/// Merges the hook into `settings` (a JSON object), replacing an earlier kompress entry.
pub fn merge(settings: &mut Value, entry: Value) -> anyhow::Result<()> {
    let root = settings
        .as_object_mut()
        .context("the settings file is not a JSON object")?;
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .context("`hooks` in the settings file is not an object")?;
    let pre = hooks
        .entry("PreToolUse")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .context("`hooks.PreToolUse` in the settings file is not an array")?;
    let ours = |v: &Value| {
        v["hooks"].as_array().is_some_and(|hs| {
            hs.iter().any(|h| {
                h["command"]
                    .as_str()
                    .is_some_and(|c| c.contains(" hook ") && c.contains(" --handle"))
            })
        })
    };
    match pre.iter_mut().find(|v| ours(v)) {
        Some(old) => *old = entry,
        None => pre.push(entry),
    }
    Ok(())
}

fn install(a: &Args, path: &Path) -> anyhow::Result<()> {
    let mut settings = match std::fs::read_to_string(path) {
        Ok(s) if !s.trim().is_empty() => {
            serde_json::from_str(&s).map_err(|e| kompress_core::CoreError::MalformedJson {
                line: e.line(),
                column: e.column(),
                reason: format!("{}: {e}", path.display()),
            })?
        }
        Ok(_) => json!({}),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({}),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    merge(&mut settings, a.hook_entry())?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&settings)? + "\n";
    let tmp = path.with_extension("json.kompress-tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    eprintln!(
        "kompress: PreToolUse hook for Bash installed in {}",
        path.display()
    );
    Ok(())
}

pub fn run(a: Args) -> anyhow::Result<()> {
    if a.handle {
        let mut raw = String::new();
        let input: Option<Value> = std::io::stdin()
            .read_to_string(&mut raw)
            .ok()
            .and_then(|_| serde_json::from_str(&raw).ok());
        let rules = Rules::load(a.config.as_deref())?;
        if let Some(out) = input.as_ref().and_then(|i| answer(i, &rules, &a)) {
            println!("{out}");
        }
        return Ok(());
    }
    if a.install {
        let default = match a.agent {
            Agent::ClaudeCode => ".claude/settings.json",
            Agent::Codex => ".codex/hooks.json",
        };
        let path = a.settings.clone().unwrap_or_else(|| default.into());
        return install(&a, &path);
    }
    let mut settings = json!({});
    merge(&mut settings, a.hook_entry())?;
    println!("{}", serde_json::to_string_pretty(&settings)?);
    Ok(())
}
