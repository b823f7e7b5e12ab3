#!/usr/bin/env bash
# Runs the benchmark scenarios against sio and its peers and writes bench/results/latest.{md,json,png}.
#
# Usage: bench/run.sh [--quick] [--smoke] [--scenarios a,b] [--servers x,y] [--rounds N] [--port P]
#                     [--out DIR]
#
#   (no flag)     the full comparison: every scenario, every server, 5 rounds (about 20 minutes)
#   --quick       one round with shorter runs and 2,000 idle connections (about 5 minutes)
#   --smoke       every scenario against sio only, a few clients for a few seconds, debug build,
#                 results in a temporary folder; fails if a scenario delivers nothing (the test
#                 suite runs this; it needs neither Node nor the peers; cluster only if Redis answers)
#   --scenarios   a subset of: fanout, ticker, echo-ack, connect, idle, polling, cluster (cluster: two
#                 processes of each server on one Redis, $REDIS_URL or redis://127.0.0.1:6379/;
#                 skipped with a message when Redis does not answer)
#   --servers     a subset of: sio, node, socketioxide, bare-ws (and socketioxide-q128: socketioxide
#                 with its default per-socket queue of 128 packets; sio-httpserver: bench-server
#                 on actix-web's HttpServer instead of sio_actix::Server; sio-redis, node-redis,
#                 socketioxide-redis: one process with its Redis adapter installed, for the
#                 single-node scenarios; sio-streams: sio with the Redis Streams adapter, in the
#                 cluster scenario only, which also records the stream's memory in Redis)
#   --rounds      rounds of A B A B … alternation (5 in the full run)
#   --port        the port the servers listen on (28000, and 28001 for a cluster's second node:
#                 below the ephemeral range, so no client connection of this machine can hold it)
#   --out         where the results go (bench/results by default)
#
# Builds what it needs (release, in $CARGO_TARGET_DIR or the workspace's target/), installs the
# Node peer with npm ci, pins each server (both processes of a cluster) to core 0 and the load
# generator to core 1 (taskset), and runs each scenario for each server in turn, fresh server
# processes for every run. All traffic stays on 127.0.0.0/8, and every run ends by itself.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bench="$root/bench"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

orig_args="$*"
mode=full
scenarios="fanout,ticker,echo-ack,connect,idle,polling,cluster"
servers="sio,node,socketioxide,bare-ws"
rounds=""
port=28000
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --smoke) mode=smoke ;;
    --scenarios) scenarios="$2"; shift ;;
    --servers) servers="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --port) port="$2"; shift ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done

# Per-mode sizes: clients, seconds, rounds.
case "$mode" in
  full)  rounds="${rounds:-5}"; dur=10; fan_clients=1000; tick_clients=100; echo_clients=100; idle_clients=10000; poll_clients=100; conn_loops=32; settle=3 ;;
  quick) rounds="${rounds:-1}"; dur=5;  fan_clients=1000; tick_clients=100; echo_clients=100; idle_clients=2000;  poll_clients=100; conn_loops=32; settle=2 ;;
  smoke) rounds="${rounds:-1}"; dur=2;  fan_clients=20;   tick_clients=5;   echo_clients=5;   idle_clients=100;   poll_clients=5;   conn_loops=4;  settle=1
         servers=sio ;;
esac

if [ "$mode" = smoke ]; then
  profile_dir=debug
  out="$(mktemp -d "${TMPDIR:-/tmp}/sio-bench-smoke.XXXXXX")"
else
  profile_dir=release
  out="${out:-$bench/results}"
fi
mkdir -p "$out"
raw="$out/raw.jsonl"
: > "$raw"

# Many connections need many descriptors, for the servers and the generator alike.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Pinning: server on core 0, generator on core 1, when there are two cores to pin to.
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  pin_server=(taskset -c 0)
  pin_gen=(taskset -c 1)
  pinning="server on CPU 0, load generator on CPU 1 (taskset)"
else
  pin_server=()
  pin_gen=()
  pinning="not pinned (taskset missing or a single CPU)"
fi

has() { case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac; }
without() { printf '%s' ",$1," | sed "s/,$2,/,/g; s/^,//; s/,$//"; }

# Redis, for the cluster scenario and the *-redis servers: skipped when it does not answer.
redis_url="${REDIS_URL:-redis://127.0.0.1:6379/}"
redis_hostport="${redis_url#redis://}"
redis_hostport="${redis_hostport##*@}"
redis_hostport="${redis_hostport%%/*}"
redis_pid=0
redis_up() {
  local host="${redis_hostport%:*}" rport="${redis_hostport##*:}" reply=""
  exec 4<>"/dev/tcp/$host/$rport" 2>/dev/null || return 1
  printf 'PING\r\n' >&4
  read -r -t 2 reply <&4 || true
  exec 4>&-
  [ "${reply%$'\r'}" = "+PONG" ]
}
if has "$scenarios" cluster || [[ ",$servers," == *-redis,* ]]; then
  if redis_up; then
    # Its CPU per message is reported when it runs on this machine.
    redis_pid=$(redis-cli -u "$redis_url" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p' || true)
    if [ -z "$redis_pid" ] || ! grep -q redis "/proc/$redis_pid/comm" 2>/dev/null; then
      redis_pid=0
    fi
  else
    echo "== Redis does not answer at $redis_url: skipping the cluster scenario and the *-redis servers"
    scenarios=$(without "$scenarios" cluster)
    for s in sio-redis sio-streams node-redis socketioxide-redis; do servers=$(without "$servers" "$s"); done
  fi
fi

echo "== building ($profile_dir) into $target_dir"
cd "$root"
build_flags=()
[ "$profile_dir" = release ] && build_flags=(--release)
cargo build --quiet --locked "${build_flags[@]}" -p bench-server -p sio-bench
if has "$servers" socketioxide || has "$servers" socketioxide-q128 || has "$servers" socketioxide-redis; then
  CARGO_TARGET_DIR="$target_dir" cargo build --quiet --locked "${build_flags[@]}" \
    --manifest-path "$bench/peers/socketioxide/Cargo.toml"
fi
if has "$servers" bare-ws; then
  CARGO_TARGET_DIR="$target_dir" cargo build --quiet --locked "${build_flags[@]}" \
    --manifest-path "$bench/peers/bare-ws/Cargo.toml"
fi
if has "$servers" node || has "$servers" node-redis; then
  echo "== npm ci (bench/peers/node)"
  (cd "$bench/peers/node" && npm ci --no-audit --no-fund --loglevel=error)
fi
bin="$target_dir/$profile_dir"

server_pids=()
# launch NAME PORT ADAPTER PREFIX: one server process, pinned; ADAPTER is local or redis.
launch() {
  local name="$1" p="$2" adapter="$3" prefix="$4"
  local envs=(PORT="$p")
  [ "$adapter" = redis ] && envs+=(SIO_ADAPTER=redis REDIS_URL="$redis_url" SIO_REDIS_PREFIX="$prefix")
  [ "$adapter" = streams ] && envs+=(SIO_ADAPTER=streams REDIS_URL="$redis_url" SIO_REDIS_PREFIX="$prefix")
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    # A server left over from an earlier run would be measured instead of the new one.
    echo "port $p is already in use (a server left over from an earlier run?)" >&2
    exit 1
  fi
  case "$name" in
    sio) env "${envs[@]}" "${pin_server[@]}" "$bin/bench-server" 2>>"$out/servers.log" & ;;
    sio-httpserver) env "${envs[@]}" SIO_SERVER=http "${pin_server[@]}" "$bin/bench-server" 2>>"$out/servers.log" & ;;
    node) env "${envs[@]}" "${pin_server[@]}" node "$bench/peers/node/server.mjs" 2>>"$out/servers.log" & ;;
    socketioxide) env "${envs[@]}" QUEUE=65536 "${pin_server[@]}" "$bin/socketioxide-peer" 2>>"$out/servers.log" & ;;
    socketioxide-q128) env "${envs[@]}" QUEUE=128 "${pin_server[@]}" "$bin/socketioxide-peer" 2>>"$out/servers.log" & ;;
    bare-ws) env "${envs[@]}" "${pin_server[@]}" "$bin/bare-ws-peer" 2>>"$out/servers.log" & ;;
    *) echo "unknown server: $name" >&2; exit 1 ;;
  esac
  local pid=$!
  server_pids+=("$pid")
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited at start (see $out/servers.log)" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$name did not start listening on $p" >&2
  exit 1
}

# start_servers SCENARIO SERVER ROUND: the process(es) of one run. `NAME-redis` is NAME with its
# Redis adapter; the cluster runs two processes of NAME with it, on $port and $port + 1, both
# pinned to the servers' core. Each run has its own channel prefix, so no process of another
# run (or another user of this Redis) takes part in it.
start_servers() {
  local scenario="$1" server="$2" round="$3" adapter=local nodes=1 base="$2"
  if [[ "$server" == *-redis ]]; then
    base="${server%-redis}"
    adapter=redis
  fi
  if [ "$scenario" = cluster ]; then
    adapter=redis
    nodes=2
  fi
  if [ "$server" = sio-streams ]; then
    # sio with the Redis Streams adapter (a stream named after the run's prefix).
    base=sio
    adapter=streams
  fi
  local prefix="sio-bench-$$-$scenario-$round-$server-$(date +%s%N)"
  server_addrs=""
  for i in $(seq 0 $((nodes - 1))); do
    launch "$base" $((port + i)) "$adapter" "$prefix"
    server_addrs="${server_addrs:+$server_addrs,}127.0.0.1:$((port + i))"
  done
  uses_redis=$adapter
  run_prefix=$prefix
}

stop_servers() {
  local pid
  for pid in "${server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${server_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
}
trap stop_servers EXIT

scenario_args() {
  case "$1" in
    fanout) echo "--clients $fan_clients --duration $dur" ;;
    ticker) echo "--clients $tick_clients --duration $dur --interval-us 5000" ;;
    echo-ack) echo "--clients $echo_clients --duration $dur" ;;
    connect) echo "--concurrency $conn_loops --duration $dur" ;;
    idle) echo "--clients $idle_clients --settle $settle" ;;
    polling) echo "--clients $poll_clients --duration $dur" ;;
    cluster) echo "--clients $fan_clients --duration $dur" ;;
    *) echo "unknown scenario: $1" >&2; exit 1 ;;
  esac
}

failures=0
echo "== $mode run: scenarios $scenarios; servers $servers; $rounds round(s); $pinning"
started=$(date +%s)
IFS=, read -r -a scenario_list <<< "$scenarios"
IFS=, read -r -a server_list <<< "$servers"
for scenario in "${scenario_list[@]}"; do
  for round in $(seq 1 "$rounds"); do
    for server in "${server_list[@]}"; do
      if [ "$scenario" = polling ] && [ "$server" = bare-ws ]; then
        continue # the WebSocket floor has no polling transport
      fi
      if [ "$scenario" = cluster ] && { [ "$server" = bare-ws ] || [[ "$server" == *-redis ]]; }; then
        continue # the floor has no adapter; NAME-redis is NAME in a cluster
      fi
      if [ "$server" = sio-streams ] && [ "$scenario" != cluster ]; then
        continue # the streams adapter is measured in the cluster
      fi
      start_servers "$scenario" "$server" "$round"
      redis_args=()
      [ "$uses_redis" != local ] && [ "$redis_pid" != 0 ] && redis_args=(--redis-pid "$redis_pid")
      pids=$(IFS=,; echo "${server_pids[*]}")
      # shellcheck disable=SC2046
      if line=$("${pin_gen[@]}" "$bin/sio-bench" "$scenario" --addr "$server_addrs" \
          --server "$server" --round "$round" --server-pid "$pids" "${redis_args[@]}" \
          $(scenario_args "$scenario") 2>>"$out/generator.log"); then
        status=ok
      else
        status=FAILED
        failures=$((failures + 1))
      fi
      stop_servers
      if [ "$uses_redis" = streams ] && [ -n "$line" ]; then
        # What the stream holds in Redis after the run (capped at about 10,000 entries); then
        # it goes, with the run's session keys.
        stream_bytes=$(redis-cli -u "$redis_url" memory usage "$run_prefix" 2>/dev/null | tr -d '\r' || true)
        redis-cli -u "$redis_url" del "$run_prefix" >/dev/null 2>&1 || true
        if [[ "$stream_bytes" =~ ^[0-9]+$ ]]; then
          line=$(printf '%s' "$line" | python3 -c 'import json,sys
r = json.loads(sys.stdin.read())
r["metrics"].append({"metric": "redis_stream_kb", "unit": "KiB", "value": int(sys.argv[1]) / 1024})
print(json.dumps(r, separators=(",", ":")))' "$stream_bytes")
        fi
      fi
      [ -n "$line" ] && echo "$line" >> "$raw"
      summary=$(printf '%s' "$line" | python3 -c 'import json,sys
try:
    r = json.loads(sys.stdin.read())
    print("  ".join("%s=%.4g" % (m["metric"], m["value"]) for m in r["metrics"]))
except Exception:
    print("(no result)")' 2>/dev/null || echo "")
      printf '  %-9s round %s  %-17s %-6s %s\n' "$scenario" "$round" "$server" "$status" "$summary"
    done
  done
done
echo "== done in $(( $(date +%s) - started )) s"

if [ "$mode" = smoke ]; then
  if [ "$failures" -gt 0 ]; then
    echo "smoke: $failures scenario(s) delivered nothing; see $out/generator.log" >&2
    exit 1
  fi
  echo "smoke: every scenario delivered (raw results in $out)"
  rm -rf "$out"
  exit 0
fi

# The report: Markdown and JSON always; the chart with matplotlib from a venv under bench/.venv.
python="python3"
if [ ! -x "$bench/.venv/bin/python" ]; then
  python3 -m venv "$bench/.venv" >/dev/null 2>&1 || true
fi
if [ -x "$bench/.venv/bin/python" ]; then
  if ! "$bench/.venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
    "$bench/.venv/bin/pip" install --quiet matplotlib >/dev/null 2>&1 || true
  fi
  python="$bench/.venv/bin/python"
fi
command_line="bench/run.sh${orig_args:+ $orig_args}"
"$python" "$bench/report.py" --raw "$raw" --out "$out" --mode "$mode" --rounds "$rounds" \
  --pinning "$pinning" --command "$command_line"
[ "$failures" -gt 0 ] && echo "warning: $failures run(s) failed; see $out/generator.log" >&2
exit 0
