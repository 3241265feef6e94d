package centre

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"facmon/alarms"
)

// FetchLimit is how many transitions one gap fetch asks for.
const FetchLimit = 1000

// fetched is the answer of one gap fetch.
type fetched struct {
	after, target uint64
	ts            []alarms.Transition
	more          bool
	err           error
}

// fetch asks the site for its transitions after seq after (GET
// /api/v1/alarms/history?after_seq=, bearer token), within 30 s.
func (c *Centre) fetch(ctx context.Context, s *Site, after, target uint64) *fetched {
	f := &fetched{after: after, target: target}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := s.URL + "/api/v1/alarms/history?after_seq=" + strconv.FormatUint(after, 10) + "&limit=" + strconv.Itoa(FetchLimit)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		f.err = err
		return f
	}
	req.Header.Set("Authorization", "Bearer "+s.Token.Reveal())
	resp, err := c.http.Do(req)
	if err != nil {
		f.err = err
		return f
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		f.err = fmt.Errorf("%s: %s: %s", s.URL, resp.Status, b)
		return f
	}
	var body struct {
		Transitions []alarms.Transition `json:"transitions"`
		More        bool                `json:"more"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&body); err != nil {
		f.err = fmt.Errorf("%s: history answer: %w", s.URL, err)
		return f
	}
	for i := range body.Transitions {
		if body.Transitions[i].Seq <= after || (i > 0 && body.Transitions[i].Seq <= body.Transitions[i-1].Seq) {
			f.err = errors.New(s.URL + ": history answer out of seq order")
			return f
		}
	}
	f.ts, f.more = body.Transitions, body.More
	return f
}

// fetchClient is an HTTPS client that trusts the system roots and every
// site's ca_file.
func fetchClient(cfg *Config) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, s := range cfg.Sites {
		if s.CAFile == "" {
			continue
		}
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("site %q: ca_file: %w", s.ID, err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("site %q: ca_file %s: no PEM certificate", s.ID, s.CAFile)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	tr.MaxIdleConnsPerHost = 2
	return &http.Client{Transport: tr}, nil
}
