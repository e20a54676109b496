//! Embeds an rpath to libtorch's `lib` folder (the learned pruner, cargo feature `learned`, links libtorch) so that
//! `kompress` runs without `LD_LIBRARY_PATH`. `LIBTORCH` comes from `.cargo/config.toml`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    // a build without the learned pruner links no libtorch
    if std::env::var_os("CARGO_FEATURE_LEARNED").is_none() {
        return;
    }
    if let Ok(dir) = std::env::var("LIBTORCH") {
        let lib = PathBuf::from(dir).join("lib");
        let lib = lib.canonicalize().unwrap_or(lib);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
}
