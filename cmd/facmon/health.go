package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// cmdHealth probes a running facmon's /healthz, for container health
// checks where no curl exists (distroless images).
func cmdHealth(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "health endpoint to probe")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	caFile := fs.String("ca-file", "", "PEM CA that signed the listener's certificate, for an https URL")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	c := http.Client{Timeout: *timeout}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintf(stderr, "facmon health: --ca-file %s: no PEM certificate (%v)\n", *caFile, err)
			return 2
		}
		c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	resp, err := c.Get(*url)
	if err != nil {
		fmt.Fprintln(stderr, "facmon health:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		fmt.Fprintf(stderr, "facmon health: %s answered %s\n", *url, resp.Status)
		return 1
	}
	fmt.Fprintln(stdout, "ok")
	return 0
}
