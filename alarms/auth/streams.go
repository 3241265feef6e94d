package auth

import (
	"context"
	"sync"
)

// streams are the requests in flight with their identity, so that ending
// a credential also ends the requests that use it — above all the
// console's event stream, which would otherwise deliver alarms to a
// logged-out or demoted user until the browser closed it.
type streams struct {
	mu sync.Mutex
	m  map[*stream]struct{}
}

type stream struct {
	id     Identity
	cancel context.CancelFunc
}

// open derives the request's context, cancelled when its credential ends;
// call end when the request is done.
func (ss *streams) open(parent context.Context, id Identity) (ctx context.Context, end func()) {
	ctx, cancel := context.WithCancel(parent)
	s := &stream{id: id, cancel: cancel}
	ss.mu.Lock()
	ss.m[s] = struct{}{}
	ss.mu.Unlock()
	return ctx, func() {
		ss.mu.Lock()
		delete(ss.m, s)
		ss.mu.Unlock()
		cancel()
	}
}

// close cancels every request whose identity fails keep.
func (ss *streams) close(keep func(Identity) bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for s := range ss.m {
		if !keep(s.id) {
			s.cancel()
			delete(ss.m, s)
		}
	}
}

// endSession ends one session and the requests it has open (logout, or a
// session found stale).
func (g *Guard) endSession(id string) {
	g.sessions.end(id)
	g.streams.close(func(i Identity) bool { return i.Session != id })
}

// SyncUsers applies the user store as it is now: sessions and open
// requests of users whose password or role changed, of removed users, and
// of revoked or expired tokens end. Call it after the store changed (a
// change through the API, or Reload after the file changed).
func (g *Guard) SyncUsers() {
	current := func(user, stamp string) bool {
		u, ok := g.o.Store.Lookup(user)
		return ok && u.Stamp() == stamp
	}
	for _, id := range g.sessions.retain(current) {
		g.o.Logger.Info("session ended: user changed or removed", "session", id[:8])
	}
	now := g.o.Clock()
	g.streams.close(func(i Identity) bool {
		switch i.Via {
		case "session":
			return g.sessions.has(i.Session)
		case "scrape":
			return true
		case "token":
			t, ok := g.o.Store.tokenByID(i.Token)
			return ok && !t.Expired(now) && current(i.User, i.stamp)
		}
		return current(i.User, i.stamp)
	})
}

// ReloadUsers re-reads the users file and, if it changed, applies it
// (SyncUsers). The service calls it when the file changes on disk.
func (g *Guard) ReloadUsers() error {
	changed, err := g.o.Store.Reload()
	if err != nil {
		return err
	}
	if changed {
		g.o.Logger.Info("users file changed: applied", "file", g.o.Store.Path())
		g.SyncUsers()
	}
	return nil
}
