#!/usr/bin/env bash
# Starts or stops a standalone ZooKeeper on loopback for `make demo`, with
# its data and logs under .kook/zk in the repository (ignored by git).
#   scripts/zk.sh start PORT | stop | status
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.kook/zk
cmd=${1:-status}
port=${2:-21810}

running() { [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

case "$cmd" in
start)
  if running; then
    echo "ZooKeeper already running (pid $(cat "$dir/pid"), port $(cat "$dir/port"))" >&2
    exit 0
  fi
  mkdir -p "$dir/data"
  cat >"$dir/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$PWD/$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=*
CFG
  echo "$port" >"$dir/port"
  nohup java -Dzookeeper.log.dir="$PWD/$dir" -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" >"$dir/zookeeper.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$port" && printf srvr >&3 && grep -q Mode <&3) 2>/dev/null; then
      echo "ZooKeeper running on 127.0.0.1:$port (pid $(cat "$dir/pid")); stop it with make zk-stop" >&2
      exit 0
    fi
    sleep 0.1
  done
  echo "ZooKeeper did not start; see $dir/zookeeper.log" >&2
  exit 1
  ;;
stop)
  if running; then
    kill "$(cat "$dir/pid")"
    echo "ZooKeeper stopped" >&2
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
