"""`source`: cat / sed -n 'A,Bp' of real source files, labelled with the identifiers they
define or call (Python: the ast module; Rust, C, JS: regex rules over comment/string-masked text)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from common import CARGO_SRC, Case, crop, licence_for, log, q, run, site_packages

SP = site_packages()

RUST_KW = {"if", "while", "for", "match", "return", "in", "as", "fn", "loop", "let", "mut", "ref", "move",
           "unsafe", "where", "impl", "dyn", "use", "pub", "crate", "super", "self", "Self", "else", "break",
           "continue", "await", "async", "const", "static", "type", "struct", "enum", "trait", "mod", "extern"}
C_KW = {"if", "for", "while", "switch", "return", "sizeof", "typeof", "__typeof__", "alignof", "_Alignof",
        "__alignof__", "defined", "void", "int", "char", "short", "long", "float", "double", "signed",
        "unsigned", "const", "volatile", "struct", "union", "enum", "static", "extern", "inline", "register",
        "auto", "restrict", "_Bool", "case", "goto", "else", "do", "__attribute__", "__asm__", "asm",
        "_Static_assert", "__extension__", "__inline", "__restrict", "_Noreturn", "decltype", "noexcept",
        "operator", "template", "typename", "throw", "catch", "new", "delete"}
JS_KW = {"if", "for", "while", "switch", "catch", "return", "typeof", "function", "super", "import", "await",
         "with", "void", "delete", "in", "of", "new", "else", "do", "yield", "case", "throw", "async"}

_DEF = {
    "rust": re.compile(r"\b(?:fn|struct|enum|trait|type|union|mod)\s+([A-Za-z_]\w*)|\bmacro_rules!\s*([A-Za-z_]\w*)"
                       r"|\b(?:const|static)\s+(?:mut\s+)?([A-Za-z_]\w*)\s*:"),
    "c": re.compile(r"\b(?:struct|union|enum)\s+([A-Za-z_]\w*)|#\s*define\s+([A-Za-z_]\w*)"
                    r"|\btypedef\b[^;{}()]*?\b([A-Za-z_]\w*)\s*;|\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\("),
    "js": re.compile(r"\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)|\bclass\s+([A-Za-z_$][\w$]*)"
                     r"|\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:function\b|\([^()]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)"),
}
_CALL = {
    "rust": re.compile(r"\b([A-Za-z_]\w*)(?:!\s*[(\[{]|\()"),
    "c": re.compile(r"\b([A-Za-z_]\w*)\s*\("),
    "js": re.compile(r"(?<![\w$])([A-Za-z_$][\w$]*)\s*\("),
}
_KW = {"rust": RUST_KW, "c": C_KW, "js": JS_KW}


def mask(text: str, lang: str) -> str:
    """Replaces comments and string/char literals with spaces (offsets kept)."""
    out = list(text)
    i, n = 0, len(text)

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif lang == "rust" and re.match(r'(?:b|c)?r(#*)"', text[i:i + 12]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'(?:b|c)?r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            blank(i, j)
            i = j
        elif c == '"' or (c == "`" and lang == "js") or (c == "'" and lang in ("c", "js")):
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n" and c != "`":
                    break
                j += 1
            blank(i, min(j + 1, n))
            i = j + 1
        elif c == "'" and lang == "rust":
            m = re.match(r"'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'\n])'", text[i:])
            if m:
                blank(i, i + m.end())
                i += m.end()
            else:
                i += 1
        elif lang == "c" and c == "#" and re.match(r"#\s*include\b", text[i:i + 20]):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        else:
            i += 1
    return "".join(out)


def label_regex(case: Case, lang: str) -> None:
    m_text = mask(case.text, lang)
    kw = _KW[lang]
    for m in _DEF[lang].finditer(m_text):
        for g in range(1, m.re.groups + 1):
            if m.group(g):
                case.span(m.start(g), m.group(g))
    for m in _CALL[lang].finditer(m_text):
        for g in range(1, m.re.groups + 1):
            name = m.group(g)
            if name and name not in kw:
                case.span(m.start(g), name)


def _py_positions(src: str):
    """(lineno, char col, name) of every def/class name and every called name/attribute."""
    tree = ast.parse(src)
    lines = src.split("\n")

    def ccol(lineno, bcol):
        return len(lines[lineno - 1].encode()[:bcol].decode("utf-8", errors="ignore"))

    res = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            ln = lines[node.lineno - 1]
            kw = "class" if isinstance(node, ast.ClassDef) else "def"
            m = re.compile(rf"\b{kw}\s+({re.escape(node.name)})\b").search(ln, ccol(node.lineno, node.col_offset))
            if m:
                res.append((node.lineno, m.start(1), node.name))
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                res.append((f.lineno, ccol(f.lineno, f.col_offset), f.id))
            elif isinstance(f, ast.Attribute) and f.end_lineno is not None:
                end = ccol(f.end_lineno, f.end_col_offset)
                res.append((f.end_lineno, end - len(f.attr), f.attr))
    return res


def label_python(case: Case, src: str, first_line: int) -> None:
    starts = [0]
    for ln in case.text.split("\n"):
        starts.append(starts[-1] + len(ln) + 1)
    nlines = case.text.count("\n")
    for lineno, col, name in _py_positions(src):
        i = lineno - first_line
        if 0 <= i < nlines:
            off = starts[i] + col
            if case.text[off:off + len(name)] == name:
                case.span(off, name)


def _lang(p: Path):
    return {".py": "python", ".rs": "rust", ".c": "c", ".h": "c", ".js": "js", ".mjs": "js", ".cjs": "js"}.get(p.suffix)


def file_specs():
    C = CARGO_SRC
    py = [("requests/sessions.py", None), ("click/utils.py", None), ("jinja2/filters.py", (120, 420)),
          ("yaml/constructor.py", (400, 640)), ("idna/core.py", None), ("dotenv/main.py", None),
          ("attr/_make.py", (1200, 1500)), ("packaging/version.py", None), ("pluggy/_manager.py", (1, 260)),
          ("jmespath/parser.py", (80, 330)), ("certifi/core.py", None), ("six.py", (480, 700)),
          ("sortedcontainers/sortedlist.py", (300, 520)), ("networkx/algorithms/cycles.py", (1, 200)),
          ("werkzeug/utils.py", (200, 380)), ("pip/_internal/req/req_file.py", None), ("urllib3/util/retry.py", (200, 420)),
          ("dateutil/relativedelta.py", (1, 60)), ("click/exceptions.py", None), ("pygments/lexers/shell.py", (1, 120))]
    rs = [("anyhow-1.0.105/src/error.rs", (1, 240)), ("memchr-2.8.3/src/memchr.rs", (1, 200)), ("itoa-1.0.19/src/lib.rs", None),
          ("semver-1.0.28/src/parse.rs", None), ("serde_json-1.0.154/src/value/mod.rs", (300, 520)), ("hex-0.4.3/src/lib.rs", None),
          ("strsim-0.11.1/src/lib.rs", (1, 300)), ("fnv-1.0.7/lib.rs", None), ("once_cell-1.21.4/src/lib.rs", (700, 900)),
          ("scopeguard-1.2.0/src/lib.rs", (200, 420)), ("tokio-1.54.1/src/sync/mutex.rs", (330, 560)),
          ("bytes-1.12.2/src/buf/buf_impl.rs", (1, 160)), ("lru-0.12.5/src/lib.rs", (180, 400)), ("either-1.19.0/src/iterator.rs", None),
          ("slab-0.4.12/src/lib.rs", (900, 1100)), ("cfg-if-1.0.5/src/lib.rs", None), ("clap_lex-1.1.2/src/lib.rs", (1, 140))]
    cs = [("bzip2-sys-0.1.13+1.0.8/bzip2-1.0.8/huffman.c", None), ("libz-sys-1.1.31/src/zlib/adler32.c", None),
          ("libz-sys-1.1.31/src/zlib/gzclose.c", None), ("libz-sys-1.1.31/src/zlib/inflate.c", (600, 820)),
          ("onig_sys-69.9.3/oniguruma/src/ascii.c", None), ("bzip2-sys-0.1.13+1.0.8/bzip2-1.0.8/bzlib.c", (130, 330)),
          ("libsqlite3-sys-0.35.0/sqlite3/sqlite3.c", (24000, 24200))]
    hs = ["/usr/include/stdio.h", "/usr/include/string.h", "/usr/include/pthread.h", "/usr/include/linux/tcp.h",
          "/usr/include/zlib.h", "/usr/include/x86_64-linux-gnu/sys/socket.h", "/usr/include/unistd.h"]
    hsr = {"/usr/include/pthread.h": (200, 420), "/usr/include/zlib.h": (1700, 1880), "/usr/include/unistd.h": (280, 480),
           "/usr/include/stdio.h": (1, 200)}
    js = ["/usr/lib/node_modules/npm/lib/cli.js", "/usr/lib/node_modules/npm/lib/npm.js",
          "/usr/lib/node_modules/npm/lib/commands/install.js", "/usr/lib/node_modules/npm/lib/utils/display.js",
          "/usr/lib/node_modules/npm/lib/commands/run.js", "/usr/lib/node_modules/npm/lib/base-cmd.js"]
    jsr = {"/usr/lib/node_modules/npm/lib/utils/display.js": (1, 220), "/usr/lib/node_modules/npm/lib/npm.js": (1, 200)}
    out = [(SP / p, r) for p, r in py]
    if C:
        out += [(C / p, r) for p, r in rs] + [(C / p, r) for p, r in cs]
    out += [(Path(h), hsr.get(h)) for h in hs] + [(Path(j), jsr.get(j)) for j in js]
    return out


def source():
    cases = []
    for path, rng in file_specs():
        if not path.is_file():
            log(f"source: no {path}; skipped")
            continue
        lang = _lang(path)
        src = path.read_text(encoding="utf-8", errors="replace")
        if rng:
            a, b = rng
            cmd = f"sed -n '{a},{b}p' {q(path)}"
        else:
            a = 1
            cmd = f"cat {q(path)}"
        out, _ = run(cmd)
        text, c = crop(out)
        case = Case("source", cmd, text, f"identifiers defined/called ({'ast' if lang == 'python' else 'regex'}, {lang})",
                    licence_for(path), meta={"lang": lang})
        if c:
            case.meta["crop"] = c
        if lang == "python":
            try:
                label_python(case, src, a)
            except SyntaxError as e:
                log(f"source: {path} does not parse: {e}")
                continue
        else:
            label_regex(case, lang)
        cases.append(case)
    return cases


SOURCES = {"source": source}
