#!/usr/bin/env bash
# prereqs.sh brings the real servers the tests use onto a fresh machine:
# Debian packages (Mosquitto, Alertmanager, mbpoll, Chromium, CJK fonts)
# through apt-get when root, and InfluxDB 1.8.10 built once with go install
# into the cache directory. It is idempotent and quiet when all is present.
#
# It never stops, disables or kills anything: a broker, Alertmanager or
# Prometheus the machine already runs (or that a Debian package starts when
# it is installed) is left as it is. The tests start their own servers from
# the installed binaries on free loopback ports (deploy/testbed), so they
# work whatever else listens on 1883, 9093 or 8086.
set -euo pipefail

cache="${FACMON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/facmon}"
bin="$cache/bin"
mkdir -p "$bin"

need_pkgs=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_pkgs+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need_pkgs+=(mosquitto-clients)
command -v prometheus-alertmanager >/dev/null 2>&1 || need_pkgs+=(prometheus-alertmanager)
command -v mbpoll >/dev/null 2>&1 || need_pkgs+=(mbpoll)
command -v socat >/dev/null 2>&1 || need_pkgs+=(socat) # the install guide's wiring check (deploy/install_guide_test.go)
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || need_pkgs+=(fonts-noto-cjk)
command -v docker-compose >/dev/null 2>&1 || need_pkgs+=(docker-compose)
command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || need_pkgs+=(systemd)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "prereqs: installing ${need_pkgs[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
    # The packages may start their own services; they are left running
    # (the tests do not need their ports). Stop them yourself if unwanted.
  else
    echo "prereqs: missing Debian packages: ${need_pkgs[*]}" >&2
    echo "prereqs: run as root, or: sudo apt-get install ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

if [ ! -x "$bin/influxd" ]; then
  echo "prereqs: building InfluxDB 1.8.10 into $bin (once, about a minute)" >&2
  GOBIN="$bin" GOFLAGS=-mod=mod go install github.com/influxdata/influxdb/cmd/influxd@v1.8.10
fi
# The benchmarks' baseline (issue 3): Telegraf 1.37, built once; only for
# `make bench` (prereqs.sh --bench), as it takes several minutes.
if [ "${1:-}" = "--bench" ] && [ ! -x "$bin/telegraf" ]; then
  echo "prereqs: building Telegraf 1.37.2 into $bin (once, several minutes)" >&2
  GOBIN="$bin" GOFLAGS=-mod=mod go install github.com/influxdata/telegraf/cmd/telegraf@v1.37.2
fi
echo "$bin"
