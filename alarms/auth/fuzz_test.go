package auth

import (
	"crypto/tls"
	"testing"
)

var tlsState tls.ConnectionState

// FuzzParseFile feeds the users-file parser arbitrary bytes: it must never
// panic, and what it accepts must have valid names and bcrypt hashes.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(`{"users":[{"name":"op","role":"operator","hash":"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := parseFile(b)
		if err != nil {
			return
		}
		for _, u := range fl.Users {
			if !nameRE.MatchString(u.Name) || u.Role.String() == "unknown" && u.Role != NoRole {
				t.Fatalf("accepted %+v", u)
			}
		}
	})
}
