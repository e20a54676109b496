//! On every machine: the kernel sources compile to PTX with NVRTC (no GPU needed), with the
//! float options that keep the kernel bit-identical to the CPU twin.

mod common;

use kompress_gpu::nvrtc::{compile_gate_ptx, compile_ptx, exact_options, UNFUSED_KERNEL_SOURCE};

#[test]
fn gate_kernel_compiles_to_ptx_with_exact_float_math() {
    if common::nvrtc_or_skip("gate_kernel_compiles_to_ptx_with_exact_float_math").is_none() {
        return;
    }
    // NVRTC's default architecture, plus the data-centre GPUs the benchmark targets.
    for arch in [None, Some("compute_80"), Some("compute_90")] {
        let ptx = compile_gate_ptx(arch).unwrap_or_else(|e| panic!("{arch:?}: {e}"));
        let text = ptx.to_src();
        assert!(
            text.contains(".entry gate_fusion("),
            "{arch:?}: entry point missing"
        );
        assert!(
            text.contains("div.rn.f32"),
            "{arch:?}: IEEE division expected"
        );
        assert!(
            text.contains("fma.rn.f32"),
            "{arch:?}: explicit fma expected"
        );
        for forbidden in [
            "div.approx",
            "div.full",
            ".ftz.",
            "ex2.approx",
            "rcp.approx",
        ] {
            assert!(
                !text.contains(forbidden),
                "{arch:?}: PTX contains {forbidden}"
            );
        }
    }
}

#[test]
fn benchmark_baseline_kernels_compile_to_ptx() {
    if common::nvrtc_or_skip("benchmark_baseline_kernels_compile_to_ptx").is_none() {
        return;
    }
    let ptx = compile_ptx(UNFUSED_KERNEL_SOURCE, "gate_unfused.cu", None).expect("compiles");
    let text = ptx.to_src();
    for entry in [
        "unfused_sigmoid",
        "unfused_scale",
        "unfused_sub",
        "unfused_less",
        "unfused_unpack_bits",
        "unfused_or",
    ] {
        assert!(
            text.contains(&format!(".entry {entry}(")),
            "{entry} missing"
        );
    }
}

#[test]
fn compile_options_forbid_contraction_and_flushing() {
    let opts = exact_options(Some("compute_90"), "k.cu");
    assert_eq!(opts.fmad, Some(false));
    assert_eq!(opts.ftz, Some(false));
    assert_eq!(opts.prec_div, Some(true));
    assert_ne!(opts.use_fast_math, Some(true));
    assert_eq!(opts.options, ["--gpu-architecture=compute_90"]);
}

#[test]
fn a_broken_kernel_reports_the_compiler_log() {
    if common::nvrtc_or_skip("a_broken_kernel_reports_the_compiler_log").is_none() {
        return;
    }
    let err = compile_ptx(
        "extern \"C\" __global__ void k() { undeclared = 1; }",
        "broken.cu",
        None,
    )
    .expect_err("must not compile");
    let msg = err.to_string();
    assert!(msg.contains("undeclared"), "{msg}");
}
