// Package history reads the points facmon recorded in InfluxDB back, in
// time order, for replay (facmon rules backtest). It speaks InfluxQL over
// HTTP (/query), which InfluxDB 1.8, 2.x (DBRP mapping) and 3.x answer, and
// reads each series in pages merged by time, so a month of a whole
// community is read in bounded memory: at most one page per series is held.
// It is the reading side of the schema collectors/influx writes
// (docs/storage.md): measurement = kind, tags site/area/device, one field
// per signal; device status in the measurement device_status.
package history

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Options say which InfluxDB to read.
type Options struct {
	// URL is the InfluxDB base URL (storage.influx.url).
	URL string
	// Bucket is the site file's bucket: "db/rp" (1.8) or a 2.x bucket
	// name with a DBRP mapping of the same name.
	Bucket string
	// Token is "user:password" (1.8, sent as basic auth) or a 2.x token;
	// empty for none.
	Token string
	// PageSize is the number of rows read per series per request
	// (default DefaultPageSize).
	PageSize int
	// Concurrent is the number of requests in flight at once (default
	// DefaultConcurrent): pages are fetched ahead while the engine works.
	Concurrent int
	// Timeout bounds one request (default 60s).
	Timeout time.Duration
	// Client defaults to a new http.Client.
	Client *http.Client
}

// Defaults of Options. A page of 5,000 rows of a device with three
// signals takes about 160 KB; two per series are held.
const (
	DefaultPageSize   = 5000
	DefaultConcurrent = 3
)

// client runs InfluxQL queries.
type client struct {
	base    string
	db, rp  string
	token   string
	timeout time.Duration
	hc      *http.Client
}

func newClient(o Options) (*client, error) {
	if o.URL == "" {
		return nil, fmt.Errorf("storage.influx.url is empty: no recorded history to read")
	}
	db, rp, _ := strings.Cut(o.Bucket, "/")
	if db == "" {
		return nil, fmt.Errorf("storage.influx.bucket is empty")
	}
	c := &client{base: strings.TrimRight(o.URL, "/"), db: db, rp: rp, token: o.Token,
		timeout: o.Timeout, hc: o.Client}
	if c.timeout <= 0 {
		c.timeout = 60 * time.Second
	}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	return c, nil
}

// from is the FROM target of a measurement: "rp"."m" or "m".
func (c *client) from(measurement string) string {
	if c.rp != "" {
		return quoteIdent(c.rp) + "." + quoteIdent(measurement)
	}
	return quoteIdent(measurement)
}

// series is one series of an InfluxQL answer.
type series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

type answer struct {
	Results []struct {
		Error  string   `json:"error"`
		Series []series `json:"series"`
	} `json:"results"`
	Error string `json:"error"`
}

// query runs one InfluxQL statement and returns its series.
func (c *client) query(ctx context.Context, q string) ([]series, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	form := url.Values{"q": {q}, "db": {c.db}, "epoch": {"ns"}}
	if c.rp != "" {
		form.Set("rp", c.rp)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.auth(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("influxdb %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	return decodeAnswer(resp, q)
}

// auth sets the credentials: basic auth for "user:password", a token
// header otherwise.
func (c *client) auth(req *http.Request) {
	if c.token == "" {
		return
	}
	if u, p, ok := strings.Cut(c.token, ":"); ok {
		req.SetBasicAuth(u, p)
		return
	}
	req.Header.Set("Authorization", "Token "+c.token)
}

// decodeAnswer reads an InfluxQL JSON answer, turning every error form
// (HTTP status, top-level error, statement error) into an error.
func decodeAnswer(resp *http.Response, q string) ([]series, error) {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("influxdb query %q: %w", q, err)
	}
	var a answer
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("influxdb query %q: HTTP %d: %s", q, resp.StatusCode, truncate(body))
	}
	if a.Error != "" {
		return nil, fmt.Errorf("influxdb query %q: HTTP %d: %s", q, resp.StatusCode, a.Error)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("influxdb query %q: HTTP %d: %s", q, resp.StatusCode, truncate(body))
	}
	var out []series
	for _, r := range a.Results {
		if r.Error != "" {
			return nil, fmt.Errorf("influxdb query %q: %s", q, r.Error)
		}
		out = append(out, r.Series...)
	}
	return out, nil
}

func truncate(b []byte) string {
	if len(b) > 300 {
		b = b[:300]
	}
	return strings.TrimSpace(string(b))
}

// quoteIdent quotes an InfluxQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// quoteString quotes an InfluxQL string literal.
func quoteString(s string) string {
	return `'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + `'`
}
