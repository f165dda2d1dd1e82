#!/usr/bin/env bash
# Installs what kook's tests and demo need from Debian's packages, when it
# is missing: ansible-core (the oracle) and ZooKeeper with a Java runtime.
set -euo pipefail

need=()
command -v ansible-inventory >/dev/null 2>&1 || need+=(ansible-core)
[ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v keytool >/dev/null 2>&1 || need+=(default-jre-headless)
[ -f /usr/share/java/netty-codec.jar ] || need+=(libnetty-java)

if ((${#need[@]} == 0)); then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "installing from Debian: ${need[*]}" >&2
# Bounded, as every wait in kook is: a mirror that stops answering fails
# the install with apt's own message instead of hanging make test.
$sudo timeout 600 apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo timeout 1200 apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
