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

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
if ((${#need[@]} > 0)); then
  echo "installing from Debian: ${need[*]}" >&2
  timeout 600 $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 1200 $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# ansible-core 2.19, the second oracle: Debian 13's package, unpacked into a
# private directory and run on Debian 12's Python 3.11 with the Python
# packages ansible-core 2.14 pulled in (jinja2 3.1, resolvelib 0.9, yaml,
# cryptography, packaging). apt fetches and verifies it through a private
# configuration that knows only trixie; the system's apt state is untouched.
ANSIBLE219=${KOOK_ANSIBLE219_DIR:-/opt/kook/ansible-2.19}
if [ ! -x "$ANSIBLE219/bin/ansible-inventory" ]; then
  echo "installing ansible-core 2.19 from Debian 13 into $ANSIBLE219" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/etc/apt.conf.d" "$work/etc/preferences.d" "$work/etc/sources.list.d" \
    "$work/lists/partial" "$work/cache/archives/partial"
  mirror=$(grep -hoE 'https?://deb\.debian\.org/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie main" >"$work/etc/sources.list"
  apt_opts=(-o "Dir::Etc=$work/etc" -o "Dir::Etc::sourcelist=$work/etc/sources.list"
    -o "Dir::Etc::sourceparts=$work/etc/sources.list.d" -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root
    -o Acquire::Languages=none -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false)
  timeout 600 apt-get "${apt_opts[@]}" -qq update
  (cd "$work" && timeout 600 apt-get "${apt_opts[@]}" -qq download ansible-core)
  $sudo mkdir -p "$ANSIBLE219/bin"
  $sudo dpkg -x "$work"/ansible-core_2.19*_all.deb "$ANSIBLE219/root"
  for tool in ansible-inventory ansible; do
    printf '#!/bin/sh\nPYTHONPATH=%s/root/usr/lib/python3/dist-packages exec /usr/bin/python3 %s/root/usr/bin/%s "$@"\n' \
      "$ANSIBLE219" "$ANSIBLE219" "$tool" | $sudo tee "$ANSIBLE219/bin/$tool" >/dev/null
    $sudo chmod 755 "$ANSIBLE219/bin/$tool"
  done
  version=$("$ANSIBLE219/bin/ansible-inventory" --version)
  echo "${version%%$'\n'*}" >&2
fi
