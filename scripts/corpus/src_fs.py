"""File-system listings: ls_la, ls_r, find, du, tree, grep."""

from __future__ import annotations

import re
from pathlib import Path

from common import CARGO_SRC, REPO, Case, crop, have, licence_for, line_offsets, log, q, run, site_packages

SP = site_packages()


def crates(step: int, start: int = 0, n: int = 99):
    if CARGO_SRC is None:
        return []
    all_ = sorted(p for p in CARGO_SRC.iterdir() if p.is_dir())
    return all_[start::step][:n]


def pkgs(names):
    return [SP / n for n in names if (SP / n).exists()]


def _mk(kind, cmd, cwd, labeler, lic, parse, meta=None):
    out, rc = run(cmd, cwd=cwd)
    text, c = crop(out)
    case = Case(kind, cmd, text, labeler, lic, meta=dict(meta or {}))
    if c:
        case.meta["crop"] = c
    if rc:
        case.meta["exit_code"] = rc
    parse(case)
    return case


# ---------------------------------------------------------------- ls -la
_LS = re.compile(
    r"^[-dlcbps][rwxsStT-]{9}[.+@]?\s+\d+\s+\S+\s+\S+\s+(?:\d+,\s*\d+|[\d.,]+[KMGTP]?)\s+"
    r"(?:[A-Z][a-z]{2}\s+\d{1,2}\s+(?:\d{1,2}:\d{2}|\d{4})|\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s+[+-]\d{4})?)\s"
)


def parse_ls_l(case: Case) -> None:
    for off, ln in line_offsets(case.text):
        m = _LS.match(ln)
        if not m:
            continue
        name = ln[m.end():]
        if ln[0] == "l" and " -> " in name:
            name = name.split(" -> ")[0]
        if name not in (".", ".."):
            case.span(off + m.end(), name)


def ls_la():
    dirs = ["/usr/bin", "/usr/lib/x86_64-linux-gnu", "/etc", "/etc/ssh", "/usr/include",
            "/usr/include/linux", "/usr/share/doc", "/var/log", "/usr/share/perl5", "/usr/lib/jvm",
            "/usr/share/zoneinfo/Europe", "/etc/alternatives", "/usr/lib/postgresql/15/bin",
            str(REPO), str(REPO / "crates"), str(REPO / "deploy/kafka/libs"), "/etc/nginx",
            "/usr/share/java", "/usr/lib/python3/dist-packages", "/root/.cargo/bin"]
    dirs += [str(p) for p in pkgs(["pip", "requests", "yaml", "jinja2", "urllib3/contrib", "click",
                                    "pydantic", "werkzeug", "sympy", "attr", "idna"])]
    dirs += [str(p) for p in crates(23)]
    dirs += [str(p / "src") for p in crates(29, 7) if (p / "src").is_dir()]
    flags = ["-la", "-la", "-lah", "-lat", "-laS", "-la --time-style=long-iso"]
    out = []
    for i, d in enumerate(dirs):
        if not Path(d).is_dir():
            log(f"ls_la: no {d}")
            continue
        fl = flags[i % len(flags)]
        out.append(_mk("ls_la", f"ls {fl} {d}", None, "ls-l entry names", _lic_dir(d), parse_ls_l))
    return out


def _lic_dir(d):
    d = str(d)
    if (CARGO_SRC and d.startswith(str(CARGO_SRC))) or "site-packages" in d or d.startswith(str(REPO)):
        if d == str(CARGO_SRC):
            return "listing of this machine's cargo registry (crate names only)"
        return licence_for(d)
    return "listing of this machine (names of files from Debian packages and local installs)"


# ---------------------------------------------------------------- ls -R
def parse_ls_r(case: Case) -> None:
    t = case.text
    lines = list(line_offsets(t))
    for i, (off, ln) in enumerate(lines):
        if not ln:
            continue
        if ln.endswith(":") and (i == 0 or lines[i - 1][1] == ""):
            case.span(off, ln[:-1])
        else:
            case.span(off, ln)


def ls_r():
    trees = [p for p in crates(17, 3)][:14]
    trees += pkgs(["click", "idna", "yaml", "certifi", "dotenv", "jmespath", "pyasn1", "sniffio",
                   "attrs", "iniconfig", "pluggy", "markupsafe"])
    trees += [Path("/etc/ssh"), Path("/usr/share/zoneinfo/America"), REPO / "deploy", REPO / "scripts",
              Path("/etc/nginx"), Path("/usr/share/postgresql/15/tsearch_data")]
    out = []
    for i, d in enumerate(trees):
        if not d.is_dir():
            continue
        cmd = f"ls -R {d}" if i % 4 else f"cd {d.parent} && ls -R {d.name}"
        out.append(_mk("ls_r", cmd, None, "ls -R entry names and dir: headers", _lic_dir(d), parse_ls_r))
    return out


# ---------------------------------------------------------------- find
def parse_lines_as_paths(case: Case) -> None:
    for off, ln in line_offsets(case.text):
        if ln and not ln.startswith(("find: ", "du: ")):
            case.span(off, ln)


def find():
    cs = crates(11, 5)
    specs = [
        (str(SP / "pip"), "-name '*.py'"), (str(SP / "botocore"), "-name '*.json' -size +100k"),
        (str(SP / "sympy"), "-type d -name 'tests'"), ("/usr/include", "-name '*.h' -path '*net*'"),
        ("/etc", "-name '*.conf'"), ("/usr/share/doc", "-maxdepth 1 -type d -name 'lib*'"),
        (str(REPO), "-name Cargo.toml -not -path '*/target/*'"), ("/usr/lib/x86_64-linux-gnu", "-maxdepth 1 -type l -name 'libss*'"),
        (str(SP / "pygments"), "-name '*.py' -size +40k"), ("/usr/lib/jvm", "-name '*.so'"),
        (str(SP / "IPython"), "-name 'test_*.py'"), ("/usr/share/zoneinfo", "-maxdepth 1 -type f"),
        (str(SP / "networkx"), "-path '*algorithms*' -name '*.py' -newer " + str(SP / "networkx/__init__.py")),
        ("/usr/lib/python3", "-maxdepth 2"), (str(REPO / "crates"), "-name '*.rs' -not -path '*/target/*'"),
    ]
    specs += [(str(c), "-type f") for c in cs[:6]]
    specs += [(str(c), "-name '*.rs' -size +8k") for c in cs[6:12]]
    out = []
    for i, (d, expr) in enumerate(specs):
        if not Path(d).is_dir():
            continue
        if i % 5 == 3:
            cmd = f"cd {q(d)} && find . {expr}"
        else:
            cmd = f"find {d} {expr}"
        out.append(_mk("find", cmd, None, "every output path", _lic_dir(d), parse_lines_as_paths))
    return out


# ---------------------------------------------------------------- du
def parse_du(case: Case) -> None:
    for off, ln in line_offsets(case.text):
        if "\t" in ln:
            i = ln.index("\t") + 1
            case.span(off + i, ln[i:])


def du():
    specs = []
    for d in [SP / "botocore", SP / "sympy", SP / "pip", Path("/usr/include"), Path("/usr/share/doc"),
              SP / "IPython", Path("/usr/lib/jvm"), SP / "networkx", SP / "moto"]:
        specs.append(f"du -ah {d} | sort -h | tail -200")
    for d in [Path("/usr/lib/x86_64-linux-gnu"), SP / "pydantic", REPO / "deploy", Path("/etc"),
              Path("/usr/share"), SP / "cryptography"]:
        specs.append(f"du -h --max-depth=2 {d}")
    for c in crates(37, 11)[:6]:
        specs.append(f"du -ah {c} | sort -h | tail -200" if c.name < "m" else f"du -h --max-depth=2 {c}")
    specs.append(f"cd {SP} && du -sh * | sort -h | tail -60")
    out = []
    for cmd in specs:
        d = cmd.split()[3] if cmd.startswith("du -h --") else cmd.split()[1 if cmd.startswith("cd") else 2]
        out.append(_mk("du", cmd, None, "every path", _lic_dir(d), parse_du))
    return out


# ---------------------------------------------------------------- tree
_TREE_PREFIX = re.compile(r"^(?:(?:│|\|)[\u00a0 ]{3}|[\u00a0 ]{4})*(?:├── |└── |\|-- |`-- )")
_TREE_INFO = re.compile(r"^\[[^\]]*\]\s+")


def parse_tree(case: Case) -> None:
    lines = list(line_offsets(case.text))
    for i, (off, ln) in enumerate(lines):
        if not ln:
            continue
        m = _TREE_PREFIX.match(ln)
        if not m:
            if i == 0:  # the root argument
                case.span(off, ln)
            continue
        j = m.end()
        mi = _TREE_INFO.match(ln[j:])
        if mi:
            j += mi.end()
        name = ln[j:]
        if " -> " in name:
            name = name.split(" -> ")[0]
        case.span(off + j, name)


def tree():
    if not have("tree"):
        log("tree: `tree` is not installed (apt-get install tree); skipped")
        return []
    specs = []
    for c in crates(19, 2)[:9]:
        specs.append(f"tree {c}")
    for p in pkgs(["click", "dotenv", "jmespath", "certifi", "charset_normalizer", "rsa"]):
        specs.append(f"tree -h {p}")
    specs += [f"tree -L 2 {SP / 'botocore'}", f"tree -d -L 3 {SP / 'sympy'}", f"tree -a {REPO / 'deploy'}",
              f"tree -L 2 /etc/nginx", f"tree -P '*.py' --prune {SP / 'pydantic'}", f"tree -L 1 /usr/lib/jvm",
              f"cd {REPO} && tree -L 2 crates", f"tree -s {SP / 'idna'}"]
    out = []
    for cmd in specs:
        d = cmd.split()[-1] if not cmd.startswith("cd") else str(REPO)
        if not cmd.startswith("cd") and not Path(d).exists():
            continue
        out.append(_mk("tree", cmd, None, "tree entry names", _lic_dir(d), parse_tree))
    return out


# ---------------------------------------------------------------- grep / rg
_GREP = re.compile(r"^([^\n:]+:\d+)[:]")


def parse_grep(case: Case) -> None:
    for off, ln in line_offsets(case.text):
        m = _GREP.match(ln)
        if m:
            case.span(off, m.group(1))


def grep():
    specs = [
        ("grep", "TODO", SP / "pip/_internal"), ("grep", "raise ValueError", SP / "requests"),
        ("grep", "def __init__", SP / "click"), ("grep", "#include <linux/", Path("/usr/include/linux/netfilter")),
        ("grep", "unsafe fn", CARGO_SRC / "memchr-2.8.3" if CARGO_SRC else None),
        ("grep", "deprecated", SP / "urllib3"), ("grep", "EXPORT", Path("/usr/include/x86_64-linux-gnu/sys")),
        ("grep", "panic!", CARGO_SRC / "serde_json-1.0.154/src" if CARGO_SRC else None),
        ("grep", "import re$", SP / "docutils"), ("grep", "server_name", Path("/etc/nginx")),
        ("grep", "static inline", Path("/usr/include/x86_64-linux-gnu/bits")),
        ("grep", "cargo test", REPO / "docs"), ("grep", "Copyright", SP / "pyasn1"),
    ]
    rg = [
        ("rg", "fn new\\(", CARGO_SRC / "tokio-1.54.1/src/sync" if CARGO_SRC else None),
        ("rg", "async def", SP / "trio"), ("rg", "impl.*Display for", CARGO_SRC / "clap_builder-4.6.7/src" if CARGO_SRC else None),
        ("rg", "logger\\.(warning|error)", SP / "botocore"), ("rg", "@pytest.fixture", SP / "_pytest"),
        ("rg", "#\\[inline\\]", CARGO_SRC / "regex-automata-0.4.19/src/util" if CARGO_SRC else None),
        ("rg", "KafkaException", REPO / "crates"), ("rg", "unwrap\\(\\)", CARGO_SRC / "rayon-core-1.13.0/src" if CARGO_SRC else None),
        ("rg", "class .*Error\\(", SP / "botocore"), ("rg", "SELECT", REPO / "crates"),
        ("rg", "errno", Path("/usr/include/asm-generic")), ("rg", "TODO|FIXME", SP / "sympy/core"),
    ]
    out = []
    for i, (tool, pat, d) in enumerate(specs + rg):
        if d is None or not Path(d).exists():
            continue
        if tool == "rg":
            if not have("rg"):
                continue
            cmd = f"rg -n --sort path {q(pat)} {d}" if i % 2 else f"cd {d} && rg -n -j1 {q(pat)}"
        else:
            extra = "--include='*.py' " if i % 3 == 1 and "site-packages" in str(d) else ""
            cmd = f"grep -rn {extra}{q(pat)} {d}" if i % 4 else f"cd {d} && grep -rn {q(pat)} ."
        out.append(_mk("grep", cmd, None, "path:NUM prefix of every match line", _lic_dir(d), parse_grep))
    if not have("rg"):
        log("grep: ripgrep (rg) not installed; only grep cases")
    return out


SOURCES = {"ls_la": ls_la, "ls_r": ls_r, "find": find, "du": du, "tree": tree, "grep": grep}
