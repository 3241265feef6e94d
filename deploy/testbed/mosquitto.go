package testbed

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
)

// Mosquitto is a running Mosquitto 2 broker with persistence on, anonymous
// access allowed, listening on loopback.
type Mosquitto struct {
	URL  string // tcp://127.0.0.1:PORT
	Addr string // 127.0.0.1:PORT
	p    *process
}

// MosquittoOptions tune the broker for a test.
type MosquittoOptions struct {
	// Extra is appended to mosquitto.conf (auth, queue limits).
	Extra string
}

// StartMosquitto starts a broker on a free port in a temp dir and stops it
// when t ends. Its queues are unlimited so that tests measure facmon, not
// broker drops, unless Extra says otherwise.
func StartMosquitto(t testing.TB, opt MosquittoOptions) *Mosquitto {
	t.Helper()
	bin := LookBinary(t, "mosquitto")
	dir := t.TempDir()
	port := FreePort(t)
	conf := filepath.Join(dir, "mosquitto.conf")
	writeFile(t, conf, trimLines(fmt.Sprintf(`listener %d 127.0.0.1
	allow_anonymous true
	# As root, Mosquitto would drop to the "mosquitto" user, which cannot
	# write the persistence file into the test's private temp dir; queued
	# QoS 1 messages would then be lost across a restart. Without root
	# this line has no effect.
	user root
	persistence true
	persistence_location %s/
	autosave_interval 1
	max_queued_messages 0
	max_inflight_messages 0
	log_dest stderr
	log_type error
	log_type warning
	%s
	`, port, dir, opt.Extra)))
	m := &Mosquitto{
		URL:  fmt.Sprintf("tcp://127.0.0.1:%d", port),
		Addr: fmt.Sprintf("127.0.0.1:%d", port),
		p:    &process{t: t, name: bin, args: []string{"-c", conf}, dir: dir, log: newLog()},
	}
	m.Start(t)
	t.Cleanup(func() { m.p.stop(syscall.SIGTERM) })
	return m
}

// Start starts a stopped broker again (same port, same persistence file).
func (m *Mosquitto) Start(t testing.TB) {
	t.Helper()
	m.p.start()
	waitFor(t, "mosquitto", m.p.log, func() bool { return portOpen(m.Addr) })
}

// Stop stops the broker gracefully (it saves its persistence file).
func (m *Mosquitto) Stop() { m.p.stop(syscall.SIGTERM) }

// Log returns the tail of the broker's log.
func (m *Mosquitto) Log() string { return m.p.log.Last(4000).String() }
