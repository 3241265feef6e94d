package auth

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
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

// FuzzGuard sends requests with arbitrary methods, paths, credentials,
// cookies and CSRF headers through the guard: it must never panic, and
// whatever it lets through to a non-open route must carry a user.
func FuzzGuard(f *testing.F) {
	f.Add("POST", "/api/v1/alarms/a%2Fb/ack", "Basic b3A6b3AtcGFzc3dvcmQ=", "x", "y")
	f.Add("GET", "/api/v1/alarms", "Bearer fmt_abc", "", "")
	f.Add("POST", "/api/v1/session/login", "", "", "")
	f.Add("DELETE", "/api/v1/users", "basic", "\x00", "\xff")
	st, err := Open(f.TempDir() + "/users.json")
	if err != nil {
		f.Fatal(err)
	}
	st.SetCost(4)
	if err := st.Put("op", Operator, "op-password"); err != nil {
		f.Fatal(err)
	}
	g := New(Options{Store: st})
	f.Fuzz(func(t *testing.T, method, path, authz, cookie, csrf string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\x00") {
			return
		}
		r, err := http.NewRequest(method, "http://facmon"+path, nil)
		if err != nil {
			return
		}
		r.Header.Set("Authorization", authz)
		r.Header.Set("Cookie", CookieName+"="+cookie)
		r.Header.Set(CSRFHeader, csrf)
		reached := false
		g.Wrap(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			reached = true
			if g.need(r) != NoRole && UserOf(r) == "" {
				t.Fatalf("%s %s reached the handler without a user", method, path)
			}
		})).ServeHTTP(httptest.NewRecorder(), r)
		_ = reached
	})
}

func validMethod(m string) bool {
	return m != "" && !strings.ContainsFunc(m, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) })
}
