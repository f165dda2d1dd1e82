#!/usr/bin/env bash
# Starts or stops a standalone ZooKeeper on loopback for `make demo`, with
# its data and logs under .kook/zk in the repository (ignored by git), or
# under $KOOK_ZK_DIR.
#   scripts/zk.sh start PORT | stop | status
#
# Every wait is bounded: the server gets ZK_START_TIMEOUT seconds (default
# 60) to answer, each probe of it 2 seconds (a port that accepts and never
# answers once hung `make demo` for 15 minutes), and a stop 10 seconds
# before the process is killed. A failure says why and which log to read.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${KOOK_ZK_DIR:-.kook/zk}
case "$dir" in /*) ;; *) dir=$PWD/$dir ;; esac
cmd=${1:-status}
port=${2:-21810}
start_timeout=${ZK_START_TIMEOUT:-60}

running() { [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

# answers: does a ZooKeeper answer "srvr" on the port within 2 seconds?
answers() {
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"' && printf srvr >&3 && grep -q Mode <&3' 2>/dev/null
}

# listening: does anything accept connections on the port?
listening() {
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1" 2>/dev/null
}

# failed prints why the start failed, the end of the log, and exits 1.
failed() {
  {
    echo "ZooKeeper did not start on 127.0.0.1:$port: $1"
    echo "its log is $dir/zookeeper.log; it ends with:"
    tail -n 15 "$dir/zookeeper.log" 2>/dev/null | sed 's/^/  /'
  } >&2
  if running; then
    kill "$(cat "$dir/pid")" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
  exit 1
}

case "$cmd" in
start)
  if running; then
    echo "ZooKeeper already running (pid $(cat "$dir/pid"), port $(cat "$dir/port"))" >&2
    exit 0
  fi
  if listening "$port"; then
    echo "port $port on 127.0.0.1 is already taken by another process; choose another, such as: make demo ZK_PORT=21811" >&2
    exit 1
  fi
  mkdir -p "$dir/data"
  cat >"$dir/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=*
CFG
  echo "$port" >"$dir/port"
  nohup java -Dzookeeper.log.dir="$dir" -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" >"$dir/zookeeper.log" 2>&1 &
  echo $! >"$dir/pid"
  deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    if ! running; then
      failed "the server exited"
    fi
    if answers "$port"; then
      echo "ZooKeeper running on 127.0.0.1:$port (pid $(cat "$dir/pid")); stop it with make zk-stop" >&2
      exit 0
    fi
    sleep 0.2
  done
  failed "no answer to srvr within ${start_timeout}s"
  ;;
stop)
  if running; then
    pid=$(cat "$dir/pid")
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      echo "ZooKeeper did not stop within 10s; killed" >&2
    else
      echo "ZooKeeper stopped" >&2
    fi
  fi
  rm -f "$dir/pid"
  ;;
status)
  if running; then echo "running on 127.0.0.1:$(cat "$dir/port")"; else echo "stopped"; exit 1; fi
  ;;
*)
  echo "usage: $0 start [PORT] | stop | status" >&2
  exit 2
  ;;
esac
