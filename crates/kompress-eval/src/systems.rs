//! The systems under test that run in-process. Each one decides a keep mask over the tokens of a
//! text; the same rewriter renders every mask, so baselines and the product differ only in what
//! they choose to keep.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kompress_core::{CompressionConfig, CoreError, Mode, Pruner, PrunerScores, TokenizedText};
use kompress_floor::{Floor, FloorMask};
use kompress_pipeline::stages;
use kompress_stat::{StatConfig, StatPruner};

use crate::textrank;
use crate::EvalError;

/// How a random baseline picks its keep rate.
#[derive(Debug, Clone)]
pub enum Rate {
    Fixed(f32),
    /// Per case id: the token keep fraction another system reached on that case.
    Matched(HashMap<String, f32>),
}

impl Rate {
    pub fn for_case(&self, id: &str) -> f32 {
        match self {
            Rate::Fixed(r) => *r,
            Rate::Matched(m) => m.get(id).copied().unwrap_or(1.0),
        }
    }
}

/// A system from its spec: `identity`, `floor`, `stat-safe`, `stat-ultra`, `stat-safe@R`,
/// `stat-ultra@R`, `textrank@R`, `random@R` (R = share of tokens kept, in (0, 1]).
pub fn parse_system(spec: &str) -> Result<System, EvalError> {
    let (base, ratio) = match spec.split_once('@') {
        Some((b, r)) => {
            let r: f32 = r.parse().map_err(|_| {
                EvalError::config("ensemble", format!("{spec:?}: {r:?} is not a number"))
            })?;
            if !(r > 0.0 && r <= 1.0) {
                return Err(EvalError::config(
                    "ensemble",
                    format!("{spec:?}: ratio must be in (0, 1]"),
                ));
            }
            (b, Some(r))
        }
        None => (spec, None),
    };
    let sys = match (base, ratio) {
        ("identity", None) => simple_system(spec, Chooser::Identity),
        ("floor", None) => simple_system(spec, Chooser::FloorOnly),
        ("stat-safe", r) => stat_system(spec, Mode::Safe, r),
        ("stat-ultra", r) => stat_system(spec, Mode::Ultra, r),
        ("textrank", Some(r)) => simple_system(spec, Chooser::TextRank { rate: Rate::Fixed(r) }),
        ("random", Some(r)) => simple_system(spec, Chooser::RandomLines { rate: Rate::Fixed(r), seed: 42 }),
        _ => {
            return Err(EvalError::config(
                "ensemble",
                format!("{spec:?} is not one of identity, floor, stat-safe[@R], stat-ultra[@R], textrank@R, random@R"),
            ))
        }
    };
    Ok(sys)
}

/// What decides the keep mask.
pub enum Chooser {
    /// Keep everything (the output is the input).
    Identity,
    /// Whole lines in a seeded random order until the keep rate is reached; no floor.
    RandomLines { rate: Rate, seed: u64 },
    /// Only what the regex floor hits: hit tokens and the lines it forces.
    FloorOnly,
    /// TextRank over lines, top lines until `ratio` of tokens; no floor.
    TextRank { rate: Rate },
    /// A pruner (statistical, learned, blend) through the product's gate, with or without the
    /// floor's forced lines and span widening.
    Scored {
        pruner: SharedPruner,
        use_floor: bool,
    },
}

/// A pruner whose scores are remembered per text, so that several systems built on the same
/// model (with and without the floor, blends, ensemble voters) run it once per text.
#[derive(Clone)]
pub struct SharedPruner(Arc<Mutex<ScoreCache>>);

struct ScoreCache {
    pruner: Box<dyn Pruner>,
    scores: HashMap<(u64, usize), PrunerScores>,
}

fn text_key(doc: &TokenizedText) -> (u64, usize) {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    doc.text.hash(&mut h);
    (h.finish(), doc.text.len())
}

impl SharedPruner {
    pub fn new(pruner: Box<dyn Pruner>) -> SharedPruner {
        SharedPruner(Arc::new(Mutex::new(ScoreCache {
            pruner,
            scores: HashMap::new(),
        })))
    }

    /// Scores of `doc`, computed once per distinct text.
    pub fn scores(&self, doc: &TokenizedText) -> Result<PrunerScores, CoreError> {
        let mut c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let key = text_key(doc);
        if let Some(s) = c.scores.get(&key) {
            return Ok(s.clone());
        }
        let s = c.pruner.score_batch(&[doc])?.pop().unwrap_or_default();
        c.scores.insert(key, s.clone());
        Ok(s)
    }
}

impl Pruner for SharedPruner {
    fn name(&self) -> &str {
        "shared"
    }

    fn score_batch(&mut self, texts: &[&TokenizedText]) -> Result<Vec<PrunerScores>, CoreError> {
        texts.iter().map(|d| self.scores(d)).collect()
    }
}

/// One system: a chooser plus the config the rewriter renders with.
pub struct System {
    pub name: String,
    pub chooser: Chooser,
    pub cfg: CompressionConfig,
}

/// A text made ready for choosing: tokens and the floor's mask.
pub struct Prepared {
    pub doc: TokenizedText,
    pub mask: FloorMask,
}

impl Prepared {
    pub fn new(text: &str, floor: &Floor) -> Prepared {
        let doc = kompress_tokenize::tokenize(text);
        let mask = floor.mask(&doc);
        Prepared { doc, mask }
    }
}

/// What a system chose for one text.
#[derive(Debug, Clone)]
pub struct Choice {
    /// 1 = keep, per token.
    pub keep: Vec<u8>,
    /// Lines inside an error block (never folded in ultra mode).
    pub in_block: Vec<bool>,
    /// Whether the floor's mask applies when rendering (false for the floor-free baselines).
    pub use_floor: bool,
}

impl Choice {
    pub fn kept_fraction(&self) -> f32 {
        if self.keep.is_empty() {
            return 1.0;
        }
        self.keep.iter().filter(|k| **k != 0).count() as f32 / self.keep.len() as f32
    }
}

/// The statistical pruner with its mode and an optional keep ratio.
pub fn stat_system(name: &str, mode: Mode, target_ratio: Option<f32>) -> System {
    let pruner = SharedPruner::new(Box::new(StatPruner::new(StatConfig::default())));
    pruner_system(name, pruner, mode, target_ratio, true)
}

/// Any pruner through the product's gate and rewriter, with or without the floor.
pub fn pruner_system(
    name: &str,
    pruner: SharedPruner,
    mode: Mode,
    target_ratio: Option<f32>,
    use_floor: bool,
) -> System {
    let cfg = CompressionConfig {
        mode,
        target_ratio,
        ..CompressionConfig::default()
    };
    System {
        name: name.to_string(),
        chooser: Chooser::Scored { pruner, use_floor },
        cfg,
    }
}

/// A baseline: its mask is rendered as it is, with no folds and no protected share (those are
/// the product's, not the baseline's).
pub fn simple_system(name: &str, chooser: Chooser) -> System {
    System {
        name: name.to_string(),
        chooser,
        cfg: CompressionConfig {
            fold: false,
            fold_evicted: false,
            protect_share: 1.0,
            ..CompressionConfig::default()
        },
    }
}

fn lines_to_keep(doc: &TokenizedText, lines: &[bool]) -> Vec<u8> {
    let mut keep = vec![0u8; doc.tokens.len()];
    for (li, on) in lines.iter().enumerate() {
        if *on {
            doc.token_range_of_line(li).for_each(|t| keep[t] = 1);
        }
    }
    keep
}

/// splitmix64: a small, seeded, portable generator.
pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn seed_for(id: &str, seed: u64) -> u64 {
    id.bytes().fold(seed ^ 0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    })
}

fn random_lines(doc: &TokenizedText, rate: f32, rng_state: u64) -> Vec<u8> {
    let n = doc.lines.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut s = rng_state;
    for i in (1..n).rev() {
        let j = (splitmix(&mut s) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let budget = (doc.tokens.len() as f64 * f64::from(rate)).ceil() as usize;
    let mut on = vec![false; n];
    let mut used = 0;
    for li in order {
        if used >= budget {
            break;
        }
        on[li] = true;
        used += doc.token_range_of_line(li).len();
    }
    lines_to_keep(doc, &on)
}

impl System {
    /// Decides the keep mask for one prepared text (`id` seeds the random baseline).
    pub fn choose(&mut self, id: &str, p: &Prepared) -> Result<Choice, EvalError> {
        let doc = &p.doc;
        let nlines = doc.lines.len();
        let no_block = vec![false; nlines];
        let choice = match &mut self.chooser {
            Chooser::Identity => Choice {
                keep: vec![1; doc.tokens.len()],
                in_block: no_block,
                use_floor: false,
            },
            Chooser::RandomLines { rate, seed } => {
                let r = rate.for_case(id);
                Choice {
                    keep: random_lines(doc, r, seed_for(id, *seed)),
                    in_block: no_block,
                    use_floor: false,
                }
            }
            Chooser::FloorOnly => {
                let mut keep = lines_to_keep(doc, &p.mask.line_forced);
                for &(a, b) in &p.mask.hit_tokens {
                    keep[a as usize..b as usize].iter_mut().for_each(|k| *k = 1);
                }
                Choice {
                    keep,
                    in_block: no_block,
                    use_floor: true,
                }
            }
            Chooser::TextRank { rate } => {
                let ratio = rate.for_case(id);
                let on = textrank::select_lines(doc, ratio);
                Choice {
                    keep: lines_to_keep(doc, &on),
                    in_block: no_block,
                    use_floor: false,
                }
            }
            Chooser::Scored { pruner, use_floor } => {
                let scores = pruner.scores(doc).map_err(|source| EvalError::Compress {
                    id: id.to_string(),
                    source,
                })?;
                let d = stages::decide(doc, &scores, use_floor.then_some(&p.mask), &self.cfg);
                Choice {
                    keep: d.keep,
                    in_block: d.in_block,
                    use_floor: *use_floor,
                }
            }
        };
        Ok(choice)
    }

    /// Renders a choice with this system's config (texts under `min_bytes` are left alone, as
    /// the product does).
    pub fn render(&self, text: &str, p: &Prepared, c: &Choice) -> String {
        render_choice(text, p, c, &self.cfg)
    }

    pub fn is_identity(&self) -> bool {
        matches!(self.chooser, Chooser::Identity)
    }
}

/// The shared renderer: the product's rewriter over any keep mask.
pub fn render_choice(text: &str, p: &Prepared, c: &Choice, cfg: &CompressionConfig) -> String {
    if text.len() < cfg.min_bytes {
        return text.to_string();
    }
    let empty;
    let mask = if c.use_floor {
        &p.mask
    } else {
        empty = FloorMask {
            line_forced: vec![false; p.doc.lines.len()],
            ..FloorMask::default()
        };
        &empty
    };
    stages::rewrite(&p.doc, &c.keep, mask, &c.in_block, cfg).text
}
