package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"facmon/alarms/auth"
	"facmon/internal/site"
)

// cmdUserAdd is `facmon user add NAME --role operator|engineer|admin`: it
// adds the user, or changes its role and password, reading the password
// from the terminal (twice, not echoed) or from one line of stdin.
func cmdUserAdd(args []string, stdout, stderr io.Writer) int {
	return userAdd(args, os.Stdin, stdout, stderr)
}

func userAdd(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	role := fs.String("role", "", "operator, engineer or admin")
	dataDir := fs.String("data-dir", defaultDataDir(), "facmon's data directory (env FACMON_DATA_DIR); the users are in users.json there")
	name, rest := splitName(args)
	if code, ok := parseFlags(fs, rest, stderr); !ok {
		return code
	}
	if name == "" {
		fmt.Fprintln(stderr, "facmon user add: usage: facmon user add NAME --role operator|engineer|admin")
		return 2
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		fmt.Fprintln(stderr, "facmon user add: --role:", err)
		return 2
	}
	pw, err := readPassword(stdin, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "facmon user add:", err)
		return 1
	}
	if err := ensureDataDir(*dataDir); err != nil {
		fmt.Fprintln(stderr, "facmon user add:", err)
		return 1
	}
	st, err := auth.Open(usersFile(*dataDir))
	if err == nil {
		err = st.Put(name, r, pw)
	}
	if err != nil {
		fmt.Fprintln(stderr, "facmon user add:", err)
		return 1
	}
	fmt.Fprintf(stdout, "user %q (%s) saved in %s; a running facmon applies it within seconds (its sessions end)\n", name, r, usersFile(*dataDir))
	return 0
}

// cmdUserRemove is `facmon user remove NAME`: the user and its tokens go;
// a running facmon ends its sessions within seconds.
func cmdUserRemove(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("user remove", flag.ContinueOnError)
	dataDir := dataDirFlag(fs)
	name, rest := splitName(args)
	if code, ok := parseFlags(fs, rest, stderr); !ok {
		return code
	}
	if name == "" {
		fmt.Fprintln(stderr, "facmon user remove: usage: facmon user remove NAME")
		return 2
	}
	st, err := auth.Open(usersFile(*dataDir))
	if err == nil {
		err = st.Remove(name)
	}
	if err != nil {
		fmt.Fprintln(stderr, "facmon user remove:", err)
		return 1
	}
	fmt.Fprintf(stdout, "user %q removed, with its tokens\n", name)
	return 0
}

// cmdUserList is `facmon user list`: names and roles.
func cmdUserList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("user list", flag.ContinueOnError)
	dataDir := dataDirFlag(fs)
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	st, err := auth.Open(usersFile(*dataDir))
	if err != nil {
		fmt.Fprintln(stderr, "facmon user list:", err)
		return 1
	}
	for _, u := range st.Users() {
		fmt.Fprintf(stdout, "%s\t%s\n", u.Name, u.Role)
	}
	return 0
}

// cmdTokenCreate is `facmon token create --user NAME [--note TEXT]
// [--expires 90d] [--role operator]`: a bearer token for the JSON API,
// printed once.
func cmdTokenCreate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	user := fs.String("user", "", "the user the token acts as")
	note := fs.String("note", "", "what the token is for")
	expires := fs.String("expires", "", "lifetime, like 90d or 12h (default: until revoked)")
	role := fs.String("role", "", "a role below the user's, to narrow the token (default: the user's)")
	dataDir := dataDirFlag(fs)
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *user == "" {
		fmt.Fprintln(stderr, "facmon token create: --user is required")
		return 2
	}
	now := time.Now()
	o := auth.TokenOptions{Note: *note}
	if *expires != "" {
		d, err := parseLifetime(*expires)
		if err != nil {
			fmt.Fprintln(stderr, "facmon token create: --expires:", err)
			return 2
		}
		o.Expires = now.Add(d)
	}
	if *role != "" {
		r, err := auth.ParseRole(*role)
		if err != nil {
			fmt.Fprintln(stderr, "facmon token create: --role:", err)
			return 2
		}
		o.Role = r
	}
	st, err := auth.Open(usersFile(*dataDir))
	if err != nil {
		fmt.Fprintln(stderr, "facmon token create:", err)
		return 1
	}
	id, secret, err := st.CreateToken(*user, o, now)
	if err != nil {
		fmt.Fprintln(stderr, "facmon token create:", err)
		return 1
	}
	fmt.Fprintf(stderr, "token %s for %q created; it is shown once — use it as: Authorization: Bearer <token>\n", id, *user)
	fmt.Fprintln(stdout, secret)
	return 0
}

// cmdTokenList is `facmon token list`: id, user, role, created, expires,
// note — never the secret, which is not stored.
func cmdTokenList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token list", flag.ContinueOnError)
	dataDir := dataDirFlag(fs)
	config := fs.String("config", "", "site file: print times in the site's time zone (default: this machine's zone, named)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	loc := time.Local
	if *config != "" {
		s, err := site.Load(*config)
		if err != nil {
			fmt.Fprintln(stderr, "facmon token list:", err)
			return 1
		}
		loc = s.Location
	}
	st, err := auth.Open(usersFile(*dataDir))
	if err != nil {
		fmt.Fprintln(stderr, "facmon token list:", err)
		return 1
	}
	const layout = "2006-01-02 15:04:05 MST"
	now := time.Now()
	fmt.Fprintln(stdout, "ID\tUSER\tROLE\tCREATED\tEXPIRES\tNOTE")
	for _, t := range st.Tokens() {
		role := "(user's)"
		if t.Role != auth.NoRole {
			role = t.Role.String()
		}
		exp := "never"
		if t.Expires != nil {
			exp = t.Expires.In(loc).Format(layout)
			if t.Expired(now) {
				exp += " (expired)"
			}
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, role, t.Created.In(loc).Format(layout), exp, t.Note)
	}
	return 0
}

// cmdTokenRevoke is `facmon token revoke ID`: the token stops working; a
// running facmon closes the requests that use it within seconds.
func cmdTokenRevoke(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token revoke", flag.ContinueOnError)
	dataDir := dataDirFlag(fs)
	id, rest := splitName(args)
	if code, ok := parseFlags(fs, rest, stderr); !ok {
		return code
	}
	if id == "" {
		fmt.Fprintln(stderr, "facmon token revoke: usage: facmon token revoke ID (facmon token list shows the ids)")
		return 2
	}
	st, err := auth.Open(usersFile(*dataDir))
	if err == nil {
		err = st.RevokeToken(id)
	}
	if err != nil {
		fmt.Fprintln(stderr, "facmon token revoke:", err)
		return 1
	}
	fmt.Fprintf(stdout, "token %s revoked\n", id)
	return 0
}

func dataDirFlag(fs *flag.FlagSet) *string {
	return fs.String("data-dir", defaultDataDir(), "facmon's data directory (env FACMON_DATA_DIR); the users are in users.json there")
}

// parseLifetime reads a Go duration or a number of days ("90d").
func parseLifetime(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, fmt.Errorf("%q: want a positive number of days like 90d, or a duration like 12h", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration like 12h, or days like 90d", s)
	}
	return d, nil
}

// splitName takes a leading NAME argument off args (flags may follow it).
func splitName(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// readPassword reads the password: prompted twice without echo from a
// terminal, else the first line of stdin (for scripts).
func readPassword(in *os.File, prompt io.Writer) (string, error) {
	if _, err := unix.IoctlGetTermios(int(in.Fd()), unix.TCGETS); err != nil {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("read the password from stdin: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	first, err := readHidden(in, prompt, "Password: ")
	if err != nil {
		return "", err
	}
	again, err := readHidden(in, prompt, "Again: ")
	if err != nil {
		return "", err
	}
	if first != again {
		return "", errors.New("the passwords differ")
	}
	return first, nil
}

// readHidden reads one line from the terminal with echo off.
func readHidden(in *os.File, prompt io.Writer, label string) (string, error) {
	fd := int(in.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return "", err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return "", err
	}
	defer func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }()
	fmt.Fprint(prompt, label)
	line, err := bufio.NewReader(in).ReadString('\n')
	fmt.Fprintln(prompt)
	return strings.TrimRight(line, "\r\n"), err
}
