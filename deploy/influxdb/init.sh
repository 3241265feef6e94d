#!/bin/sh
# init.sh makes a fresh InfluxDB 2.x ready for facmon and Grafana, and is
# safe to run again on every `docker compose up` (each step checks first).
#
#   1. the DBRP mapping: InfluxQL database "facmon", retention policy
#      "autogen" → the bucket facmon writes to. Grafana's panels and the
#      dashboards' tests speak InfluxQL only (DESIGN.md, Outside contract).
#   2. a write-only API token for facmon on that one bucket, written to
#      $TOKENS_DIR/facmon.token (mode 0400, owned by facmon's uid). InfluxDB
#      2.x generates token strings itself, so this one cannot come from a
#      secret file; it lives in the influx-tokens volume that only this job
#      (read-write) and facmon (read-only) mount.
#   3. a read-only v1 authorization "grafana" on the same bucket, whose
#      password is the grafana_influx_password secret, for Grafana's InfluxQL
#      datasource. Re-running sets the password again (rotation).
#
# The compose service influxdb-init runs it with the influxdb image (it has
# the influx CLI) once influxdb is healthy. Environment:
#   INFLUX_HOST            http://influxdb:8086
#   INFLUX_ORG             organisation made by the image's setup mode
#   FACMON_BUCKET          bucket made by the image's setup mode
#   FACMON_DB, FACMON_RP   the InfluxQL names mapped to the bucket
#   FACMON_UID             uid facmon runs as (owner of the token file)
#   ADMIN_TOKEN_FILE       operator token (secret influxdb_admin_token)
#   GRAFANA_PASSWORD_FILE  password of the v1 user "grafana"
#   TOKENS_DIR             where facmon.token goes
set -eu

: "${INFLUX_HOST:=http://influxdb:8086}"
: "${INFLUX_ORG:=facmon}"
: "${FACMON_BUCKET:=facmon}"
: "${FACMON_DB:=facmon}"
: "${FACMON_RP:=autogen}"
: "${FACMON_UID:=65532}"
: "${ADMIN_TOKEN_FILE:=/run/secrets/influxdb_admin_token}"
: "${GRAFANA_PASSWORD_FILE:=/run/secrets/grafana_influx_password}"
: "${TOKENS_DIR:=/tokens}"
export INFLUX_HOST INFLUX_ORG

log() { echo "influxdb-init: $*" >&2; }
die() { log "$*"; exit 1; }

read_secret() {
	[ -s "$1" ] || die "$1: missing or empty (see deploy/secrets/README)"
	tr -d '\r\n' <"$1"
}

INFLUX_TOKEN=$(read_secret "$ADMIN_TOKEN_FILE")
export INFLUX_TOKEN

wait_ready() {
	i=0
	until influx ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt 60 ] || die "$INFLUX_HOST: not ready after 60 s"
		sleep 1
	done
}

bucket_id() {
	id=$(influx bucket list --name "$FACMON_BUCKET" --hide-headers | awk 'NR == 1 { print $1 }')
	[ -n "$id" ] || die "bucket $FACMON_BUCKET not found in org $INFLUX_ORG (DOCKER_INFLUXDB_INIT_BUCKET)"
	echo "$id"
}

ensure_dbrp() {
	if influx v1 dbrp list --db "$FACMON_DB" --rp "$FACMON_RP" --hide-headers | grep -q .; then
		log "dbrp $FACMON_DB/$FACMON_RP exists"
		return
	fi
	influx v1 dbrp create --db "$FACMON_DB" --rp "$FACMON_RP" --bucket-id "$1" --default >/dev/null
	log "dbrp $FACMON_DB/$FACMON_RP → bucket $FACMON_BUCKET created"
}

ensure_facmon_token() {
	f="$TOKENS_DIR/facmon.token"
	if [ -s "$f" ]; then
		log "$f exists (delete it and restart influxdb-init to issue a new token)"
		return
	fi
	json=$(influx auth create --write-bucket "$1" --description "facmon writer: write-only on bucket $FACMON_BUCKET" --json)
	# One "key": value per line, whether the CLI indents its JSON or not.
	token=$(printf '%s\n' "$json" | tr ',{}[]' '\n\n\n\n\n' |
		sed -n 's/^[[:space:]]*"token":[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)
	[ -n "$token" ] || die "influx auth create: no token in its answer"
	umask 077
	printf '%s\n' "$token" >"$f.tmp"
	chown "$FACMON_UID:$FACMON_UID" "$f.tmp"
	chmod 0400 "$f.tmp"
	mv "$f.tmp" "$f"
	log "write-only token for facmon issued into $f"
}

ensure_grafana_reader() {
	pw=$(read_secret "$GRAFANA_PASSWORD_FILE")
	if influx v1 auth list --username grafana --hide-headers 2>/dev/null | grep -q .; then
		influx v1 auth set-password --username grafana --password "$pw" >/dev/null
		log "v1 user grafana exists; password set from the secret"
		return
	fi
	influx v1 auth create --username grafana --password "$pw" --read-bucket "$1" \
		--description "grafana: read-only on bucket $FACMON_BUCKET (InfluxQL)" >/dev/null
	log "read-only v1 user grafana created"
}

wait_ready
id=$(bucket_id)
ensure_dbrp "$id"
ensure_facmon_token "$id"
ensure_grafana_reader "$id"
log "done"
