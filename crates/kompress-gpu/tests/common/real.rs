//! Gate inputs derived from the real dev set (`shared/data/dev.jsonl`): one sequence per case,
//! one token per whitespace word, logits from simple features of the word and its line. The
//! point is real lengths and real value distributions (many exact ties), not a good model.

use kompress_core::gate::GateParams;
use kompress_gpu::{FloorMasks, GateBatch, KeepRule, Logits, SeqLayout, SpanInput};

pub struct RealInputs {
    pub tok: Vec<f32>,
    pub span: Vec<f32>,
    pub layout: SeqLayout,
    pub floor: FloorMasks,
}

impl RealInputs {
    pub fn from_dev_jsonl(jsonl: &str) -> RealInputs {
        let (mut tok, mut span, mut offsets, mut masks) =
            (Vec::new(), Vec::new(), vec![0usize], Vec::new());
        for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
            let case: serde_json::Value =
                serde_json::from_str(line).expect("dev.jsonl line is JSON");
            let text = case["text"].as_str().expect("case has a text");
            let mut mask: Vec<u32> = Vec::new();
            let mut i = 0usize;
            for text_line in text.lines() {
                let lower = text_line.to_ascii_lowercase();
                let alarming = ["error", "exception", "fail", "caused by"]
                    .iter()
                    .any(|k| lower.contains(k));
                let frame = text_line.trim_start().starts_with("at ");
                let line_logit = if alarming {
                    3.0
                } else if frame {
                    -1.5
                } else {
                    0.0
                };
                for word in text_line.split_whitespace() {
                    let digits = word.bytes().filter(u8::is_ascii_digit).count() as f32;
                    let t = 1.0 + 0.25 * (word.len().min(40) as f32) - 0.5 * digits.min(6.0)
                        + if frame { 2.0 } else { 0.0 }
                        - if alarming { 3.0 } else { 0.0 };
                    tok.push(t);
                    span.push(line_logit);
                    if alarming || word.contains("0x") {
                        if mask.len() <= i / 32 {
                            mask.resize(i / 32 + 1, 0);
                        }
                        mask[i / 32] |= 1 << (i % 32);
                    }
                    i += 1;
                }
            }
            offsets.push(tok.len());
            masks.push(mask);
        }
        let layout = SeqLayout::packed(&offsets).expect("offsets grow");
        let refs: Vec<&[u32]> = masks.iter().map(Vec::as_slice).collect();
        let floor = FloorMasks::from_sequences(&layout, &refs).expect("one mask per case");
        RealInputs {
            tok,
            span,
            layout,
            floor,
        }
    }

    pub fn batch(&self, rule: KeepRule) -> GateBatch<'_> {
        GateBatch {
            tok: Logits::F32(&self.tok),
            span: SpanInput::Logits(Logits::F32(&self.span)),
            layout: &self.layout,
            floor: &self.floor,
            params: GateParams::default(),
            rule,
        }
    }
}
