package testbed

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Influx is a running InfluxDB 1.8.10 with one database, DB, whose default
// retention policy is "autogen". It serves the v2 write API (bucket
// "DB/autogen", no token) and InfluxQL on /query.
type Influx struct {
	// Dir holds data/, wal/ and meta/.
	Dir string
	URL string
	DB  string
	p   *process
}

// StartInflux starts InfluxDB on a free port in a temp dir, creates the
// database "facmon", and stops it when t ends.
func StartInflux(t testing.TB) *Influx { return StartInfluxWith(t, InfluxOptions{}) }

// InfluxOptions tune InfluxDB for a test.
type InfluxOptions struct {
	// Data is added to the [data] section (cache and compaction settings
	// for a storage measurement).
	Data string
	// ContinuousQueries turns the continuous-query service on.
	ContinuousQueries bool
}

// StartInfluxWith is StartInflux with options.
func StartInfluxWith(t testing.TB, opt InfluxOptions) *Influx {
	t.Helper()
	bin := LookBinary(t, "influxd")
	dir := t.TempDir()
	httpPort, rpcPort := FreePort(t), FreePort(t)
	conf := filepath.Join(dir, "influxdb.conf")
	writeFile(t, conf, trimLines(fmt.Sprintf(`reporting-disabled = true
	bind-address = "127.0.0.1:%d"
	[meta]
	  dir = "%s/meta"
	[data]
	  dir = "%s/data"
	  wal-dir = "%s/wal"
	  query-log-enabled = false
	  cache-max-memory-size = "1g"
	  max-series-per-database = 0
	  max-values-per-tag = 0
	%s
	[http]
	  bind-address = "127.0.0.1:%d"
	  log-enabled = false
	  max-body-size = 0
	  flux-enabled = false
	[monitor]
	  store-enabled = false
	[logging]
	  level = "warn"
	[continuous_queries]
	  enabled = %t
	`, rpcPort, dir, dir, dir, opt.Data, httpPort, opt.ContinuousQueries)))
	in := &Influx{
		Dir: dir,
		URL: fmt.Sprintf("http://127.0.0.1:%d", httpPort),
		DB:  "facmon",
		p:   &process{t: t, name: bin, args: []string{"-config", conf}, dir: dir, log: newLog()},
	}
	in.Start(t)
	t.Cleanup(func() { in.p.stop(syscall.SIGTERM) })
	if _, err := in.Query("CREATE DATABASE " + in.DB); err != nil {
		t.Fatalf("testbed: create database: %v", err)
	}
	return in
}

// Bucket is the v2 API bucket name of the test database.
func (in *Influx) Bucket() string { return in.DB + "/autogen" }

// Start starts a stopped InfluxDB again on the same port and data.
func (in *Influx) Start(t testing.TB) {
	t.Helper()
	in.p.start()
	waitFor(t, "influxd", in.p.log, func() bool { return httpOK(in.URL + "/ping") })
}

// Stop stops InfluxDB (SIGTERM) until Start.
func (in *Influx) Stop() { in.p.stop(syscall.SIGTERM) }

// Log returns the tail of the server's log, for failure messages.
func (in *Influx) Log() string { return in.p.log.Last(4000).String() }

// QueryResult is InfluxQL's JSON answer.
type QueryResult struct {
	Results []struct {
		Error  string `json:"error"`
		Series []struct {
			Name    string            `json:"name"`
			Tags    map[string]string `json:"tags"`
			Columns []string          `json:"columns"`
			Values  [][]any           `json:"values"`
		} `json:"series"`
	} `json:"results"`
	Error string `json:"error"`
}

// Query runs InfluxQL against the test database (epoch=ns).
func (in *Influx) Query(q string) (*QueryResult, error) {
	v := url.Values{"q": {q}, "db": {in.DB}, "epoch": {"ns"}}
	c := http.Client{Timeout: 60 * time.Second}
	resp, err := c.PostForm(in.URL+"/query", v)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r QueryResult
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %q: %w: %s", q, err, body)
	}
	if r.Error != "" {
		return &r, fmt.Errorf("query %q: %s", q, r.Error)
	}
	for _, res := range r.Results {
		if res.Error != "" {
			return &r, fmt.Errorf("query %q: %s", q, res.Error)
		}
	}
	return &r, nil
}

// Count returns the single number a "SELECT count(...)" query answers, 0 if
// no series came back.
func (in *Influx) Count(q string) (int64, error) {
	r, err := in.Query(q)
	if err != nil {
		return 0, err
	}
	if len(r.Results) == 0 || len(r.Results[0].Series) == 0 || len(r.Results[0].Series[0].Values) == 0 {
		return 0, nil
	}
	row := r.Results[0].Series[0].Values[0]
	if len(row) < 2 {
		return 0, fmt.Errorf("query %q: short row %v", q, row)
	}
	f, ok := row[1].(float64)
	if !ok {
		return 0, fmt.Errorf("query %q: not a number: %v", q, row[1])
	}
	return int64(f), nil
}
