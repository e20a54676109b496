//! `Pipeline::explain` reports the same result `compress` produces, with every role's decision.

use kompress_core::{CompressionConfig, Format};
use kompress_pipeline::{CompressRequest, Pipeline, PipelineSettings};

fn stack_trace() -> String {
    let mut s = String::from(
        "--- com.acme.billing.InvoiceTest::roundsHalfEven\njava.lang.IllegalStateException: ledger 9fbd47ba closed\n\tat com.acme.billing.Ledger.post(Ledger.java:212)\n\tat com.acme.billing.InvoiceTest.roundsHalfEven(InvoiceTest.java:57)\n",
    );
    let frames = [
        "sun.reflect.NativeMethodAccessorImpl.invoke(NativeMethodAccessorImpl.java:62)",
        "sun.reflect.DelegatingMethodAccessorImpl.invoke(DelegatingMethodAccessorImpl.java:43)",
        "java.lang.reflect.Method.invoke(Method.java:498)",
        "junit.framework.TestCase.runTest(TestCase.java:176)",
        "junit.framework.TestCase.runBare(TestCase.java:141)",
        "junit.framework.TestResult$1.protect(TestResult.java:122)",
        "junit.framework.TestResult.runProtected(TestResult.java:142)",
        "junit.framework.TestResult.run(TestResult.java:125)",
        "junit.framework.TestSuite.runTest(TestSuite.java:255)",
        "org.apache.tools.ant.taskdefs.optional.junit.JUnitTestRunner.run(JUnitTestRunner.java:520)",
    ];
    for round in 0..3 {
        for f in frames {
            s.push_str(&format!("\tat {f}\n"));
        }
        s.push_str(&format!(
            "Caused by: java.io.IOException: retry {round} failed\n"
        ));
    }
    s
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn explain_output_matches_compress_and_names_every_floor_hit() {
    let rt = runtime();
    let pipeline = Pipeline::start(PipelineSettings {
        workers: 1,
        ..Default::default()
    })
    .expect("pipeline starts");
    let text = stack_trace();
    let cfg = CompressionConfig {
        min_bytes: 0,
        ..Default::default()
    };
    let ex = rt.block_on(pipeline.explain(&text, &cfg)).expect("explain");
    let full = rt
        .block_on(pipeline.compress(CompressRequest {
            transcript_id: "t".into(),
            format: Format::Text,
            input: text.clone(),
            config: cfg.clone(),
        }))
        .expect("compress");
    assert_eq!(ex.rewritten.text, full.output);
    assert!(ex.rewritten.text.len() < text.len(), "the trace compresses");
    let n = ex.doc.tokens.len();
    assert_eq!(ex.keep.len(), n);
    assert_eq!(ex.model_keep.len(), n);
    assert!(!ex.mask.hits.is_empty(), "the floor finds critical spans");
    assert_eq!(ex.categories.len(), ex.mask.hits.len());
    assert!(ex.categories.iter().all(|c| !c.name.is_empty()));
    // the floor only ever adds: whatever the model kept on its own is still kept
    assert!(ex
        .model_keep
        .iter()
        .zip(&ex.keep)
        .all(|(m, k)| *m == 0 || *k == 1));
    // prune and floor scan run at once (as in compress); the other stages one after another
    let m = ex.micros;
    assert!(m.total >= m.tokenize + m.prune.max(m.floor) + m.gate + m.rewrite);
}

#[test]
fn explain_rejects_empty_text_with_a_typed_error() {
    let rt = runtime();
    let pipeline = Pipeline::start(PipelineSettings {
        workers: 1,
        ..Default::default()
    })
    .expect("pipeline starts");
    let err = rt
        .block_on(pipeline.explain("", &CompressionConfig::default()))
        .expect_err("empty input");
    assert!(err.to_string().to_lowercase().contains("empty"), "{err}");
}
