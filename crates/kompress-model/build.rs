//! Embeds an rpath to libtorch's `lib` folder so binaries and tests run without
//! `LD_LIBRARY_PATH`. torch-sys finds libtorch through `LIBTORCH` (see `.cargo/config.toml`).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH") {
        let lib = PathBuf::from(dir).join("lib");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
}
