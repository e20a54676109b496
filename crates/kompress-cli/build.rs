//! Embeds an rpath to libtorch's `lib` folder (the learned pruner links libtorch) so that
//! `kompress` runs without `LD_LIBRARY_PATH`. `LIBTORCH` comes from `.cargo/config.toml`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH") {
        let lib = PathBuf::from(dir).join("lib");
        let lib = lib.canonicalize().unwrap_or(lib);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
}
