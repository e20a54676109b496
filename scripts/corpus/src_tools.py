"""tsc, npm, pip and mvn failures."""

from __future__ import annotations

import json
import re
import shutil

from common import WORK, Case, crop, have, line_offsets, log, run

OWN = "files written for this corpus (public domain); tool output of this machine"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _fresh(d):
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def _case(kind, cmd, cwd, labeler, label, env=None, meta=None, lic=OWN):
    out, rc = run(cmd, cwd=cwd, env=env, timeout=600)
    text, c = crop(out)
    case = Case(kind, cmd, text, labeler, lic, meta=dict(meta or {}))
    case.meta["exit_code"] = rc
    if c:
        case.meta["crop"] = c
    label(case)
    return case


# ---------------------------------------------------------------- tsc
def label_tsc(case: Case) -> None:
    prev_err = False
    for off, ln in line_offsets(case.text):
        m = re.match(r"^(\S.*?\(\d+,\d+\)): error (TS\d+): (.*)$", ln) or re.match(r"^()error (TS\d+): (.*)$", ln)
        if m:
            if m.group(1):
                case.span(off, m.group(1))
            case.span(off + m.start(2), m.group(2))
            case.span(off + m.start(3), m.group(3).rstrip())
            prev_err = True
            continue
        if prev_err and ln.startswith("  ") and ln.strip():
            s = ln.strip()
            case.span(off + ln.index(s), s)
            continue
        prev_err = False


def _ts_project(d):
    from fixtures_ts import TS, TSCONFIG
    for fn, src in TS.items():
        (d / fn).write_text(src)
    (d / "tsconfig.json").write_text(TSCONFIG)
    (d / "package.json").write_text(json.dumps({"name": "kcorpus-ts", "version": "1.0.0", "private": True,
                                                "scripts": {"build": "tsc -p ."}}, indent=2) + "\n")


def tsc_cases():
    if not have("npm"):
        log("tsc: npm missing; skipped")
        return []
    from fixtures_ts import BAD_TSCONFIG, TS
    d = _fresh(WORK / "tsc")
    _ts_project(d)
    out, rc = run("npm install --no-audit --no-fund typescript@5.9.3", cwd=d, timeout=600)
    if rc:
        log(f"tsc: npm install typescript failed, skipped:\n{out[-2000:]}")
        return []
    lab = "tsc file(line,col), TS codes, messages (and their indented elaborations)"
    cases = [_case("tsc", "npx tsc -p .", d, lab, label_tsc)]
    for i, fn in enumerate(TS):
        flags = ["--noEmit --strict --target es2020 --lib es2020,dom", "--noEmit --target es2020 --lib es2020,dom"][i % 2]
        cases.append(_case("tsc", f"npx tsc {flags} {fn}", d, lab, label_tsc))
    cases.append(_case("tsc", "npx tsc --noEmit --strict --noUnusedLocals --noUnusedParameters --target es2020 models.ts classes.ts enums.ts", d, lab, label_tsc))
    cases.append(_case("tsc", "npx tsc --noEmit --strict --lib es5 async_ops.ts generics.ts", d, lab, label_tsc))
    cases.append(_case("tsc", "npx tsc --noEmit --strict --target es2020 --lib es2020,dom --listFiles strict_null.ts", d, lab, label_tsc))
    (d / "bad").mkdir()
    (d / "bad/tsconfig.json").write_text(BAD_TSCONFIG)
    (d / "bad/x.ts").write_text("export const x: number = 'y';\n")
    cases.append(_case("tsc", "npx tsc -p bad", d, lab, label_tsc))
    cases.append(_case("tsc", "npx tsc --noEmit --module nodenext --moduleResolution nodenext imports.ts models.ts", d, lab, label_tsc))
    return cases


# ---------------------------------------------------------------- npm
def label_npm(case: Case) -> None:
    for off, ln in line_offsets(case.text):
        if re.match(r"^\S.*?\(\d+,\d+\): error TS\d+: ", ln):
            continue  # tsc lines (npm run build): labelled by label_tsc below
        m = re.match(r"^npm (?:error|ERR!) code (\S+)", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
            continue
        m = re.match(r"^npm (?:error|ERR!) (\S.*)$", ln)
        if m:
            case.span(off + m.start(1), m.group(1).rstrip())
            continue
        m = re.match(r"^\s*(?:✖|not ok \d+ -) (.+?)(?: \(\d+(?:\.\d+)?ms\))?$", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
            continue
        m = re.match(r"^\s+(?:location|error): '(.+)'$", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
            continue
        m = re.search(r"(?:\(|at )((?:file://)?/[^\s()]+:\d+:\d+)\)?$", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
        m = re.match(r"^\s*(?:error: |)((?:AssertionError|TypeError|Error)(?: \[\w+\])?: .+)$", ln)
        if m:
            case.span(off + m.start(1), m.group(1).rstrip())
    label_tsc(case)


def npm_cases():
    if not have("npm"):
        log("npm: npm missing; skipped")
        return []
    from fixtures_ts import NODE_TEST, PLAIN_LIB, PLAIN_TEST
    root = _fresh(WORK / "npm")
    lab = "npm error codes + messages, failing test names, Error messages, file:line:col"

    def proj(name, pkg, files=None):
        d = root / name
        d.mkdir()
        (d / "package.json").write_text(pkg if isinstance(pkg, str) else json.dumps(pkg, indent=2) + "\n")
        for fn, src in (files or {}).items():
            (d / fn).parent.mkdir(parents=True, exist_ok=True)
            (d / fn).write_text(src)
        return d

    base = {"name": "kcorpus-app", "version": "1.0.0", "private": True}
    specs = [
        ("missing-pkg", base, {}, "npm install kcorpus-no-such-package-xyz"),
        ("view-missing", base, {}, "npm view kcorpus-no-such-package-xyz version"),
        ("no-version", base, {}, "npm install typescript@99.0.0"),
        ("bad-json", '{\n  "name": "kcorpus-app",\n  "version": "1.0.0",\n  "scripts": {\n    "test": "node t.js",\n  }\n}\n', {}, "npm install"),
        ("missing-script", dict(base, scripts={"test": "node t.js"}), {}, "npm run nosuch"),
        ("node-test", dict(base, scripts={"test": "node --test"}), {"test/util.test.js": NODE_TEST}, "npm test"),
        ("plain-test", dict(base, scripts={"test": "node test.js"}), {"test.js": PLAIN_TEST, "lib.js": PLAIN_LIB}, "npm test"),
        ("ls-missing", dict(base, dependencies={"left-pad": "^1.3.0", "kcorpus-dep-not-installed": "^2.0.0"}), {}, "npm ls"),
        ("ci-nolock", dict(base, dependencies={"left-pad": "^1.3.0"}), {}, "npm ci"),
        ("peer-conflict", base, {}, "npm install --no-audit react@17.0.2 react-dom@18.2.0"),
        ("build-tsc", dict(base, scripts={"build": "tsc -p ."}), "TS", "npm run build"),
        ("offline", base, {}, "npm install --offline left-pad@1.3.0"),
        ("exec-missing", base, {}, "npm exec --offline -- kcorpus-missing-bin --version"),
        ("audit-nolock", base, {}, "npm audit"),
        ("local-missing", base, {}, "npm install ../kcorpus-missing-local-dir"),
        ("node-test-spec", dict(base, scripts={"test": "node --test --test-reporter=spec"}), {"test/util.test.js": NODE_TEST}, "npm test"),
    ]
    cases = []
    for name, pkg, files, cmd in specs:
        if files == "TS":
            d = proj(name, pkg)
            _ts_project(d)
            (d / "package.json").write_text(json.dumps(pkg, indent=2) + "\n")
            tsd = WORK / "tsc" / "node_modules"
            if tsd.is_dir():
                (d / "node_modules").symlink_to(tsd)
        else:
            d = proj(name, pkg, files)
        cases.append(_case("npm", cmd, d, lab, label_npm))
    return cases


# ---------------------------------------------------------------- pip
_SPEC = re.compile(r"(?<![\w.-])[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[\w,.-]+\])?\s?(?:===|==|!=|~=|>=|<=|<|>)\s?[\w.*+!-]*\w(?:,(?:===|==|!=|~=|>=|<=|<|>)[\w.*+!-]*\w)*")
_QNAME = re.compile(r"'([A-Za-z0-9][\w.-]*)'")


_CHECK = re.compile(r"^([A-Za-z0-9][\w.-]*) [\w.+!-]+ (?:requires|has requirement) ([A-Za-z0-9][\w.-]*)")


def label_pip(case: Case) -> None:
    """ERROR:/error: lines (message, requirement specs, quoted names), the final exception line of a
    pip traceback, `pip check` lines, and the specs in a "The conflict is caused by:" block."""
    conflict = False
    for off, ln in line_offsets(case.text):
        if ln.startswith("The conflict is caused by:"):
            conflict = True
            continue
        if conflict:
            if not ln.strip():
                conflict = False
                continue
            for s in _SPEC.finditer(ln):
                case.span(off + s.start(), s.group(0))
            continue
        m = (re.match(r"^(?:ERROR|error): (.+)$", ln) or re.match(r"^((?:[\w.]+\.)?\w*(?:Error|Exception): .+)$", ln)
             or (re.match(r"^(.+)$", ln) if _CHECK.match(ln) else None))
        if not m:
            continue
        msg = m.group(1).rstrip()
        base = off + m.start(1)
        case.span(base, msg)
        for s in _SPEC.finditer(msg):
            case.span(base + s.start(), s.group(0))
        for s in _QNAME.finditer(msg):
            case.span(base + s.start(1), s.group(1))
        s = _CHECK.match(msg)
        if s:
            case.span(base + s.start(1), s.group(1))
            case.span(base + s.start(2), s.group(2))


PIP_PROJECTS = {
    "broken_setup": {"setup.py": "from setuptools import setup\nimport kcorpus_build_helper\nsetup(name='broken-setup', version='0.1')\n"},
    "bad_pyproject": {"pyproject.toml": "[project]\nname = \"bad-pyproject\"\nversion = 0.1\ndependencies = [\"requests>=2\"\n"},
    "needs_py4": {"pyproject.toml": "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"needs-py4\"\nversion = \"0.1\"\nrequires-python = \">=4\"\n"},
    "c_ext": {"setup.py": "from setuptools import Extension, setup\nsetup(name='c-ext-demo', version='0.2', ext_modules=[Extension('fastsum', ['fastsum.c'])])\n",
              "fastsum.c": "#include <Python.h>\nstatic PyObject *fastsum(PyObject *self, PyObject *args) {\n    long a, b\n    if (!PyArg_ParseTuple(args, \"ll\", &a, &b)) return NULL;\n    return PyLong_FromLong(a + b + undefined_bias);\n}\n"},
    "deps_pkg": {"setup.py": "from setuptools import setup\nsetup(name='kcorpus-deps-demo', version='1.0', py_modules=['deps_demo'], install_requires=['six>=1.16', 'packaging<20', 'attrs==21.4.0'])\n",
                 "deps_demo.py": "VALUE = 1\n"},
}


def pip_cases():
    root = _fresh(WORK / "pip")
    out, rc = run(f"python3 -m venv {root}/venv")
    if rc:
        log(f"pip: could not make a venv: {out}")
        return []
    run(f"{root}/venv/bin/pip install -q --disable-pip-version-check wheel", timeout=600)
    for name, files in PIP_PROJECTS.items():
        (root / name).mkdir()
        for fn, src in files.items():
            (root / name / fn).write_text(src)
    (root / "requirements-pinned.txt").write_text("idna==3.7\ncertifi==2024.2.2\nsix==1.16.0\nurllib3==1.0.99\nrequests==2.31.0\n")
    env = {"PATH": f"{root}/venv/bin:" + "/usr/local/bin:/usr/bin:/bin", "VIRTUAL_ENV": f"{root}/venv",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    lab = "pip ERROR/error line messages + requirement specs and quoted names in them (pip check: every line)"
    cmds = [
        "pip install idna kcorpus-no-such-package-xyz",
        "pip install 'packaging==0.0.999'",
        "pip install 'packaging==21.0' 'packaging==22.0'",
        "pip install --no-build-isolation ./broken_setup",
        "pip install ./bad_pyproject",
        "pip install --no-build-isolation ./needs_py4",
        "pip install -r requirements-pinned.txt",
        "pip install --no-build-isolation ./c_ext",
        "pip install --no-index -v kcorpus-offline-only",
        "pip install 'flask==3.0.0' 'jinja2<3'",
        "pip install 'urllib3>=99'",
        "pip install --no-build-isolation --no-deps ./deps_pkg && pip install 'packaging==19.2' && pip check",
        "pip install 'six==1.16.0' && pip list && pip check",
        "pip install 'cryptography==1.0' --only-binary=:all:",
        "pip install 'numpy==1.16.0' --only-binary=:all:",
    ]
    return [_case("pip", c, root, lab, label_pip, env=env) for c in cmds]


# ---------------------------------------------------------------- mvn
_MVN_BOILER = ("->", "To see the full stack trace", "Re-run Maven", "For more information", "[Help 1]")


def label_mvn(case: Case) -> None:
    """javac locations file.java:[l,c] + messages; Surefire failing tests (names, messages);
    exception lines; stack frames of the project's own classes; other [ERROR]/[FATAL] messages
    (their visible text pieces when Maven colours them)."""
    for off, ln in line_offsets(case.text):
        m = re.search(r"(\S+\.java:\[\d+,\d+\]) (.+?)(?:\x1b\[m)?$", ln)
        if m:
            loc = m.group(1)
            if loc.startswith("\x1b["):
                k = loc.index("m") + 1
                case.span(off + m.start(1) + k, loc[k:])
            else:
                case.span(off + m.start(1), loc)
            case.span(off + m.start(2), m.group(2))
            continue
        m = re.match(r"^\[ERROR\]   (\w[\w$]*\.\w[\w$]*(?:\[.*?\])?):(\d+) (.+)$", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
            case.span(off + m.start(3), m.group(3))
            continue
        m = re.match(r"^\[ERROR\] (.+?) -- Time elapsed: ", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
            continue
        m = re.match(r"^(?:Caused by: )?((?:[a-z]\w*\.)+[A-Z]\w*(?:Error|Exception)(?:: .*)?)$", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
            continue
        m = re.match(r"^\s+at org\.example\.corpus\.\S+\((\w+\.java:\d+)\)$", ln)
        if m:
            case.span(off + m.start(1), m.group(1))
            continue
        m = re.match(r"^\[(?:\x1b\[[0-9;]*m)?(?:ERROR|FATAL)(?:\x1b\[m)?\] (\S.*)$", ln)
        if m and not _ANSI.sub("", m.group(1)).startswith(_MVN_BOILER):
            pos = off + m.start(1)
            for seg in re.split(r"(\x1b\[[0-9;]*m)", m.group(1)):
                t = seg.strip()
                if t and not seg.startswith("\x1b") and re.search(r"[A-Za-z]", t) and len(t) >= 3:
                    case.span(pos + seg.index(t), t)
                pos += len(seg)


def mvn_cases():
    if not have("mvn"):
        log("mvn: maven missing; skipped")
        return []
    from fixtures_mvn import POM, PROJECTS
    root = _fresh(WORK / "mvn")
    cases = []
    for name, files, args, opts in PROJECTS:
        d = root / name
        d.mkdir()
        pom = opts.get("pom") or POM.format(name=name, release=opts.get("release", "17"), deps=opts.get("deps", ""),
                                            cargs=opts.get("cargs", ""))
        (d / "pom.xml").write_text(pom)
        for fn, src in files.items():
            (d / fn).parent.mkdir(parents=True, exist_ok=True)
            (d / fn).write_text(src)
        cases.append(_case("mvn", f"nice -n 10 mvn {args}", d, "mvn [ERROR] file:[l,c] + messages, failing tests, java:N frames", label_mvn,
                           meta={"project": name}))
    return cases


SOURCES = {"tsc": tsc_cases, "npm": npm_cases, "pip": pip_cases, "mvn": mvn_cases}
