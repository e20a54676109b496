"""Shared helpers for the corpus builder: running commands, cropping, labels, checks."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORK = Path(os.environ.get("KCORPUS_WORK", "/tmp/kcorpus"))  # scratch space for generated inputs
MAX_BYTES = 48 * 1024
MIN_BYTES = 200
HOME = os.path.expanduser("~")
CARGO_SRC = next(iter(sorted(Path(HOME, ".cargo/registry/src").glob("*"))), None)
# texts naming the workplace's own machinery are left out of the corpus
MACHINERY_WORDS = ("sandboxing", "sandbox-egress", "egress-ca", "process_api", "/opt/wheels", "line_io_tools", "firecracker")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")

# A plain login-like environment: the tools run with this, not with the environment of the
# process that started the builder (keeps sandbox-specific variables out of the texts).
BASE_ENV = {
    "HOME": HOME,
    "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
    "LANG": "C.UTF-8",
    "TERM": "xterm-256color",
    "USER": "root",
    "SHELL": "/bin/bash",
}
# certificate settings the package clients (pip, npm, mvn) need to reach their registries
for _k in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS",
           "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "PYENV_ROOT"):
    if _k in os.environ:
        BASE_ENV[_k] = os.environ[_k]


def log(msg: str) -> None:
    print(f"[corpus] {msg}", file=sys.stderr, flush=True)


def have(tool: str) -> bool:
    return shutil.which(tool, path=BASE_ENV["PATH"]) is not None


def run(cmd: str, cwd=None, env=None, timeout=300, input_text=None) -> tuple[str, int]:
    """Runs a shell command line; returns (stdout and stderr interleaved as a terminal shows
    them, exit code). Output is decoded as UTF-8 (undecodable bytes replaced)."""
    e = dict(BASE_ENV)
    if env:
        e.update(env)
    p = subprocess.Popen(
        ["bash", "-c", cmd], cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL, start_new_session=True,
    )
    try:
        out, _ = p.communicate(input_text.encode() if input_text is not None else None, timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        log(f"timeout after {timeout}s, killed: {cmd[:120]}")
        try:
            os.killpg(p.pid, 9)
        except OSError:
            pass
        out, _ = p.communicate()
        rc = 124
    return out.decode("utf-8", errors="replace"), rc


def crop(text: str, max_bytes: int = MAX_BYTES) -> tuple[str, str | None]:
    """Crops at a line boundary to at most max_bytes UTF-8 bytes."""
    b = text.encode()
    if len(b) <= max_bytes:
        return text, None
    cut = b[:max_bytes]
    nl = cut.rfind(b"\n")
    if nl > 0:
        cut = cut[: nl + 1]
    out = cut.decode("utf-8", errors="ignore")
    nlines = out.count("\n")
    return out, f"cropped at a line boundary to the first {nlines} lines ({len(out.encode())} of {len(b)} bytes)"


def split_lines(text: str) -> list[str]:
    parts = _LINE_SPLIT.split(text) if text else []
    if parts and parts[-1] == "":
        parts.pop()
    return parts


def line_offsets(text: str):
    """Yields (offset, line) for each \\n-terminated line (without the terminator)."""
    pos = 0
    for ln in text.split("\n"):
        yield pos, ln
        pos += len(ln) + 1


def trivial(s: str, allow_digits2: bool = False) -> bool:
    s2 = s.strip()
    if not s2 or s2 != s:
        return True
    if len(s) >= 3:
        return False
    return not (allow_digits2 and len(s) == 2 and s.isdigit())


@dataclass
class Case:
    kind: str
    cmd: str
    text: str
    labeler: str
    licence: str
    spans: list = field(default_factory=list)  # [(offset, string)]
    lines: list = field(default_factory=list)  # [line string] in text order
    meta: dict = field(default_factory=dict)
    allow_digits2: bool = False

    def span(self, off: int, s: str) -> None:
        self.spans.append((off, s))


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def ansi_free(spans):
    """Splits a span at ANSI escape codes: colour is not content (a compressor may drop it, as
    the dev set's CI logs are judged), so each colour-free piece is a label of its own."""
    for off, s in spans:
        pos = 0
        for m in _ANSI.finditer(s):
            if m.start() > pos:
                yield off + pos, s[pos:m.start()]
            pos = m.end()
        if pos < len(s):
            yield off + pos, s[pos:]


def finalize(case: Case) -> dict | None:
    """Checks and orders the labels; returns the JSON object or None (with a message)."""
    t = case.text
    nbytes = len(t.encode())
    if nbytes < MIN_BYTES or nbytes > MAX_BYTES:
        log(f"skip {case.kind} `{case.cmd[:80]}`: {nbytes} bytes out of range")
        return None
    low = t.lower()
    bad = [w for w in MACHINERY_WORDS if w in low]
    if bad:
        log(f"skip {case.kind} `{case.cmd[:80]}`: mentions the sandbox machinery ({bad[0]})")
        return None
    good = []
    seen = set()
    for off, s in ansi_free(case.spans):
        if trivial(s, case.allow_digits2):
            continue
        assert t[off:off + len(s)] == s, (case.kind, case.cmd, off, s)
        if (off, s) in seen:
            continue
        seen.add((off, s))
        good.append((off, s))
    good.sort(key=lambda x: (x[0], -len(x[1])))
    # a span inside (or overlapping) an earlier, longer one is dropped: the spans then occur
    # in order without overlap, so the original text scores 1.0 on kscore's ordered_keep too
    kept, end = [], -1
    for off, s in good:
        if off >= end:
            kept.append((off, s))
            end = off + len(s)
    spans = [s for _, s in kept]
    counts: dict = {}
    for s in spans:
        counts[s] = counts.get(s, 0) + 1
    for s, k in counts.items():
        assert t.count(s) >= k, (case.kind, case.cmd, s, k, t.count(s))
    lines = [ln for ln in case.lines if ln.strip()]
    if lines:
        have_lines: dict = {}
        for ln in split_lines(t):
            have_lines[ln] = have_lines.get(ln, 0) + 1
        need: dict = {}
        for ln in lines:
            need[ln] = need.get(ln, 0) + 1
        for ln, k in need.items():
            assert have_lines.get(ln, 0) >= k, (case.kind, case.cmd, ln)
    if not spans and not lines:
        log(f"skip {case.kind} `{case.cmd[:80]}`: no labels")
        return None
    meta = {"cmd": case.cmd, "kind": case.kind, "labeler": case.labeler, "licence": case.licence,
            "bytes": nbytes}
    meta.update(case.meta)
    obj = {"id": None, "source": case.kind, "text": t, "critical_spans": spans}
    if lines:
        obj["critical_lines"] = lines
    obj["meta"] = meta
    return obj


def q(s) -> str:
    return shlex.quote(str(s))


# ---------------------------------------------------------------------------------------------
# licences of content origins
# ---------------------------------------------------------------------------------------------

_pkg_cache: dict = {}


def crate_licence(path) -> str:
    """Licence of a cargo registry crate from its Cargo.toml (path inside the crate dir)."""
    p = Path(path)
    if CARGO_SRC is None:
        return "unknown"
    try:
        rel = p.resolve().relative_to(CARGO_SRC)
    except ValueError:
        return "unknown"
    crate = rel.parts[0]
    if crate in _pkg_cache:
        return _pkg_cache[crate]
    lic = "unknown (no license field in Cargo.toml)"
    try:
        for ln in (CARGO_SRC / crate / "Cargo.toml").read_text().splitlines():
            m = re.match(r'\s*license\s*=\s*"([^"]+)"', ln)
            if m:
                lic = m.group(1)
                break
            m = re.match(r'\s*license-file\s*=\s*"([^"]+)"', ln)
            if m:
                lic = f"see {m.group(1)} in the crate"
    except OSError:
        pass
    lic = f"crate {crate} (crates.io): {lic}"
    _pkg_cache[crate] = lic
    return lic


def dpkg_licence(path) -> str:
    """Debian package owning a system path, with a pointer to its copyright file."""
    key = ("dpkg", str(path))
    if key in _pkg_cache:
        return _pkg_cache[key]
    out, rc = run(f"dpkg -S {q(path)} 2>/dev/null | head -1")
    if rc == 0 and ":" in out:
        pkg = out.split(":")[0].split(",")[0].strip()
        lic = f"Debian package {pkg}; see /usr/share/doc/{pkg}/copyright"
    else:
        lic = "file of this machine (not owned by a Debian package)"
    _pkg_cache[key] = lic
    return lic


def site_packages() -> Path:
    """The machine's main Python site-packages (also when the builder runs from its venv)."""
    import sysconfig
    return Path(sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["purelib"])


def pypi_licence(path) -> str:
    """Licence of the pip-installed distribution owning a site-packages path (from metadata)."""
    p = Path(path)
    if not p.is_absolute():
        return "unknown"
    sp = None
    for parent in p.parents:
        if parent.name == "site-packages":
            sp = parent
            break
    if sp is None:
        return "unknown"
    top = p.relative_to(sp).parts[0]
    key = ("pypi", str(sp), top)
    if key in _pkg_cache:
        return _pkg_cache[key]
    lic = f"site-packages/{top}: licence unknown"
    import importlib.metadata as md
    for dist in md.distributions(path=[str(sp)]):
        try:
            files = dist.files or []
        except Exception:
            files = []
        tops = {f.parts[0] for f in files if f.parts}
        if top in tops or top.removesuffix(".py") in tops:
            m = dist.metadata
            txt = m.get("License-Expression") or ""
            if not txt:
                raw = (m.get("License") or "").strip()
                if raw and len(raw) < 80 and "\n" not in raw:
                    txt = raw
            cls = [c.split("::")[-1].strip() for c in (m.get_all("Classifier") or [])
                   if c.startswith("License ::")]
            if not txt and cls:
                txt = "; ".join(cls)
            lic = f"PyPI {m['Name']} {m['Version']}: {txt or 'licence not stated in metadata'}"
            break
    _pkg_cache[key] = lic
    return lic


def licence_for(path) -> str:
    s = str(path)
    if CARGO_SRC and s.startswith(str(CARGO_SRC)):
        return crate_licence(path)
    if "site-packages" in s:
        return pypi_licence(path)
    if s.startswith(str(REPO)):
        return "kompress-ultra repository (this project)"
    if "node_modules" in s:
        return npm_licence(path)
    return dpkg_licence(path)


def npm_licence(path) -> str:
    import json
    p = Path(path)
    for parent in [p] + list(p.parents):
        pj = parent / "package.json"
        if pj.is_file() and parent.parent.name in ("node_modules",) or (
                pj.is_file() and parent.parent.parent.name == "node_modules"):
            try:
                d = json.loads(pj.read_text())
                return f"npm {d.get('name')} {d.get('version')}: {d.get('license', 'licence not stated')}"
            except Exception:
                break
    return "npm package: licence unknown"
