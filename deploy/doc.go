// Package deploy holds no code: it is the folder of facmon's deployment
// files — compose.yaml, the Dockerfile, the systemd unit and the Grafana,
// Mosquitto, Prometheus and Alertmanager configuration — and the tests that
// check them without a Docker engine: every file the compose file mounts
// exists, Mosquitto starts with the broker config and enforces its ACL,
// amtool accepts the Alertmanager config and routes critical alarms to the
// duty receiver, the provisioning names dashboards that exist, and the
// systemd unit passes systemd-analyze verify.
package deploy
