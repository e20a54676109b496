//! Embeds an rpath to libtorch's `lib` folder so binaries and tests run without
//! `LD_LIBRARY_PATH`, and records that folder for [`kompress_model::device`] (which loads the
//! CUDA part of libtorch at run time when it can). torch-sys finds libtorch through `LIBTORCH`
//! (see `.cargo/config.toml`).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH") {
        let lib = PathBuf::from(dir).join("lib");
        let lib = lib.canonicalize().unwrap_or(lib);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
        println!("cargo:rustc-env=KOMPRESS_TORCH_LIB={}", lib.display());
    }
}
