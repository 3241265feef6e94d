#!/bin/sh
# create.sh makes the secret files deploy/compose.yaml reads, with random
# passwords and tokens, without touching files that already exist (run it
# again after adding a device, or after deleting one file to rotate it).
#
#   deploy/secrets/create.sh [-d DIR] [-H NAMES] [DEVICE-ID ...]
#
# It also makes the stack's TLS certificates: a private CA (tls_ca.crt;
# its key tls_ca.key never leaves DIR) and server certificates for facmon's
# console and API (facmon_tls.*) and for Mosquitto's TLS listener
# (mosquitto_tls.*) and for Grafana (grafana_tls.*), valid for the service name, localhost, 127.0.0.1 and
# the names and addresses in -H (comma-separated: the host's LAN name and
# IP that browsers and devices use, e.g. -H facmon.estate.lan,192.168.10.5).
# Needs openssl.
#
# DIR defaults to the folder of this script; it is made owner-only (0700):
# for a broker or facmon installed from packages, install copies where
# their users can read them (docs/install.md §6a). Each DEVICE-ID becomes
# an MQTT user (see deploy/mosquitto/acl) whose password is written to
# DIR/devices/DEVICE-ID.password for you to enter into the device.
# Needs mosquitto_passwd (Debian package mosquitto), or Docker to run it
# from the eclipse-mosquitto image.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
hosts=${FACMON_TLS_HOSTS:-}
while getopts d:H: opt; do
	case $opt in
	d) dir=$OPTARG ;;
	H) hosts=$OPTARG ;;
	*) echo "usage: $0 [-d DIR] [-H NAME,IP,...] [DEVICE-ID ...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

umask 077
mkdir -p "$dir/devices"
chmod 0700 "$dir" "$dir/devices"

log() { echo "secrets: $*" >&2; }

# random prints a 32-character password of letters and digits.
random() {
	head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32
}

# secret NAME writes a random value to DIR/NAME unless it exists.
secret() {
	if [ -s "$dir/$1" ]; then
		return
	fi
	random >"$dir/$1"
	log "created $1"
}

die() { echo "secrets: $*" >&2; exit 1; }

# mqtt_user NAME PASSWORD-FILE adds NAME to mosquitto_passwd unless present.
mqtt_user() {
	if [ -f "$dir/mosquitto_passwd" ] && grep -q "^$1:" "$dir/mosquitto_passwd"; then
		return
	fi
	touch "$dir/mosquitto_passwd"
	chmod 0600 "$dir/mosquitto_passwd"
	pw=$(cat "$2")
	if command -v mosquitto_passwd >/dev/null 2>&1; then
		mosquitto_passwd -b "$dir/mosquitto_passwd" "$1" "$pw"
	else
		docker run --rm -v "$dir:/secrets" eclipse-mosquitto:2.0.20 \
			mosquitto_passwd -b /secrets/mosquitto_passwd "$1" "$pw" ||
			die "mosquitto_passwd in Docker failed for user $1"
	fi
	log "MQTT user $1 added to mosquitto_passwd"
}

dingtalk_template() {
	[ -s "$dir/dingtalk_config" ] && return
	cat >"$dir/dingtalk_config" <<'YAML'
# prometheus-webhook-dingtalk targets: one DingTalk group robot per
# Alertmanager receiver (deploy/alertmanager/alertmanager.yml). Put each
# robot's webhook URL and its signing secret (加签) here. The messages are
# facmon's own words, from the alerts' annotations (docs/notify.md): the
# Chinese summary as the title, the description (community, place, local
# time, household, what to do, links) as the text.
timeout: 5s
targets:
  duty:
    url: https://oapi.dingtalk.com/robot/send?access_token=REPLACE-WITH-DUTY-ROBOT-TOKEN
    secret: REPLACE-WITH-DUTY-ROBOT-SECRET
    mention:
      all: true
    message:
      title: '{{ (index .Alerts 0).Annotations.summary }}'
      text: '{{ range .Alerts }}{{ .Annotations.description }}{{ end }}'
  control-room:
    url: https://oapi.dingtalk.com/robot/send?access_token=REPLACE-WITH-CONTROL-ROOM-ROBOT-TOKEN
    secret: REPLACE-WITH-CONTROL-ROOM-ROBOT-SECRET
    message:
      title: '{{ (index .Alerts 0).Annotations.summary }}'
      text: '{{ range .Alerts }}{{ .Annotations.description }}{{ end }}'
YAML
	log "created dingtalk_config from the template: put your robots' URLs and secrets in it"
}

secret influxdb_admin_password
secret influxdb_admin_token
secret grafana_admin_password
secret grafana_influx_password
secret facmon_mqtt_password
mqtt_user facmon "$dir/facmon_mqtt_password"
for dev in "$@"; do
	case $dev in
	*[!A-Za-z0-9_.-]* | "") die "device id $dev: use letters, digits, - _ . only (it is an MQTT user and topic level)" ;;
	esac
	secret "devices/$dev.password"
	mqtt_user "$dev" "$dir/devices/$dev.password"
done
dingtalk_template

# san SERVICE prints the subjectAltName of SERVICE's certificate.
san() {
	out="DNS:$1,DNS:localhost,IP:127.0.0.1"
	for h in $(echo "$hosts" | tr ',' ' '); do
		case $h in
		*[!0-9.]*) out="$out,DNS:$h" ;;
		*) out="$out,IP:$h" ;;
		esac
	done
	echo "$out"
}

# tls_ca makes the stack's private CA (ten years) unless it exists.
tls_ca() {
	[ -s "$dir/tls_ca.crt" ] && [ -s "$dir/tls_ca.key" ] && return
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-subj "/CN=facmon stack CA" -keyout "$dir/tls_ca.key" -out "$dir/tls_ca.crt" 2>/dev/null ||
		die "openssl could not make the CA (Debian: apt-get install openssl)"
	log "created the stack's CA tls_ca.crt (import it into the control room's browsers)"
}

# tls_cert SERVICE makes SERVICE_tls.crt/.key signed by the CA (825 days)
# unless they exist.
tls_cert() {
	[ -s "$dir/$1_tls.crt" ] && [ -s "$dir/$1_tls.key" ] && return
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$dir/$1_tls.key" -out "$dir/$1_tls.csr" 2>/dev/null || die "openssl: key for $1"
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$(san "$1")" >"$dir/$1_tls.ext"
	openssl x509 -req -in "$dir/$1_tls.csr" -CA "$dir/tls_ca.crt" -CAkey "$dir/tls_ca.key" -CAcreateserial \
		-days 825 -extfile "$dir/$1_tls.ext" -out "$dir/$1_tls.crt" 2>/dev/null || die "openssl: certificate for $1"
	rm -f "$dir/$1_tls.csr" "$dir/$1_tls.ext" "$dir/tls_ca.srl"
	log "created $1_tls.crt for $(san "$1")"
}

tls_ca
tls_cert facmon
tls_cert mosquitto
tls_cert grafana
# Prometheus reads facmon's /metrics with this bearer token.
secret facmon_metrics_token

# Containers read these files as their own users (grafana 472, mosquitto
# 1883, facmon 65532) through bind mounts that keep the host mode, so the
# files are readable by all and the folder (0700) keeps other host users out.
find "$dir" -maxdepth 1 -type f ! -name README ! -name create.sh ! -name .gitignore ! -name tls_ca.key -exec chmod 0444 {} +
chmod 0400 "$dir/tls_ca.key"
log "done in $dir"
