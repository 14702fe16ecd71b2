#!/usr/bin/env bash
# Start, stop or show the local services the project needs, all on loopback:
#   kafka     Apache Kafka 4.1.2, KRaft, its jars assembled from Maven Central
#             with scripts/services/kafka/pom.xml: one node, or with
#             KAFKA_NODES=3 a cluster of three (ports + 100 and + 200 for
#             nodes 2 and 3; internal topics replicated three times, two
#             in sync)
#   redis     Debian's redis-server
#   postgres  Debian's PostgreSQL: a private cluster, not the system one
#
# Usage: scripts/services/services.sh start|stop|status [kafka|redis|postgres]
#
# start and stop are idempotent and need no input. status exits 0 only when
# all three services are up. Data, logs and pid files live in SERVICES_DIR
# (default: .services/ at the repository root). Ports come from KAFKA_PORT
# (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_SASL_PORT (9094), REDIS_PORT
# (6379) and POSTGRES_PORT (5432). Kafka's KAFKA_SASL_PORT listener demands
# SASL_PLAINTEXT authentication (PLAIN with user fraud, password fraud, or
# SCRAM-SHA-256 with users created through the admin API) for the tests of
# the clients' security settings; KAFKA_PORT stays plain. PYTHON (default .venv/bin/python) runs the Kafka readiness check,
# which waits up to KAFKA_READY_TIMEOUT (90) seconds.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SERVICES_DIR=${SERVICES_DIR:-$ROOT/.services}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_SASL_PORT=${KAFKA_SASL_PORT:-9094}
REDIS_PORT=${REDIS_PORT:-6379}
POSTGRES_PORT=${POSTGRES_PORT:-5432}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
KAFKA_READY_TIMEOUT=${KAFKA_READY_TIMEOUT:-90}
KAFKA_NODES=${KAFKA_NODES:-1}

mkdir -p "$SERVICES_DIR"
SERVICES_DIR=$(cd "$SERVICES_DIR" && pwd)
KAFKA=$SERVICES_DIR/kafka REDIS=$SERVICES_DIR/redis

# ------------------------------------------------------------------ helpers

say() { printf '%-9s %s\n' "$1:" "$2"; }
die() { printf 'services.sh: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A zombie (exited, not yet reaped by init) counts as gone.
alive() { local s; s=$(ps -o stat= -p "$1") && [[ $s != Z* ]]; }

# Runs "${@:2}" every 0.1 s until it succeeds or $1 seconds have passed.
wait_for() {
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 0.1
  done
}

# Prints the pid in pid file $1 when that process is alive and its command
# line contains $2. Otherwise the file is stale (say, after a reboot): it is
# removed and the function fails.
live_pid() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(head -n 1 "$1" | tr -dc 0-9)
  if [[ -n $pid ]] && alive "$pid" &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"; then
    echo "$pid"
    return 0
  fi
  rm -f "$1"
  return 1
}

# Stops service $1 whose pid file is $2 (command line containing $3): sends
# SIGTERM, waits up to 60 s for a clean exit, then sends SIGKILL.
stop_pid() {
  local pid t0
  if ! pid=$(live_pid "$2" "$3"); then say "$1" "already stopped"; return; fi
  t0=$(now)
  kill -TERM "$pid"
  if wait_for 60 eval "! alive $pid"; then
    say "$1" "stopped in $(since "$t0")"
  else
    kill -KILL "$pid"
    say "$1" "killed: still running 60 s after SIGTERM"
  fi
  rm -f "$2"
}

# Fails for service $3 when port $1 (set by variable $2) is taken.
port_free() {
  port_open "$1" || return 0
  die "$3: port $1 on 127.0.0.1 is already in use by another program;" \
    "stop that program or set $2 to a free port"
}

# Installs Debian package $1. A temporary policy-rc.d keeps the package from
# starting its own system service on the ports used here.
apt_install() {
  local policy=/usr/sbin/policy-rc.d added='' rc=0
  [[ $EUID -eq 0 ]] || die "$1 is missing: as root, apt-get install -y $1"
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -q "$1" || { apt-get update -q &&
    apt-get install -y -q "$1"; }; } >>"$SERVICES_DIR/apt.log" 2>&1 || rc=$?
  [[ -z $added ]] || rm -f "$policy"
  ((rc == 0)) || die "could not install $1 (see $SERVICES_DIR/apt.log)"
  say "$1" "installed with apt-get"
}

# -------------------------------------------------------------------- kafka

# With KAFKA_NODES=3, three nodes (each broker and controller, a static
# three-voter quorum); node n listens on each port + 100 * (n - 1) and
# keeps its files in $KAFKA/node-n (node 1 in $KAFKA, as a single node).
[[ $KAFKA_NODES == 1 || $KAFKA_NODES == 3 ]] ||
  die "KAFKA_NODES must be 1 or 3, got '$KAFKA_NODES'"
node_dir() { if (($1 == 1)); then echo "$KAFKA"; else echo "$KAFKA/node-$1"; fi; }
node_port() { echo $(($2 + 100 * ($1 - 1))); } # node, base port
NODES=$(seq 1 "$KAFKA_NODES")
KAFKA_JVM=(-cp "$KAFKA/libs/*"
  -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties")
node_cmd() { echo "kafka.Kafka $(node_dir "$1")/server.properties"; }
node_pid() { live_pid "$(node_dir "$1")/kafka.pid" "$(node_cmd "$1")"; }
kafka_pid() { node_pid 1; }
node_label() { if ((KAFKA_NODES == 1)); then echo kafka; else echo "kafka $1"; fi; }

# Copies the broker's jars from Maven Central (cached in ~/.m2) into
# $KAFKA/libs, unless its stamp shows that pom.xml is unchanged since.
kafka_assemble() {
  local stamp=$KAFKA/libs/.complete hash t0
  hash=$(sha256sum "$HERE/kafka/pom.xml" | cut -d ' ' -f 1)
  [[ -f $stamp && $(<"$stamp") == "$hash" ]] && return
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  t0=$(now)
  rm -rf "$KAFKA/libs"
  mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA/libs" >"$KAFKA/logs/maven.log" 2>&1 || {
    tail -n 30 "$KAFKA/logs/maven.log" >&2
    die "kafka: maven failed (see $KAFKA/logs/maven.log)"
  }
  echo "$hash" >"$stamp"
  say kafka "jars assembled from Maven Central in $(since "$t0")"
}

# The node's server.properties from the template: its ports, its id, the
# quorum (one dynamic voter, or three static ones) and the replication of
# the internal topics (1, or 3 with 2 in sync).
kafka_configure() {
  local n=$1 dir quorum replicas=1 min_isr=1 voters='' v
  dir=$(node_dir "$n")
  if ((KAFKA_NODES == 1)); then
    quorum="controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT"
  else
    for v in $NODES; do
      voters+="${voters:+,}$v@127.0.0.1:$(node_port "$v" "$KAFKA_CONTROLLER_PORT")"
    done
    quorum="controller.quorum.voters=$voters" replicas=3 min_isr=2
  fi
  sed -e "s|@KAFKA_PORT@|$(node_port "$n" "$KAFKA_PORT")|g" \
    -e "s|@KAFKA_CONTROLLER_PORT@|$(node_port "$n" "$KAFKA_CONTROLLER_PORT")|g" \
    -e "s|@KAFKA_SASL_PORT@|$(node_port "$n" "$KAFKA_SASL_PORT")|g" \
    -e "s|@KAFKA_DATA_DIR@|$dir/data|g" -e "s|@NODE_ID@|$n|g" \
    -e "s|@QUORUM@|$quorum|g" -e "s|@REPLICAS@|$replicas|g" \
    -e "s|@MIN_ISR@|$min_isr|g" \
    "$HERE/kafka/server.properties" >"$dir/server.properties"
  ((KAFKA_NODES == 1)) || cat >>"$dir/server.properties" <<'EOF'

# A node that stops heartbeating is fenced after 5 s (Kafka's default is
# 9 s), so the partitions it led get new leaders sooner.
broker.session.timeout.ms=5000
broker.heartbeat.interval.ms=1000
EOF
}

# Formats a node's storage once: a single-voter dynamic quorum, or one of
# three static voters sharing one cluster id. Storage formatted for the
# other node count is refused: its quorum cannot change in place.
kafka_format() {
  local n=$1 dir id_file=$KAFKA/cluster-id standalone=()
  dir=$(node_dir "$n")
  if [[ -f $dir/data/meta.properties ]]; then
    [[ $(cat "$KAFKA/nodes" 2>/dev/null || echo 1) == "$KAFKA_NODES" ]] ||
      die "kafka: $KAFKA holds a cluster of $(cat "$KAFKA/nodes" 2>/dev/null \
|| echo 1) node(s), not $KAFKA_NODES; stop it and remove $KAFKA/data" \
        "and $KAFKA/node-* to change KAFKA_NODES"
    return
  fi
  # The tool logs through the broker's Log4j configuration: into the
  # node's log directory, not one named after the unset property.
  local tool=(java -Dkafka.logs.dir="$dir/logs" "${KAFKA_JVM[@]}" kafka.tools.StorageTool)
  [[ -s $id_file ]] || "${tool[@]}" \
    random-uuid | tail -n 1 >"$id_file"
  ((KAFKA_NODES == 1)) && standalone=(--standalone)
  "${tool[@]}" format "${standalone[@]}" \
    --cluster-id "$(<"$id_file")" --config "$dir/server.properties" \
    >"$dir/logs/format.log" 2>&1 ||
    die "kafka: storage format failed (see $dir/logs/format.log)"
  echo "$KAFKA_NODES" >"$KAFKA/nodes"
  say "$(node_label "$n")" "storage formatted, cluster id $(<"$id_file")"
}

# Asks node $1 for metadata until it answers; never a fixed sleep.
kafka_ready() {
  local n=$1; shift
  "$PYTHON" "$HERE/kafka_ready.py" \
    --bootstrap "127.0.0.1:$(node_port "$n" "$KAFKA_PORT")" \
    --timeout "$KAFKA_READY_TIMEOUT" --log "$(node_dir "$n")/logs/server.log" \
    "$@" || die "kafka: node $n not ready (logs in $(node_dir "$n")/logs)"
}

# Launches node $1's java in the background (setsid: it must outlive this
# shell and its process group) and records its pid.
kafka_launch() {
  local n=$1 dir
  dir=$(node_dir "$n")
  setsid nohup java -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Xlog:gc*:file="$dir/logs/gc.log":time,tags:filecount=3,filesize=10M \
    -Dkafka.logs.dir="$dir/logs" "${KAFKA_JVM[@]}" \
    kafka.Kafka "$dir/server.properties" </dev/null >"$dir/logs/kafka.out" 2>&1 &
  echo "$!" >"$dir/kafka.pid"
}

kafka_start() {
  local n pid t0 launched started=()
  [[ -x $PYTHON ]] || die "kafka: no Python at $PYTHON (make it or set PYTHON)"
  t0=$(now)
  mkdir -p "$KAFKA/logs"
  for n in $NODES; do
    if pid=$(node_pid "$n"); then continue; fi
    port_free "$(node_port "$n" "$KAFKA_PORT")" KAFKA_PORT kafka
    port_free "$(node_port "$n" "$KAFKA_CONTROLLER_PORT")" KAFKA_CONTROLLER_PORT kafka
    port_free "$(node_port "$n" "$KAFKA_SASL_PORT")" KAFKA_SASL_PORT kafka
    mkdir -p "$(node_dir "$n")/logs" "$(node_dir "$n")/data"
    kafka_assemble
    kafka_configure "$n"
    kafka_format "$n"
    started+=("$n")
  done
  # All nodes at once: three voters elect a leader only once two are up.
  launched=$(now)
  for n in "${started[@]}"; do kafka_launch "$n"; done
  for n in $NODES; do
    pid=$(node_pid "$n") || die "kafka: node $n did not start (see $(node_dir "$n")/logs)"
    if [[ " ${started[*]} " == *" $n "* ]]; then
      kafka_ready "$n" --pid "$pid" --started-at "$launched"
      say "$(node_label "$n")" "started in $(since "$t0") (pid $pid, 127.0.0.1:$(node_port "$n" "$KAFKA_PORT"))"
    else
      kafka_ready "$n" --pid "$pid" >/dev/null
      say "$(node_label "$n")" "already running (pid $pid, 127.0.0.1:$(node_port "$n" "$KAFKA_PORT"))"
      port_open "$(node_port "$n" "$KAFKA_SASL_PORT")" || say "$(node_label "$n")" "no SASL \
listener on port $(node_port "$n" "$KAFKA_SASL_PORT") (started by an older services.sh): stop and start it"
    fi
  done
}

# -------------------------------------------------------------------- redis

redis_pid() { live_pid "$REDIS/redis.pid" redis-server; }
redis_ping() { [[ $(redis-cli -p "$REDIS_PORT" ping) == PONG ]]; }

redis_start() {
  local pid t0
  command -v redis-server >/dev/null || apt_install redis-server
  if pid=$(redis_pid); then
    say redis "already running (pid $pid, 127.0.0.1:$REDIS_PORT)"
    return
  fi
  port_free "$REDIS_PORT" REDIS_PORT redis
  t0=$(now)
  mkdir -p "$REDIS"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
    --pidfile "$REDIS/redis.pid" --dir "$REDIS" \
    --logfile "$REDIS/redis.log" --save '' --appendonly no
  { wait_for 30 redis_ping && wait_for 5 redis_pid; } ||
    die "redis: no PONG on port $REDIS_PORT within 30 s (see $REDIS/redis.log)"
  pid=$(redis_pid)
  say redis "started in $(since "$t0") (pid $pid, 127.0.0.1:$REDIS_PORT)"
}

# ----------------------------------------------------------------- postgres

# Sets PG, PGDATA_DIR and PGSOCK. As root, PostgreSQL runs as the postgres
# user; when that user cannot reach SERVICES_DIR (a clone under /root, whose
# mode is 700), the cluster lives in a folder of its own under /var/lib,
# named after SERVICES_DIR so that each checkout keeps its own cluster.
pg_locate() {
  PG=$SERVICES_DIR/postgres
  if [[ $EUID -eq 0 ]] && id postgres >/dev/null 2>&1 &&
    ! runuser -u postgres -- test -x "$SERVICES_DIR"; then
    PG=/var/lib/fraud-detection/$(printf %s "$SERVICES_DIR" |
      sha256sum | cut -c 1-12)/postgres
  fi
  PGDATA_DIR=$PG/data PGSOCK=$PG/run
}
pg_locate

# The newest installed server, e.g. /usr/lib/postgresql/15/bin.
pg_bin() { compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1; }
pg_pid() { live_pid "$PGDATA_DIR/postmaster.pid" "$PGDATA_DIR"; }
# PostgreSQL refuses to run as root: as root, run it as the postgres user.
as_pg() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Creates (or updates) role fraud, password fraud, and its database fraud.
pg_setup() {
  "$1/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$POSTGRES_PORT" \
    -U postgres -d postgres >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fraud') THEN
    CREATE ROLE fraud;
  END IF;
END $$;
ALTER ROLE fraud LOGIN CREATEDB PASSWORD 'fraud';
SELECT 'CREATE DATABASE fraud OWNER fraud'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'fraud') \gexec
SQL
}

pg_start() {
  local bin pid t0
  [[ -n $(pg_bin) ]] || { apt_install postgresql && pg_locate; }
  bin=$(pg_bin)
  if pid=$(pg_pid); then
    pg_setup "$bin"
    say postgres "already running (pid $pid, 127.0.0.1:$POSTGRES_PORT)"
    return
  fi
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT"; then
    die "postgres: port $POSTGRES_PORT is already used by another PostgreSQL" \
      "(a Debian system cluster?); stop it or set POSTGRES_PORT to a free port"
  fi
  port_free "$POSTGRES_PORT" POSTGRES_PORT postgres
  t0=$(now)
  mkdir -p "$PG" "$PGSOCK"
  if [[ $EUID -eq 0 ]]; then
    chown -R postgres:postgres "$PG"
    runuser -u postgres -- test -w "$PG" ||
      die "postgres: the postgres user cannot reach $PG (is a parent folder" \
        "private?); set SERVICES_DIR to a folder it can reach"
  fi
  if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
    as_pg "$bin/initdb" -D "$PGDATA_DIR" -U postgres -E UTF8 \
      --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 \
      >"$PG/initdb.log" 2>&1 || die "postgres: initdb failed ($PG/initdb.log)"
  fi
  rm -f "$PGSOCK"/.s.PGSQL.* # socket and lock left by a server that died
  as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -l "$PG/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -k $PGSOCK" \
    start >/dev/null || die "postgres: did not start (see $PG/postgres.log)"
  wait_for 60 "$bin/pg_isready" -h 127.0.0.1 -p "$POSTGRES_PORT" ||
    die "postgres: not ready on port $POSTGRES_PORT (see $PG/postgres.log)"
  pg_setup "$bin"
  pid=$(pg_pid)
  say postgres "started in $(since "$t0") (pid $pid, 127.0.0.1:$POSTGRES_PORT)"
}

# Fast shutdown: disconnects clients, writes a checkpoint, exits.
pg_stop() {
  local pid t0
  if ! pid=$(pg_pid); then say postgres "already stopped"; return; fi
  t0=$(now)
  as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null ||
    die "postgres: pg_ctl stop failed (pid $pid; see $PG/postgres.log)"
  say postgres "stopped in $(since "$t0")"
}

# ------------------------------------------------------------------- status

# Prints service $1's state; fails unless its pid ($3) lives and port $2
# accepts connections.
show() {
  local pid
  if pid=$($3) && port_open "$2"; then
    say "$1" "running (pid $pid, 127.0.0.1:$2)"
  else
    say "$1" "stopped"
    return 1
  fi
}

# All nodes told at once: a node stopping after the others would wait
# for a quorum that is gone.
kafka_stop() {
  local n pid t0 pids=()
  t0=$(now)
  for n in $NODES; do
    if pid=$(node_pid "$n"); then
      kill -TERM "$pid"
      pids[n]=$pid
    else
      say "$(node_label "$n")" "already stopped"
    fi
  done
  for n in "${!pids[@]}"; do
    pid=${pids[n]}
    if wait_for 60 eval "! alive $pid"; then
      say "$(node_label "$n")" "stopped in $(since "$t0")"
    else
      kill -KILL "$pid"
      say "$(node_label "$n")" "killed: still running 60 s after SIGTERM"
    fi
    rm -f "$(node_dir "$n")/kafka.pid"
  done
}
kafka_show() {
  local n up=0
  for n in $NODES; do
    show "$(node_label "$n")" "$(node_port "$n" "$KAFKA_PORT")" "node_pid $n" || up=1
  done
  return "$up"
}
redis_stop() { stop_pid redis "$REDIS/redis.pid" redis-server; }

# An optional second argument names one service (fault tests stop and
# start one at a time); without it, all three.
SERVICE=${2:-all}
case $SERVICE in all | kafka | redis | postgres) ;; *)
  echo "usage: $0 start|stop|status [kafka|redis|postgres]" >&2; exit 2 ;;
esac
want() { [[ $SERVICE == all || $SERVICE == "$1" ]]; }

case ${1:-} in
  start)
    if want redis; then redis_start; fi
    if want postgres; then pg_start; fi
    if want kafka; then kafka_start; fi
    ;;
  stop)
    if want kafka; then kafka_stop; fi
    if want redis; then redis_stop; fi
    if want postgres; then pg_stop; fi
    ;;
  status)
    up=0
    kafka_show || up=1
    show redis "$REDIS_PORT" redis_pid || up=1
    show postgres "$POSTGRES_PORT" pg_pid || up=1
    exit "$up"
    ;;
  *) echo "usage: $0 start|stop|status [kafka|redis|postgres]" >&2; exit 2 ;;
esac
