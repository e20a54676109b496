//! Inputs for the benchmarks: the dev-set texts when `../shared/data/dev.jsonl` is there,
//! else a generated CI-log-like corpus of the same size class.

use std::path::Path;

/// All benchmark texts, and where they came from.
pub fn corpus() -> (Vec<String>, &'static str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/dev.jsonl");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let texts = s
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["text"].as_str().map(str::to_string))
            .collect();
        return (texts, "dev set (../shared/data/dev.jsonl)");
    }
    (
        vec![generated_log(4 << 20)],
        "generated CI log (dev set not found)",
    )
}

/// A deterministic CI-log-like text of about `bytes` bytes.
pub fn generated_log(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 256);
    let mut i = 0u64;
    while s.len() < bytes {
        i += 1;
        match i % 17 {
            0 => s.push_str(&format!("[ERROR] /src/main/java/org/acme/Foo{i}.java:[{},{}] cannot find symbol\n", i % 300, i % 40)),
            1..=3 => s.push_str(&format!("\tat org.acme.service.Handler{}.run(Handler.java:{})\n", i % 9, i % 700)),
            4..=9 => s.push_str(&format!("[INFO] Downloading from central: https://repo.maven.apache.org/maven2/org/acme/lib{i}/1.{}/lib-1.{}.pom\n", i % 7, i % 7)),
            _ => s.push_str(&format!("2024-01-0{}T12:00:{:02}.123Z step {i}: compiling module m{} ok\n", 1 + i % 9, i % 60, i % 31)),
        }
    }
    s
}

/// Texts of the repo's corpus (`data/corpus/corpus.jsonl`) with `min..max` bytes, in file order.
pub fn corpus_texts(min: usize, max: usize) -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/corpus/corpus.jsonl");
    let Ok(s) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    s.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let t = v["text"].as_str()?;
            (min..max)
                .contains(&t.len())
                .then(|| (v["id"].as_str().unwrap_or("").to_string(), t.to_string()))
        })
        .collect()
}
