"""Server-log kinds: real servers run here, real loopback traffic, windows of their logs."""

from __future__ import annotations

from pathlib import Path

from logs_drain import log_cases
from logs_kafka_pg import kafka_logs, postgres_logs
from logs_other import nginx_logs, python_logs, redis_logs, sshd_logs

PRODUCED = "log produced on this machine by running {sw} here with traffic from the corpus builder (no third-party content)"


def _alloc(files, target):
    sizes = {n: max(1, Path(p).stat().st_size) for n, p, _ in files if Path(p).is_file()}
    tot = sum(sizes.values()) or 1
    return {n: max(1, round(target * s / tot)) for n, s in sizes.items()}


def _kind(kind, runner, target, sw):
    def fn():
        files = runner()
        if not files:
            return []
        per = _alloc(files, target)
        cases = log_cases(kind, files, per, PRODUCED.format(sw=sw))
        return cases
    return fn


SOURCES = {
    "log_kafka": _kind("log_kafka", kafka_logs, 20, "Apache Kafka 4.1.1 (Apache-2.0)"),
    "log_postgres": _kind("log_postgres", postgres_logs, 20, "PostgreSQL 15 (PostgreSQL licence)"),
    "log_nginx": _kind("log_nginx", nginx_logs, 18, "nginx 1.22 (BSD-2-Clause)"),
    "log_redis": _kind("log_redis", redis_logs, 16, "Redis 7.0 (BSD-3-Clause)"),
    "log_sshd": _kind("log_sshd", sshd_logs, 16, "OpenSSH 9.2 sshd (BSD-style)"),
    "log_httpserver": _kind("log_httpserver", lambda: python_logs(False), 17, "Python 3.11 http.server (PSF licence)"),
    "log_flask": _kind("log_flask", lambda: python_logs(True), 16, "Flask/Werkzeug (BSD-3-Clause) and a small app written for the corpus"),
}
