package auth

import "net/http"

// MountUsers registers the admin's user routes: GET /api/v1/users lists
// names and roles; POST /api/v1/users {"name","role","password"} adds a
// user or changes one (and ends its sessions). The guard's policy lets
// only admins reach them.
func (g *Guard) MountUsers(handle func(pattern string, h http.Handler)) {
	handle("GET /api/v1/users", http.HandlerFunc(g.serveUsers))
	handle("POST /api/v1/users", http.HandlerFunc(g.servePutUser))
}

// UserInfo is a user as the API shows it (never the hash).
type UserInfo struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

func (g *Guard) serveUsers(w http.ResponseWriter, _ *http.Request) {
	out := []UserInfo{}
	for _, u := range g.o.Store.Users() {
		out = append(out, UserInfo{Name: u.Name, Role: u.Role})
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

func (g *Guard) servePutUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name     string `json:"name"`
		Role     Role   `json:"role"`
		Password string `json:"password"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if err := g.o.Store.Put(body.Name, body.Role, body.Password); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	g.SyncUsers()
	by, _ := IdentityFrom(r.Context())
	g.o.Logger.Info("user saved", "user", body.Name, "role", body.Role.String(), "by", by.User)
	writeJSON(w, http.StatusOK, UserInfo{Name: body.Name, Role: body.Role})
}
