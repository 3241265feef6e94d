// Command dashgen writes facmon's Grafana dashboards (package
// dashboards/boards) as JSON files: `go generate ./dashboards/` runs it.
package main

import (
	"flag"
	"fmt"
	"os"

	"facmon/dashboards/boards"
)

func main() {
	out := flag.String("out", ".", "folder to write the dashboard JSON files into")
	rules := flag.String("rules", "../seeds/rules", "rule-pack folder whose bounds the dashboards draw")
	doc := flag.String("doc", "../docs/dashboards.md", "file to write the dashboards' listing (docs/dashboards.md) into")
	flag.Parse()
	if err := boards.Write(*out, *rules, *doc); err != nil {
		fmt.Fprintln(os.Stderr, "dashgen:", err)
		os.Exit(1)
	}
}
