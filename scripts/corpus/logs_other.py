"""nginx, redis, sshd, Python http.server and a Flask app: real servers on 127.0.0.1 with bounded
real traffic; returns their log files."""

from __future__ import annotations

import http.client
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path

from common import BASE_ENV, WORK, have, log, q, run


def _fresh(p: Path) -> Path:
    if p.exists():
        shutil.rmtree(p)
    p.mkdir(parents=True)
    return p


def _wait_port(port, timeout=20):
    t = time.time() + timeout
    while time.time() < t:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


UAS = ["curl/7.88.1", "python-requests/2.31.0", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
       "Go-http-client/1.1", "kube-probe/1.29", "Wget/1.21.3", "k6/0.49.0 (https://k6.io/)"]


def http_traffic(port, paths, n, seed, methods=("GET",) * 6 + ("POST", "HEAD", "PUT", "DELETE")):
    """n bounded requests to 127.0.0.1:port over a few keep-alive connections."""
    rnd = random.Random(seed)
    conn = None
    for i in range(n):
        if conn is None or i % rnd.randint(3, 12) == 0:
            if conn:
                conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        path = rnd.choice(paths)
        if "{}" in path:
            path = path.format(rnd.randint(1, 5000))
        m = rnd.choice(methods)
        body = None
        hdr = {"User-Agent": rnd.choice(UAS)}
        if m in ("POST", "PUT"):
            body = ("x" * rnd.choice([10, 200, 3000, 40000])).encode()
            hdr["Content-Type"] = "application/json"
        if rnd.random() < 0.1:
            hdr["Referer"] = f"http://127.0.0.1:{port}/"
        try:
            conn.request(m, path, body=body, headers=hdr)
            conn.getresponse().read()
        except Exception:
            conn.close()
            conn = None
    if conn:
        conn.close()


def raw_requests(port, payloads):
    for p in payloads:
        try:
            s = socket.create_connection(("127.0.0.1", port), 2)
            s.sendall(p)
            s.settimeout(2)
            try:
                s.recv(4096)
            except OSError:
                pass
            s.close()
        except OSError:
            pass


# ---------------------------------------------------------------- nginx
NGINX_CONF = """worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log {level};
events {{ worker_connections 256; }}
http {{
    log_format main '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
    log_format timed '$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent rt=$request_time uct="$upstream_connect_time" urt="$upstream_response_time" ua="$http_user_agent"';
    access_log {d}/access.log {fmt};
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    limit_req_zone $binary_remote_addr zone=api:1m rate=20r/s;
    upstream app {{ server 127.0.0.1:{up}; }}
    upstream dead {{ server 127.0.0.1:{dead}; }}
    server {{
        listen 127.0.0.1:{port};
        server_name corpus.local;
        root {d}/www;
        client_max_body_size 16k;
        location / {{ try_files $uri $uri/ =404; }}
        location /files/ {{ autoindex on; }}
        location /api/ {{ limit_req zone=api burst=5 nodelay; proxy_pass http://app/; }}
        location /legacy/ {{ proxy_pass http://dead/; proxy_connect_timeout 1s; }}
        location /old {{ return 301 /files/; }}
        location /private/ {{ deny all; }}
    }}
}}
"""

NGINX_PATHS = ["/", "/index.html", "/files/", "/files/report-{}.csv", "/files/a.txt", "/api/items/{}", "/api/health",
               "/legacy/users/{}", "/old", "/private/keys", "/missing/{}.js", "/favicon.ico", "/static/app.{}.css",
               "/index.html?utm_source=x&id={}", "/files/../../etc/passwd"]


def nginx_logs():
    if not have("nginx"):
        log("log_nginx: nginx missing (apt-get install nginx); skipped")
        return []
    root = _fresh(WORK / "logs/nginx")
    files = []
    runs = [("n1", "main", "info", 3200, 18080), ("n2", "timed", "notice", 2600, 18180)]
    for name, fmt, level, n, port in runs:
        d = _fresh(root / name)
        (d / "tmp").mkdir()
        (d / "www/files").mkdir(parents=True)
        (d / "www/index.html").write_text("<h1>corpus</h1>\n")
        for k in range(6):
            (d / f"www/files/report-{k}.csv").write_text("id,value\n" * (k + 1))
        (d / "www/files/a.txt").write_text("a\n")
        up_port = port + 50
        up = subprocess.Popen(["python3", "-m", "http.server", "--bind", "127.0.0.1", str(up_port), "--directory", str(d / "www")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=BASE_ENV)
        (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, level=level, fmt=fmt, port=port, up=up_port, dead=port + 77))
        out, rc = run(f"nginx -p {d} -c {d}/nginx.conf -e {d}/error.log")
        if rc or not _wait_port(port):
            log(f"log_nginx: nginx did not start: {out}")
            up.terminate()
            continue
        _wait_port(up_port)
        http_traffic(port, NGINX_PATHS, n, f"nginx-{name}")
        raw_requests(port, [b"GARBAGE\r\n\r\n", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                            b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"])
        up.terminate()
        http_traffic(port, ["/api/items/{}", "/api/health"], 60, f"nginx-{name}-down")
        run(f"nginx -p {d} -c {d}/nginx.conf -s reload; sleep 1; nginx -p {d} -c {d}/nginx.conf -s quit; sleep 1")
        up.wait()
        files.append((f"{name}-access.log", d / "access.log", f"nginx 1.22 access log, format {fmt!r}; {n} requests"))
        files.append((f"{name}-error.log", d / "error.log", f"nginx error log at {level}: 404s, deny, 502/504 upstream, limit_req, 413, 400, reload, quit"))
    return files


# ---------------------------------------------------------------- redis
def redis_logs():
    if not (have("redis-server") and have("redis-benchmark") and have("redis-cli")):
        log("log_redis: redis-server/redis-tools missing (apt-get install redis-server); skipped")
        return []
    root = _fresh(WORK / "logs/redis")
    files = []
    m, r = 16379, 16380
    run(f"redis-server --port {m} --bind 127.0.0.1 --dir {root} --dbfilename m.rdb --logfile {root}/master.log "
        f"--loglevel verbose --daemonize yes --pidfile {root}/m.pid --save '60 1000'")
    run(f"redis-server --port {r} --bind 127.0.0.1 --dir {root} --dbfilename r.rdb --logfile {root}/replica.log "
        f"--loglevel verbose --daemonize yes --pidfile {root}/r.pid --replicaof 127.0.0.1 {m}")
    _wait_port(m)
    _wait_port(r)
    cli = f"redis-cli -p {m}"
    steps = [f"redis-benchmark -p {m} -n 8000 -c 12 -q -t set,get,incr,lpush,hset",
             f"redis-benchmark -p {m} -n 3000 -c 60 -q", f"for i in $(seq 1 60); do {cli} SET job:$i $i EX 30 >/dev/null; done",
             f"{cli} BGSAVE", "sleep 2", f"{cli} CONFIG SET maxmemory 20mb", f"{cli} CONFIG SET maxmemory-policy allkeys-lru",
             f"redis-benchmark -p {m} -n 20000 -c 20 -d 512 -q -t set -r 100000",
             f"{cli} -p {r} REPLICAOF NO ONE", "sleep 1", f"{cli} -p {r} REPLICAOF 127.0.0.1 {m}", "sleep 3",
             f"{cli} DEBUG SLEEP 0", f"{cli} BGREWRITEAOF", "sleep 2", f"{cli} SAVE", f"{cli} CLIENT LIST",
             f"redis-benchmark -p {m} -n 4000 -c 50 -q -t ping", f"redis-benchmark -p {m} -n 2000 -c 90 -q -t get,set,lpop,sadd",
             f"{cli} SHUTDOWN NOSAVE", "sleep 3",
             f"redis-server --port {m} --bind 127.0.0.1 --dir {root} --dbfilename m.rdb --logfile {root}/master.log --loglevel verbose --daemonize yes --pidfile {root}/m.pid",
             "sleep 4", f"redis-benchmark -p {m} -n 3000 -c 8 -q -t lrange_100", f"redis-benchmark -p {m} -n 2000 -c 40 -q -t mset,hset,zadd", f"{cli} -p {r} SHUTDOWN", f"{cli} SHUTDOWN"]
    for s in steps:
        run(s + " >/dev/null 2>&1", timeout=180)
    time.sleep(1)
    files.append(("master.log", root / "master.log", "redis 7 master, loglevel verbose: benchmarks, BGSAVE/AOF, maxmemory, replica sync, restart"))
    files.append(("replica.log", root / "replica.log", "redis 7 replica of the master: full syncs, promotion and re-attach, master restart"))
    # a debug-level run
    p = 16390
    run(f"redis-server --port {p} --bind 127.0.0.1 --dir {root} --dbfilename d.rdb --logfile {root}/debug.log --loglevel debug "
        f"--daemonize yes --pidfile {root}/d.pid --hz 20")
    _wait_port(p)
    for s in [f"redis-benchmark -p {p} -n 3000 -c 30 -q -t set,get", "sleep 6", f"redis-cli -p {p} FLUSHALL", "sleep 3",
              f"redis-benchmark -p {p} -n 2000 -c 40 -q -t incr", f"redis-benchmark -p {p} -n 2000 -c 80 -q -t ping,lpush,rpop,hset",
              "sleep 6", f"redis-cli -p {p} SHUTDOWN"]:
        run(s + " >/dev/null 2>&1", timeout=120)
    files.append(("debug.log", root / "debug.log", "redis 7, loglevel debug, hz 20: client churn from redis-benchmark, periodic DB stats"))
    return files


# ---------------------------------------------------------------- sshd
def sshd_logs():
    sshd = shutil.which("sshd", path=BASE_ENV["PATH"] + ":/usr/sbin") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
    if not (sshd and have("ssh") and have("ssh-keygen")):
        log("log_sshd: openssh-server/client missing; skipped")
        return []
    root = _fresh(WORK / "logs/sshd")
    Path("/run/sshd").mkdir(exist_ok=True)
    run(f"ssh-keygen -q -t ed25519 -N '' -f {root}/host_ed25519 && ssh-keygen -q -t ed25519 -N '' -f {root}/good && "
        f"ssh-keygen -q -t ed25519 -N '' -f {root}/bad && ssh-keygen -q -t rsa -b 2048 -N '' -f {root}/rsa && "
        f"cat {root}/good.pub {root}/rsa.pub > {root}/authorized_keys && chmod 600 {root}/authorized_keys")
    files = []
    for name, level, port in [("s1", "VERBOSE", 12222), ("s2", "DEBUG1", 12223)]:
        logf = root / f"{name}.log"
        cfg = (f"-p {port} -o ListenAddress=127.0.0.1 -h {root}/host_ed25519 -o PidFile={root}/{name}.pid -o LogLevel={level} "
               f"-o AuthorizedKeysFile={root}/authorized_keys -o StrictModes=no -o PasswordAuthentication=no -o UsePAM=no "
               f"-o MaxAuthTries=3 -E {logf}")
        p = subprocess.Popen([sshd, "-D"] + cfg.split(), env=BASE_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(port)
        base = f"ssh -p {port} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"
        rnd = random.Random(name)
        users = ["root", "admin", "deploy", "git", "ubuntu", "postgres", "oracle", "test"]
        for i in range(170 if level == "VERBOSE" else 45):
            k = rnd.random()
            if k < 0.35:
                c = f"{base} -i {root}/good root@127.0.0.1 'echo {i}; uname -s'"
            elif k < 0.5:
                c = f"{base} -i {root}/rsa root@127.0.0.1 true"
            elif k < 0.75:
                c = f"{base} -i {root}/bad {rnd.choice(users)}@127.0.0.1 true"
            elif k < 0.9:
                c = f"{base} -o PreferredAuthentications=none nobody{rnd.randint(1, 99)}@127.0.0.1 true"
            else:
                c = f"{base} -i {root}/good -o Ciphers=aes128-ctr root@127.0.0.1 'exit 3'"
            run(c + " >/dev/null 2>&1", timeout=30)
        raw_requests(port, [b"SSH-2.0-scanner\r\n", b"GET / HTTP/1.0\r\n\r\n", b""])
        time.sleep(1)
        p.terminate()
        p.wait()
        files.append((f"{name}.log", logf, f"OpenSSH sshd on 127.0.0.1:{port}, LogLevel {level}: key logins, wrong keys, invalid users, probes"))
    return files


# ---------------------------------------------------------------- python http.server and Flask
FLASK_APP = '''import logging, random, sqlite3
from flask import Flask, abort, jsonify, request

logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
log = logging.getLogger("orders")
app = Flask(__name__)
DB = sqlite3.connect(":memory:", check_same_thread=False)
DB.execute("create table orders (id integer primary key, sku text not null, qty integer check (qty > 0))")

@app.route("/orders", methods=["POST"])
def create():
    data = request.get_json(force=True, silent=True) or {}
    log.info("create order sku=%s qty=%s from %s", data.get("sku"), data.get("qty"), request.remote_addr)
    cur = DB.execute("insert into orders (sku, qty) values (?, ?)", (data.get("sku"), data.get("qty")))
    return jsonify(id=cur.lastrowid), 201

@app.route("/orders/<int:oid>")
def get(oid):
    row = DB.execute("select id, sku, qty from orders where id = ?", (oid,)).fetchone()
    if row is None:
        log.warning("order %d not found", oid)
        abort(404)
    return jsonify(id=row[0], sku=row[1], qty=row[2])

@app.route("/report")
def report():
    n = int(request.args.get("n", "10"))
    log.debug("report for last %d orders", n)
    rows = DB.execute("select qty from orders order by id desc limit ?", (n,)).fetchall()
    return jsonify(avg=sum(r[0] for r in rows) / len(rows))

if __name__ == "__main__":
    import sys
    app.run(host="127.0.0.1", port=int(sys.argv[1]), debug=False)
'''


def _py_server_traffic(port, n, seed, flask):
    rnd = random.Random(seed)
    for i in range(n):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            if flask:
                k = rnd.random()
                if k < 0.4:
                    qty = rnd.choice([1, 2, 5, 0, -1, "x", None])
                    sku = rnd.choice(["A-1", "B-22", "C-333", None])
                    import json
                    c.request("POST", "/orders", body=json.dumps({"sku": sku, "qty": qty}), headers={"User-Agent": rnd.choice(UAS)})
                elif k < 0.8:
                    c.request("GET", f"/orders/{rnd.randint(1, 120)}")
                elif k < 0.95:
                    c.request("GET", f"/report?n={rnd.choice(['5', '20', '0', 'abc'])}")
                else:
                    c.request("DELETE", "/orders/1")
            else:
                path = rnd.choice(["/", "/index.html", "/docs/", "/docs/guide.txt", "/missing.js", "/docs/../secret",
                                   "/api/v{}/status".format(rnd.randint(1, 3)), "/favicon.ico", "/docs/data-{}.json".format(rnd.randint(1, 9))])
                c.request(rnd.choice(["GET"] * 8 + ["HEAD", "POST"]), path, headers={"User-Agent": rnd.choice(UAS)})
            c.getresponse().read()
        except Exception:
            pass
        c.close()


def python_logs(flask: bool):
    name = "flask" if flask else "httpserver"
    root = _fresh(WORK / f"logs/{name}")
    files = []
    for j, (n, port) in enumerate([(2600 if not flask else 900, 14000 + 20 * flask), (1900 if not flask else 600, 14010 + 20 * flask)]):
        d = _fresh(root / f"run{j + 1}")
        logf = root / f"run{j + 1}.log"
        if flask:
            (d / "app.py").write_text(FLASK_APP)
            cmd = ["python3", str(d / "app.py"), str(port)]
        else:
            (d / "docs").mkdir()
            (d / "index.html").write_text("<h1>docs</h1>\n")
            (d / "docs/guide.txt").write_text("guide\n")
            for k in range(1, 6):
                (d / f"docs/data-{k}.json").write_text("{}\n")
            cmd = ["python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", str(port), "--directory", str(d)]
        with open(logf, "w") as fh:
            p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=dict(BASE_ENV, PYTHONUNBUFFERED="1"), cwd=d)
            if _wait_port(port):
                _py_server_traffic(port, n, f"{name}{j}", flask)
                if not flask:
                    raw_requests(port, [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x16\x03\x01\x00"])
            p.terminate()
            p.wait()
        files.append((f"run{j + 1}.log", logf, ("Flask 3 / Werkzeug dev server with app logging at DEBUG (tracebacks on 500s)"
                                                if flask else "python3 -m http.server access log on stderr") + f"; {n} requests"))
    return files
