package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"
)

// Notifier sends one message to one receiver. Send returns what the
// receiver answered; its error is a *SendError that says whether trying
// again may help.
type Notifier interface {
	Send(ctx context.Context, m *Message) (Result, error)
}

// Result is what a receiver answered.
type Result struct {
	Status int
	// Body is the start of the answer (at most 512 bytes).
	Body string
}

// SendError is a failed send: where it went, what came back and whether
// a retry may succeed (network errors, 5xx and 429 yes; other 4xx no).
type SendError struct {
	Receiver  string
	URL       string
	Status    int
	Body      string
	Retryable bool
	Err       error
}

// Error names the receiver, the URL and what went wrong.
func (e *SendError) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("receiver %q: %s: %v", e.Receiver, e.URL, e.Err)
	default:
		return fmt.Sprintf("receiver %q: %s: HTTP %d: %s", e.Receiver, e.URL, e.Status, e.Body)
	}
}

// Unwrap returns the cause.
func (e *SendError) Unwrap() error { return e.Err }

// Retryable reports whether err is worth another attempt. Errors that are
// not *SendError (a template that cannot render) are not.
func Retryable(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Retryable
}

// snippetBytes bounds the answer kept in results and errors.
const snippetBytes = 512

// post sends body to url and classifies the answer.
func post(ctx context.Context, c *http.Client, receiver, url string, body []byte, header http.Header) (Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{}, &SendError{Receiver: receiver, URL: redactURL(url), Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		return Result{}, &SendError{Receiver: receiver, URL: redactURL(url), Retryable: true, Err: errors.Unwrap(err)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	res := Result{Status: resp.StatusCode, Body: snippet(b)}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return res, nil
	}
	return res, &SendError{Receiver: receiver, URL: redactURL(url), Status: resp.StatusCode, Body: res.Body,
		Retryable: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout}
}

// snippet returns the start of b as valid UTF-8.
func snippet(b []byte) string {
	if len(b) > snippetBytes {
		b = b[:snippetBytes]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	return string(bytes.TrimSpace(b))
}
