// Package metricscope registers the metrics of a part that a reload
// rebuilds (the collectors, the notifiers) directly on the process's
// registry, and unregisters them all when that part stops, so the next
// build registers the same names again: no registry per build and no
// gatherer to swap.
package metricscope

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Scope is a prometheus.Registerer that remembers what it registered.
type Scope struct {
	reg prometheus.Registerer

	mu sync.Mutex
	cs []prometheus.Collector
}

var _ prometheus.Registerer = (*Scope)(nil)

// New returns a scope on reg.
func New(reg prometheus.Registerer) *Scope { return &Scope{reg: reg} }

// Register registers c on the underlying registry and remembers it.
func (s *Scope) Register(c prometheus.Collector) error {
	if err := s.reg.Register(c); err != nil {
		return err
	}
	s.mu.Lock()
	s.cs = append(s.cs, c)
	s.mu.Unlock()
	return nil
}

// MustRegister registers cs and panics on the first error, as the
// registry's MustRegister does.
func (s *Scope) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := s.Register(c); err != nil {
			panic(err)
		}
	}
}

// Unregister unregisters c.
func (s *Scope) Unregister(c prometheus.Collector) bool {
	s.mu.Lock()
	for i, x := range s.cs {
		if x == c {
			s.cs = append(s.cs[:i], s.cs[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	return s.reg.Unregister(c)
}

// Close unregisters everything the scope registered.
func (s *Scope) Close() {
	s.mu.Lock()
	cs := s.cs
	s.cs = nil
	s.mu.Unlock()
	for _, c := range cs {
		s.reg.Unregister(c)
	}
}
