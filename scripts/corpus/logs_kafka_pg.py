"""Runs the real Kafka broker (deploy/kafka/broker.sh) and a PostgreSQL cluster with real traffic on
127.0.0.1 and returns their log files."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from common import REPO, WORK, have, log, q, run

KDIR = REPO / "deploy/kafka"
BROKER = KDIR / "broker.sh"


def _java(cls, args):
    return f"nice -n 10 java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp {q(str(KDIR / 'libs') + '/*')} -Dlog4j2.level=warn {cls} {args}"


def _kafka_traffic(b, rf, tag, three=False):
    T = "org.apache.kafka.tools."
    steps = [
        (T + "TopicCommand", f"--bootstrap-server {b} --create --topic {tag}-orders --partitions 6 --replication-factor {rf}"),
        (T + "TopicCommand", f"--bootstrap-server {b} --create --topic {tag}-events --partitions 3 --replication-factor {rf} --config cleanup.policy=compact --config segment.ms=60000"),
        (T + "TopicCommand", f"--bootstrap-server {b} --create --topic {tag}-orders --partitions 6 --replication-factor {rf}"),
        (T + "ProducerPerformance", f"--topic {tag}-orders --num-records 40000 --record-size 300 --throughput -1 --producer-props bootstrap.servers={b} acks=all linger.ms=5"),
        (T + "ProducerPerformance", f"--topic {tag}-events --num-records 6000 --record-size 120 --throughput 4000 --transactional-id {tag}-tx-1 --transaction-duration-ms 300 --producer-props bootstrap.servers={b}"),
        (T + "consumer.ConsoleConsumer", f"--bootstrap-server {b} --topic {tag}-orders --from-beginning --max-messages 3000 --group {tag}-g-console"),
        (T + "ConsumerPerformance", f"--bootstrap-server {b} --topic {tag}-orders --messages 20000 --group {tag}-g-perf"),
        (T + "consumer.group.ConsumerGroupCommand", f"--bootstrap-server {b} --describe --group {tag}-g-console"),
        ("kafka.admin.ConfigCommand", f"--bootstrap-server {b} --alter --entity-type topics --entity-name {tag}-orders --add-config retention.ms=3600000,max.message.bytes=2097152"),
        (T + "TopicCommand", f"--bootstrap-server {b} --alter --topic {tag}-orders --partitions 8"),
        (T + "consumer.group.ConsumerGroupCommand", f"--bootstrap-server {b} --delete --group {tag}-g-perf"),
        (T + "TopicCommand", f"--bootstrap-server {b} --delete --topic {tag}-events"),
    ]
    if three:
        steps.append((T + "LeaderElectionCommand", f"--bootstrap-server {b} --election-type preferred --all-topic-partitions"))
    for cls, args in steps:
        run(_java(cls, args) + " > /dev/null 2>&1", timeout=300)


def _set_info_logging(nd: Path):
    p = nd / "log4j2.properties"
    txt = p.read_text().replace("logger.kafka.level = warn", "logger.kafka.level = info").replace(
        "logger.state.level = warn", "logger.state.level = info")
    p.write_text(txt)


def kafka_logs():
    if not (have("java") and BROKER.exists()):
        log("log_kafka: java or deploy/kafka/broker.sh missing; skipped")
        return []
    out, rc = run(f"bash {BROKER} fetch", timeout=900)
    if rc:
        log(f"log_kafka: broker.sh fetch failed; skipped:\n{out[-2000:]}")
        return []
    root = WORK / "logs/kafka"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    files = []
    env = {"KOMPRESS_BROKER_HEAP": "-Xmx384m -Xms64m"}
    # run 1: one node, the broker's own logging settings, then INFO for org.apache.kafka after a restart
    d1 = root / "b1"
    out, rc = run(f"nice -n 10 bash {BROKER} start --dir {d1} --port-base 29092", env=env, timeout=300)
    if rc:
        log(f"log_kafka: start failed; skipped:\n{out[-3000:]}")
        return []
    b = out.strip().splitlines()[-1]
    _kafka_traffic(b, 1, "r1")
    time.sleep(2)
    shutil.copy(d1 / "node1/server.log", root / "b1-node1-phase1-server.log")
    files.append(("b1-node1-phase1-server.log", root / "b1-node1-phase1-server.log",
                  "1 node, broker.sh logging (kafka.* INFO, org.apache.kafka WARN); topics, producer/consumer perf, txns, configs"))
    run(f"bash {BROKER} stop-node 1 --dir {d1}")
    _set_info_logging(d1 / "node1")
    run(f"nice -n 10 bash {BROKER} start-node 1 --dir {d1}", env=env, timeout=300)
    _kafka_traffic(b, 1, "r1b")
    run(f"bash {BROKER} stop --dir {d1}", timeout=120)
    shutil.copy(d1 / "node1/server.log", root / "b1-node1-phase2-server.log")
    files.append(("b1-node1-phase2-server.log", root / "b1-node1-phase2-server.log",
                  "same node after SIGKILL + restart with org.apache.kafka and state.change at INFO; same traffic; clean stop"))
    # run 2: three nodes, INFO everywhere after a rolling restart, a node killed and brought back
    d3 = root / "b3"
    out, rc = run(f"nice -n 10 bash {BROKER} start --brokers 3 --dir {d3} --port-base 29192", env=env, timeout=400)
    if rc:
        log(f"log_kafka: 3-node start failed:\n{out[-3000:]}")
        return files
    b3 = out.strip().splitlines()[-1]
    _kafka_traffic(b3, 3, "r2", three=True)
    # node 2's log up to its SIGKILL (nodes 1 and 3 keep one log file for the whole run, below)
    shutil.copy(d3 / "node2/server.log", root / "b3-node2-phase1-server.log")
    files.append(("b3-node2-phase1-server.log", root / "b3-node2-phase1-server.log",
                  "3-node KRaft cluster, broker.sh logging; topics RF 3, perf producer/consumer, txns, preferred leader election; then SIGKILL"))
    run(f"bash {BROKER} stop-node 2 --dir {d3}")
    for n in (1, 3):
        _set_info_logging(d3 / f"node{n}")
    _set_info_logging(d3 / "node2")
    run(_java("org.apache.kafka.tools.ProducerPerformance", f"--topic r2-orders --num-records 8000 --record-size 200 --throughput -1 --producer-props bootstrap.servers={b3} acks=all") + " >/dev/null 2>&1", timeout=300)
    run(f"nice -n 10 bash {BROKER} start-node 2 --dir {d3}", env=env, timeout=300)
    _kafka_traffic(b3, 3, "r3", three=True)
    run(f"bash {BROKER} stop --dir {d3}", timeout=180)
    for n in (1, 3):
        shutil.copy(d3 / f"node{n}/server.log", root / f"b3-node{n}-all-server.log")
    shutil.copy(d3 / "node2/server.log", root / "b3-node2-restart-server.log")
    files.append(("b3-node1-all-server.log", root / "b3-node1-all-server.log", "node 1 of 3 through node 2's SIGKILL, its restart with INFO logging, more traffic, controlled shutdown"))
    files.append(("b3-node2-restart-server.log", root / "b3-node2-restart-server.log", "node 2 restarted after SIGKILL with org.apache.kafka + state.change INFO; traffic; controlled shutdown"))
    files.append(("b3-node3-all-server.log", root / "b3-node3-all-server.log", "node 3 of 3 through node 2's loss and return, controlled shutdown"))
    return files


# ---------------------------------------------------------------- postgres
PG_ERRORS = r'''
\set ON_ERROR_STOP 0
CREATE TABLE IF NOT EXISTS jobs (id serial PRIMARY KEY, name text NOT NULL UNIQUE, owner int, created timestamptz DEFAULT now());
CREATE TABLE IF NOT EXISTS owners (id int PRIMARY KEY);
INSERT INTO jobs (name) VALUES ('build'), ('test'), ('deploy');
INSERT INTO jobs (name) VALUES ('build');
INSERT INTO jobs (name) VALUES (NULL);
ALTER TABLE jobs ADD CONSTRAINT jobs_owner_fk FOREIGN KEY (owner) REFERENCES owners(id);
INSERT INTO jobs (name, owner) VALUES ('lint', 42);
SELECT * FROM job_runs;
SELCT 1;
SELECT 1/0;
SELECT 'abc'::int;
SELECT nonexistent_fn(1, 'x');
SELECT missing_col FROM jobs;
SELECT id, name FROM jobs WHERE created > now() - interval '1 hour' ORDER BY id;
UPDATE jobs SET owner = 7 WHERE name = 'test';
SET statement_timeout = '150ms';
SELECT pg_sleep(1);
RESET statement_timeout;
SET work_mem = '64kB';
SELECT g, md5(g::text) FROM generate_series(1, 150000) g ORDER BY md5(g::text) DESC LIMIT 3;
RESET work_mem;
CREATE ROLE reader LOGIN;
SET ROLE reader;
SELECT * FROM jobs;
DELETE FROM jobs;
RESET ROLE;
BEGIN; SAVEPOINT s1; INSERT INTO jobs (name) VALUES ('test'); ROLLBACK TO s1; COMMIT;
VACUUM (VERBOSE, ANALYZE) jobs;
CHECKPOINT;
DROP TABLE jobs_archive;
COPY jobs FROM '/nonexistent/jobs.csv' CSV;
'''


def _pg_deadlock(psql):
    a = f"{psql} -c \"BEGIN; UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1; SELECT pg_sleep(0.6); UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 2; COMMIT;\""
    b = f"{psql} -c \"BEGIN; UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 2; SELECT pg_sleep(0.3); UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1; COMMIT;\""
    return f"({a} &) ; sleep 0.1; {b}; sleep 1"


PG_RUNS = [
    ("pg1", "-c log_line_prefix='%m [%p] %q%u@%d ' -c log_statement=all -c log_connections=on -c log_disconnections=on "
            "-c log_duration=on -c log_checkpoints=on -c log_lock_waits=on -c deadlock_timeout=200ms "
            "-c log_autovacuum_min_duration=0 -c log_temp_files=0",
     "Debian-style prefix; log_statement=all, connections, durations, checkpoints, lock waits, temp files", "-c 4 -j 2 -T 5"),
    ("pg2", "-c log_line_prefix='%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ' -c log_min_duration_statement=0 "
            "-c log_error_verbosity=verbose -c log_connections=on -c log_disconnections=on -c log_lock_waits=on "
            "-c deadlock_timeout=200ms -c log_temp_files=0",
     "pgBadger-style prefix; log_min_duration_statement=0, verbose errors (LOCATION lines)", "-c 6 -j 2 -T 2 -M prepared"),
    ("pg3", "-c log_line_prefix='%m %c %x %e [%a] ' -c log_statement=mod -c log_min_error_statement=error "
            "-c log_checkpoints=on -c checkpoint_timeout=30s -c log_autovacuum_min_duration=0 -c autovacuum_naptime=1 "
            "-c log_connections=on",
     "session id / xid / SQLSTATE prefix; log_statement=mod; autovacuum every second", "-c 8 -j 2 -T 6 -N"),
]


def postgres_logs():
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins or not have("runuser"):
        log("log_postgres: PostgreSQL server binaries (apt-get install postgresql) or runuser missing; skipped")
        return []
    b = bins[-1]
    root = WORK / "logs/postgres"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    run(f"chmod 755 {WORK} {WORK / 'logs'}; chown postgres {root}")
    (root / "errors.sql").write_text(PG_ERRORS)
    files = []
    for i, (name, opts, desc, bench) in enumerate(PG_RUNS):
        port = 25432 + i
        d = root / name
        R = "runuser -u postgres --"
        out, rc = run(f"{R} {b}/initdb -D {d} -U postgres --auth=trust -E UTF8 --locale=C >/dev/null && "
                      f"echo 'host all appuser 127.0.0.1/32 scram-sha-256' > /tmp/kc_hba && cat {d}/pg_hba.conf >> /tmp/kc_hba && "
                      f"cp /tmp/kc_hba {d}/pg_hba.conf && rm /tmp/kc_hba && chown postgres {d}/pg_hba.conf && "
                      f"{R} {b}/pg_ctl -D {d} -l {root}/{name}.log -w -o \"-c listen_addresses=127.0.0.1 -p {port} "
                      f"-k {root} {opts}\" start", timeout=120)
        if rc:
            log(f"log_postgres: {name} did not start:\n{out[-2000:]}")
            continue
        psql = f"psql -h 127.0.0.1 -p {port} -U postgres"
        app = f"{psql} -d app"
        cmds = [
            f"{psql} -c 'CREATE DATABASE app'",
            f"{psql} -c \"CREATE ROLE appuser LOGIN PASSWORD 'corpus-test-only'\"",
            f"pgbench -h 127.0.0.1 -p {port} -U postgres -i -s 2 app",
            f"PGAPPNAME=pgbench pgbench -h 127.0.0.1 -p {port} -U postgres {bench} app",
            f"{app} -f {root}/errors.sql",
            _pg_deadlock(app),
            f"{psql} -d nope -c 'select 1'",
            f"psql -h 127.0.0.1 -p {port} -U ghost -d app -c 'select 1'",
            f"PGPASSWORD=wrong psql -h 127.0.0.1 -p {port} -U appuser -d app -c 'select 1'",
            f"PGPASSWORD=corpus-test-only psql -h 127.0.0.1 -p {port} -U appuser -d app -c 'select count(*) from pgbench_branches'",
            "for i in $(seq 1 40); do " + f"PGAPPNAME=worker-$i {app} -c \"SELECT abalance FROM pgbench_accounts WHERE aid = $((i * 37))\" >/dev/null; done",
            f"{app} -c 'LOCK TABLE pgbench_tellers IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1)' & sleep 0.2; {app} -c 'SET lock_timeout = 400; UPDATE pgbench_tellers SET tbalance = 0 WHERE tid = 1'; wait",
            f"{app} -c 'CHECKPOINT'",
        ]
        for c in cmds:
            run(c + " >/dev/null 2>&1", timeout=180)
        run(f"{R} {b}/pg_ctl -D {d} -m fast -w stop", timeout=120)
        files.append((f"{name}.log", root / f"{name}.log", desc))
    return files
