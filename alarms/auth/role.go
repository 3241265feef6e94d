// Package auth is who may use the console and the JSON API: named users in
// a file with bcrypt hashes, the roles operator, engineer and admin,
// browser sessions (cookie + CSRF token, idle lock), HTTP Basic and bearer
// tokens for scripts, and login throttling. The rules are OWASP ASVS
// level 2 (篇3·二十二·3–5 asks that only authorised staff handle alarms and
// arm or disarm zones).
package auth

import "fmt"

// Role is what a user may do; each role includes the ones below it.
type Role int

// Roles, lowest first.
const (
	// NoRole is no access at all.
	NoRole Role = iota
	// Operator views, acknowledges, handles alarms and arms/disarms zones.
	Operator
	// Engineer may also shelve alarms and take devices out of service.
	Engineer
	// Admin may also manage users.
	Admin
)

// String is the role's name in the users file, or "unknown".
func (r Role) String() string {
	switch r {
	case Operator:
		return "operator"
	case Engineer:
		return "engineer"
	case Admin:
		return "admin"
	}
	return "unknown"
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range []Role{Operator, Engineer, Admin} {
		if r.String() == s {
			return r, nil
		}
	}
	return NoRole, fmt.Errorf("role %q unknown (operator, engineer or admin)", s)
}

// MarshalText writes the role's name.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a role's name.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
