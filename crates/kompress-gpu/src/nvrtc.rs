//! Finding NVRTC and compiling the kernel sources to PTX. No GPU is needed for this part.
//!
//! cudarc opens `libnvrtc.so.13` by name through the dynamic loader, which only searches the
//! system folders and the `LD_LIBRARY_PATH` the process started with. The PyPI wheel
//! `nvidia-cuda-nvrtc` (see `kernels/setup_nvrtc.sh`) puts the library in
//! `<venv>/lib/python3.*/site-packages/nvidia/cu13/lib`, so when the loader cannot find it we
//! look in the usual places and load it (and its builtins library) by full path first: the
//! loader then resolves cudarc's by-name open to the copy already loaded (same soname).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cudarc::nvrtc::{CompileOptions, Ptx};

use crate::GpuError;

/// The fused gate kernel (single entry point `gate_fusion`).
pub const GATE_KERNEL_SOURCE: &str = include_str!("../../../kernels/gate_fusion.cu");
pub const GATE_KERNEL_NAME: &str = "gate_fusion";
/// The same math as one kernel per operation (benchmark baseline only).
pub const UNFUSED_KERNEL_SOURCE: &str = include_str!("../../../kernels/gate_unfused.cu");

/// Folder holding `libnvrtc.so.13`, searched before anything else.
pub const NVRTC_DIR_ENV: &str = "KOMPRESS_NVRTC_DIR";

const NVRTC_SONAME: &str = "libnvrtc.so.13";

/// Where NVRTC was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NvrtcSource {
    /// The dynamic loader found it by name (system folder or `LD_LIBRARY_PATH`).
    LoaderPath,
    /// Loaded by full path from this folder.
    Folder(PathBuf),
}

/// Makes NVRTC loadable by cudarc, searching `hints` (folders) after the environment variable
/// [`NVRTC_DIR_ENV`] and before the virtual environments around the current folder and the
/// executable. The first success is remembered for the life of the process.
pub fn ensure_nvrtc(hints: &[PathBuf]) -> Result<NvrtcSource, GpuError> {
    static FOUND: OnceLock<NvrtcSource> = OnceLock::new();
    static SEARCH: Mutex<()> = Mutex::new(());
    if let Some(found) = FOUND.get() {
        return Ok(found.clone());
    }
    let _guard = SEARCH.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = FOUND.get() {
        return Ok(found.clone());
    }
    // SAFETY: loading NVRTC runs no initialisation code with preconditions of ours.
    let found = if unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        NvrtcSource::LoaderPath
    } else {
        let dirs = candidate_dirs(hints);
        let dir = dirs
            .iter()
            .find(|d| d.join(NVRTC_SONAME).is_file())
            .ok_or_else(|| GpuError::NvrtcNotFound {
                searched: dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        preload(dir)?;
        // SAFETY: as above.
        if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
            return Err(GpuError::NvrtcNotFound {
                searched: format!(
                    "{} (loaded by path, still not found by name)",
                    dir.display()
                ),
            });
        }
        NvrtcSource::Folder(dir.clone())
    };
    tracing::debug!(?found, "NVRTC available");
    Ok(FOUND.get_or_init(|| found).clone())
}

/// Loads the builtins library and NVRTC from `dir` and keeps them loaded for good.
fn preload(dir: &Path) -> Result<(), GpuError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("libnvrtc-builtins.so.13"))
                })
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths.push(dir.join(NVRTC_SONAME));
    for path in paths {
        // SAFETY: NVRTC's libraries have no initialisers that depend on our state.
        let lib =
            unsafe { libloading::Library::new(&path) }.map_err(|source| GpuError::LoadLibrary {
                path: path.clone(),
                source,
            })?;
        // Kept for the life of the process: cudarc's own handle resolves to this copy.
        std::mem::forget(lib);
    }
    Ok(())
}

/// The folders searched for `libnvrtc.so.13`, in order.
pub fn candidate_dirs(hints: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os(NVRTC_DIR_ENV) {
        dirs.push(PathBuf::from(d));
    }
    dirs.extend(hints.iter().cloned());
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        dirs.extend(wheel_lib_dirs(Path::new(&venv)));
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        roots.push(cwd);
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        roots.push(exe_dir);
    }
    for root in roots {
        for dir in root.ancestors() {
            dirs.extend(wheel_lib_dirs(&dir.join(".venv")));
        }
    }
    for cuda in [
        std::env::var_os("CUDA_PATH").map(PathBuf::from),
        Some("/usr/local/cuda".into()),
    ]
    .into_iter()
    .flatten()
    {
        dirs.push(cuda.join("lib64"));
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// `<venv>/lib/python3.*/site-packages/nvidia/cu13/lib` for every Python in the venv.
fn wheel_lib_dirs(venv: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(venv.join("lib")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("python3"))
        })
        .map(|p| p.join("site-packages/nvidia/cu13/lib"))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// The NVRTC options that make the kernel's float math bit-identical to the CPU twin: no
/// contraction into FMA, no flush of subnormals, IEEE division, and no fast math.
pub fn exact_options(arch: Option<&str>, name: &str) -> CompileOptions {
    CompileOptions {
        ftz: Some(false),
        prec_sqrt: Some(true),
        prec_div: Some(true),
        fmad: Some(false),
        use_fast_math: None,
        options: arch
            .map(|a| vec![format!("--gpu-architecture={a}")])
            .unwrap_or_default(),
        name: Some(name.to_string()),
        ..Default::default()
    }
}

/// Compiles a kernel source to PTX with [`exact_options`]. `arch` such as `"compute_90"`;
/// `None` takes NVRTC's default. Call [`ensure_nvrtc`] first.
pub fn compile_ptx(
    source: &str,
    kernel: &'static str,
    arch: Option<&str>,
) -> Result<Ptx, GpuError> {
    ensure_nvrtc(&[])?;
    cudarc::nvrtc::compile_ptx_with_opts(source, exact_options(arch, kernel)).map_err(|source| {
        let log = match &source {
            cudarc::nvrtc::CompileError::CompileError { log, .. } => {
                log.to_string_lossy().into_owned()
            }
            other => format!("{other:?}"),
        };
        GpuError::Compile {
            kernel,
            log,
            source,
        }
    })
}

/// The fused gate kernel as PTX.
pub fn compile_gate_ptx(arch: Option<&str>) -> Result<Ptx, GpuError> {
    compile_ptx(GATE_KERNEL_SOURCE, "gate_fusion.cu", arch)
}
