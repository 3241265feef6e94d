// Package dashboards holds facmon's Grafana dashboards: the JSON files in
// this folder, which Grafana provisions as they are
// (deploy/grafana/provisioning), generated from package boards. Edit the
// Go in boards/ and run `go generate ./dashboards/`; docs/dashboards.md
// lists every panel and its query.
package dashboards

//go:generate go run ./cmd/dashgen -out . -rules ../seeds/rules -doc ../docs/dashboards.md
