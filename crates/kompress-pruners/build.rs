//! With the `learned` feature, embeds an rpath to libtorch's `lib` folder so that this crate's
//! tests run without `LD_LIBRARY_PATH` (`LIBTORCH` comes from `.cargo/config.toml`). Without
//! it nothing here links libtorch.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if std::env::var_os("CARGO_FEATURE_LEARNED").is_none() {
        return;
    }
    if let Ok(dir) = std::env::var("LIBTORCH") {
        let lib = PathBuf::from(dir).join("lib");
        let lib = lib.canonicalize().unwrap_or(lib);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
}
