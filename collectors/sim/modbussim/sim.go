// Package modbussim is a Modbus TCP (and RTU-over-TCP) slave for the
// facmon simulator and for tests: one listener stands for one gateway with
// several unit ids behind it, each with its own four tables. Tests and the
// simulator set values, count the requests each unit receives, and inject
// faults per unit (silent, slow, exception, truncated, garbled, wrong
// transaction id) or refuse connections on the whole gateway.
//
// The protocol itself is served by github.com/simonvetter/modbus on a
// private loopback port; a thin framing layer in front of it owns the
// public listener, because frame-level faults and RTU framing cannot be
// produced from inside a well-behaved server's handler.
package modbussim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	mb "github.com/simonvetter/modbus"
)

// Options configure a Server.
type Options struct {
	// Addr is where to listen; default "127.0.0.1:0".
	Addr string
	// Framing is TCP (default) or RTUOverTCP.
	Framing Framing
	// Units are the unit ids served from the start; AddUnit adds more.
	Units []uint8
	// Logger receives connection errors; nil discards them.
	Logger *slog.Logger
}

// Server is one simulated gateway.
type Server struct {
	opts     Options
	store    *store
	upstream *mb.ModbusServer
	upAddr   string
	log      *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	addr     string
	ln       net.Listener
	conns    map[net.Conn]struct{}
	faults   map[uint8]Fault
	requests map[uint8]*atomic.Uint64
}

// Start listens and serves until Close or until ctx ends.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, store: newStore(), log: opts.Logger,
		conns: make(map[net.Conn]struct{}), faults: make(map[uint8]Fault), requests: make(map[uint8]*atomic.Uint64)}
	for _, u := range opts.Units {
		s.AddUnit(u)
	}
	if err := s.startUpstream(); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.addr = opts.Addr
	if err := s.listen(); err != nil {
		s.upstream.Stop()
		return nil, err
	}
	context.AfterFunc(s.ctx, func() { s.closeListener() })
	return s, nil
}

// startUpstream starts the simonvetter server on a free loopback port.
// The port is found by binding :0 and releasing it, so a rare race with
// another process is retried.
func (s *Server) startUpstream() error {
	var err error
	for range 5 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fmt.Errorf("modbussim: find a port: %w", err)
		}
		s.upAddr = ln.Addr().String()
		ln.Close()
		s.upstream, err = mb.NewServer(&mb.ServerConfiguration{
			URL: "tcp://" + s.upAddr, Timeout: 10 * time.Minute, MaxClients: 1000,
			Logger: log.New(io.Discard, "", 0),
		}, s.store)
		if err != nil {
			return fmt.Errorf("modbussim: %w", err)
		}
		if err = s.upstream.Start(); err == nil {
			return nil
		}
	}
	return fmt.Errorf("modbussim: start server on %s: %w", s.upAddr, err)
}

// Addr is the host:port the gateway listens on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Close stops the listener, drops every connection and waits for the
// server's goroutines.
func (s *Server) Close() error {
	s.cancel()
	s.closeListener()
	s.wg.Wait()
	return s.upstream.Stop()
}

// SetRefusing closes the listener so that connections are refused (true),
// or listens again on the same address (false).
func (s *Server) SetRefusing(refuse bool) error {
	if refuse {
		s.closeListener()
		return nil
	}
	return s.listen()
}

func (s *Server) listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil || s.ctx.Err() != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("modbussim: listen on %s: %w", s.addr, err)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	s.wg.Go(func() { s.accept(ln) })
	return nil
}

// closeListener stops accepting and closes every open connection.
func (s *Server) closeListener() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		c.Close()
	}
}

func (s *Server) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Warn("modbussim: accept", "addr", ln.Addr(), "err", err)
			}
			return
		}
		s.mu.Lock()
		if s.ln != ln { // closed while this connection was being accepted
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Go(func() { s.serve(c) })
		s.mu.Unlock()
	}
}

// AddUnit makes unit id answer, with all tables zero.
func (s *Server) AddUnit(unit uint8) {
	s.store.mu.Lock()
	s.store.unit(unit, true)
	s.store.mu.Unlock()
	s.mu.Lock()
	if s.requests[unit] == nil {
		s.requests[unit] = new(atomic.Uint64)
	}
	s.mu.Unlock()
}

// SetFault makes unit misbehave as f says; Fault{} heals it.
func (s *Server) SetFault(unit uint8, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[unit] = f
}

func (s *Server) fault(unit uint8) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults[unit]
}

// Requests is how many requests unit has received, answered or not.
func (s *Server) Requests(unit uint8) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.requests[unit]; c != nil {
		return c.Load()
	}
	return 0
}

// TotalRequests is how many requests all units have received.
func (s *Server) TotalRequests() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n uint64
	for _, c := range s.requests {
		n += c.Load()
	}
	return n
}

// ResetRequests sets every unit's request count to zero.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.requests {
		c.Store(0)
	}
}

func (s *Server) count(unit uint8) {
	s.mu.Lock()
	c := s.requests[unit]
	if c == nil {
		c = new(atomic.Uint64)
		s.requests[unit] = c
	}
	s.mu.Unlock()
	c.Add(1)
}
