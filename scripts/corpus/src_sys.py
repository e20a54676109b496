"""ps (inside a fresh PID namespace), env/printenv (from clean environments), json (json.tool)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from common import CARGO_SRC, HOME, REPO, WORK, Case, crop, have, licence_for, line_offsets, log, q, run, site_packages

SP = site_packages()
MACHINE = "output of this machine"


# ---------------------------------------------------------------- ps
def label_ps(case: Case) -> None:
    lines = list(line_offsets(case.text))
    hdr = None
    for off, ln in lines:
        toks = ln.split()
        if not toks:
            continue
        if "PID" in toks and toks[-1] in ("COMMAND", "CMD", "COMM", "ARGS") or (hdr is None and "PID" in toks):
            hdr = toks
            continue
        if hdr is None:
            continue
        parts = ln.split(None, len(hdr) - 1)
        if len(parts) < len(hdr):
            continue
        pos = 0
        offs = []
        for p in parts:
            pos = ln.index(p, pos)
            offs.append(pos)
            pos += len(p)
        for name in ("PID", "PPID"):
            if name in hdr:
                i = hdr.index(name)
                if parts[i].isdigit():
                    case.span(off + offs[i], parts[i])
        if hdr[-1] in ("COMMAND", "CMD", "COMM", "ARGS"):
            cmd = parts[-1]
            m = re.match(r"^[\s|\\_]*(\S+)", cmd)
            if m:
                case.span(off + offs[-1] + m.start(1), m.group(1))


PS_SCRIPT = r'''
set -u
D={work}
for i in $(seq {burn}); do /bin/true; done
mkdir -p $D/www && echo hello > $D/www/index.html
(cd $D/www && exec python3 -m http.server --bind 127.0.0.1 {port} >/dev/null 2>&1) &
sleep 300 &
{extra}
sleep 4
'''

PS_CMDS = ["ps aux", "ps -ef", "ps -eF", "ps auxf", "ps -eo pid,ppid,user,%cpu,%mem,rss,stat,etime,cmd",
           "ps -eLf", "ps axjf", "ps -eo pid,comm --sort=-rss", "ps aux --sort=-%mem | head -15",
           "ps -u postgres -o pid,ppid,cmd", "ps -C nginx -f", "ps -o pid,ppid,nlwp,cmd -p 1"]


def ps():
    if not have("unshare"):
        log("ps: unshare missing; skipped")
        return []
    cases = []
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    scenarios = []
    extra1 = ""
    if pgbin and have("runuser"):
        b = pgbin[-1]
        extra1 += (f"mkdir -p $D/pg && chown postgres $D/pg && runuser -u postgres -- {b}/initdb -D $D/pg/data -U kompress "
                   f"--auth=trust >/dev/null 2>&1 && runuser -u postgres -- {b}/pg_ctl -D $D/pg/data -l $D/pg/log "
                   f"-o '-c listen_addresses=127.0.0.1 -p 15432 -k $D/pg' -w start >/dev/null 2>&1\n")
    if have("nginx"):
        extra1 += ("mkdir -p $D/ngx/logs && printf 'worker_processes 2; pid %s/ngx/nginx.pid; error_log %s/ngx/logs/error.log;"
                   " events {} http { access_log off; server { listen 127.0.0.1:17080; root %s/www; } }' $D $D $D > $D/ngx/nginx.conf"
                   " && nginx -p $D/ngx -c $D/ngx/nginx.conf\n")
    if have("redis-server"):
        extra1 += "redis-server --port 17379 --bind 127.0.0.1 --save '' --daemonize yes --logfile $D/redis.log\n"
    scenarios.append(("services", 700, 17000, extra1))
    extra2 = ("mkdir -p $D/j && printf 'public class Idle { public static void main(String[] a) throws Exception { Thread.sleep(60000); } }'"
              " > $D/j/Idle.java && (java -Xmx64m -XX:+UseSerialGC $D/j/Idle.java &) ; "
              "for n in 1 2 3; do (sleep 200 &); done; (cd $D && exec python3 -c 'import time,threading; "
              "[threading.Thread(target=time.sleep,args=(60,),daemon=True).start() for _ in range(6)]; time.sleep(60)' &)\n"
              "sleep 6\n")
    scenarios.append(("jvm", 2300, 17100, extra2))
    for name, burn, port, extra in scenarios:
        d = WORK / "ps" / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        chmod = f"chmod 755 {WORK} {WORK / 'ps'} {d}; "
        script = PS_SCRIPT.format(work=d, burn=burn, port=port, extra=extra)
        marks = "\n".join(f"echo '@@@CMD {c}'; {c}" for c in PS_CMDS)
        full = chmod + script + marks + "\n"
        (d / "scenario.sh").write_text(full)
        out, rc = run(f"unshare --pid --fork --mount-proc bash {q(d / 'scenario.sh')}", timeout=240)
        for block in out.split("@@@CMD ")[1:]:
            cmd, _, text = block.partition("\n")
            text, c = crop(text)
            case = Case("ps", cmd, text, "ps PID/PPID values + command names", MACHINE,
                        meta={"scenario": f"fresh PID namespace ({name}): real servers started inside it, ps run there"})
            if c:
                case.meta["crop"] = c
            label_ps(case)
            cases.append(case)
    return cases


# ---------------------------------------------------------------- env
def label_env(case: Case) -> None:
    for off, ln in line_offsets(case.text):
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=", ln)
        if m:
            case.span(off, m.group(1))


def envs():
    base = f"env -i HOME={HOME} PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=xterm-256color"
    d = WORK / "env"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    (d / "Makefile").write_text("export BUILD_MODE ?= release\nexport CARGO_TARGET_DIR = target/corpus\nenv:\n\tenv\n")
    (d / "package.json").write_text('{"name": "kcorpus-env", "version": "1.2.3", "private": true, "scripts": {"env": "env"}}\n')
    (d / "cfg").mkdir()
    (d / "cfg/package.json").write_text('{"name": "kcorpus-cfg", "version": "0.4.0", "private": true, '
                                        '"config": {"port": "8080", "host": "127.0.0.1", "log_level": "debug"}, '
                                        '"scripts": {"env": "env", "start": "node server.js"}}\n')
    (d / "app.env").write_text("# kompress stream processor (deploy/compose)\nKOMPRESS__KAFKA__BOOTSTRAP_SERVERS=127.0.0.1:19092\n"
                               "KOMPRESS_LOG=warn,kompress_kafka=info\nKOMPRESS__PROCESSING__DELIVERY=exactly_once\n"
                               "KOMPRESS__PROCESSING__MAX_IN_FLIGHT_PER_PARTITION=256\nKOMPRESS__KAFKA__SESSION_TIMEOUT_MS=45000\n")
    venv = REPO / "scripts/corpus/.venv"
    compose = ("KOMPRESS__KAFKA__BOOTSTRAP_SERVERS=127.0.0.1:19092 KOMPRESS_LOG=warn,kompress_kafka=info "
               "KOMPRESS__PROCESSING__DELIVERY=at_least_once KOMPRESS__KAFKA__INSTANCE_ID=kompress-0 HOSTNAME=kompress-0")
    specs = [
        (f"{base} bash -lc env", None),
        (f"{base} bash -lc 'cd {REPO} && env'", None),
        (f"{base} bash -c 'source {venv}/bin/activate && env'", None),
        (f"{base} runuser -l postgres -c env", None),
        (f"{base} runuser -l redis -s /bin/bash -c env", None),
        (f"{base} runuser -l www-data -s /bin/sh -c printenv", None),
        (f"{base} npm run env", d),
        (f"{base} git -c alias.e='!env' e", REPO),
        (f"{base} make -s env", d),
        (f"{base} {compose} printenv", None),
        (f"{base} USER=root SHELL=/bin/bash bash -lc 'cd /tmp && env | sort'", None),
        (f"{base} npm exec -- env", d),
        (f"{base} bash -c 'source {venv}/bin/activate && cd {d} && make -s env'", d),
        (f"{base} python3 -c 'import os; os.execvp(\"env\", [\"env\"])'", None),
        (f"{base} bash -lc 'pyenv exec env'", None),
        (f"{base} bash -lc 'cd {REPO} && source scripts/corpus/.venv/bin/activate && env | sort'", None),
        (f"{base} npm run env", d / "cfg"),
        (f"{base} git -C {REPO} -c alias.e='!env | sort' e", None),
        (f"{base} bash -lc 'set -a; . {d}/app.env; set +a; env'", None),
    ]
    cases = []
    for cmd, cwd in specs:
        if "runuser" in cmd and not have("runuser"):
            continue
        out, rc = run(cmd, cwd=cwd)
        text, c = crop(out)
        case = Case("env", cmd, text, "variable NAMEs (before the first =)", MACHINE)
        if rc:
            case.meta["exit_code"] = rc
        label_env(case)
        cases.append(case)
    return cases


# ---------------------------------------------------------------- json
_TOK = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b')


def label_json(case: Case) -> None:
    t = case.text
    for m in _TOK.finditer(t):
        if m.group(1) is not None:
            case.span(m.start(1), m.group(1))
        elif m.group(3) is not None:
            case.span(m.start(3), m.group(3))
        else:
            case.span(m.start(4), m.group(4))


def json_files():
    specs = []
    nm = Path("/usr/lib/node_modules")
    for p in [nm / "npm/package.json", nm / "corepack/package.json", WORK / "tsc/node_modules/typescript/package.json"]:
        specs.append((p, "python3 -m json.tool {f}"))
    js = SP / "jsonschema_specifications/schemas"
    for sub, opt in [("draft202012/metaschema.json", ""), ("draft7/metaschema.json", " --sort-keys"), ("draft4/metaschema.json", " --indent 2"),
                     ("draft202012/vocabularies/validation", "")]:
        p = js / sub
        if p.is_dir():
            p = p / "validation" if (p / "validation").exists() else next(iter(sorted(p.iterdir())), p)
        specs.append((p, "python3 -m json.tool" + opt + " {f}"))
    bd = SP / "botocore/data"
    for svc in ["sqs", "lambda", "dynamodb", "s3", "ec2"]:
        vs = sorted((bd / svc).glob("*/paginators-1.json")) if (bd / svc).exists() else []
        if vs:
            specs.append((vs[-1], "python3 -m json.tool {f}"))
    for svc in ["sts", "kms"]:
        vs = sorted((bd / svc).glob("*/service-2.json")) if (bd / svc).exists() else []
        if vs:
            specs.append((vs[-1], "python3 -m json.tool {f}"))
    specs.append((REPO / "deploy/schema/transcript-envelope.v1.schema.json", "python3 -m json.tool {f}"))
    specs.append((SP / "botocore/data/_retry.json", "python3 -m json.tool --indent 2 {f}"))
    return specs


def json_cases():
    cases = []
    for p, tmpl in json_files():
        if not Path(p).is_file():
            log(f"json: no {p}; skipped")
            continue
        cmd = tmpl.format(f=q(p))
        out, rc = run(cmd)
        text, c = crop(out)
        case = Case("json", cmd, text, "json keys + scalar leaf values (as printed, > 2 chars)", licence_for(p))
        if c:
            case.meta["crop"] = c
        label_json(case)
        cases.append(case)
    if have("cargo") and CARGO_SRC:
        for crate in ["serde_json-1.0.154", "anyhow-1.0.105", "tokio-1.54.1", "regex-1.13.2"]:
            src = CARGO_SRC / crate
            if not src.is_dir():
                continue
            d = WORK / "json" / crate
            if d.exists():
                shutil.rmtree(d)
            shutil.copytree(src, d)
            cmd = "cargo metadata --offline --format-version 1 --no-deps | python3 -m json.tool"
            out, rc = run(cmd, cwd=d)
            text, c = crop(out)
            case = Case("json", cmd, text, "json keys + scalar leaf values (as printed, > 2 chars)", licence_for(src),
                        meta={"crate": crate})
            if c:
                case.meta["crop"] = c
            label_json(case)
            cases.append(case)
    return cases


SOURCES = {"ps": ps, "env": envs, "json": json_cases}
