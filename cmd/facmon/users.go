package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"facmon/alarms/auth"
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
	st, err := auth.Open(usersFile(*dataDir))
	if err == nil {
		err = st.Put(name, r, pw)
	}
	if err != nil {
		fmt.Fprintln(stderr, "facmon user add:", err)
		return 1
	}
	fmt.Fprintf(stdout, "user %q (%s) saved in %s; a running facmon sees it at the next login after a restart\n", name, r, usersFile(*dataDir))
	return 0
}

// cmdTokenCreate is `facmon token create --user NAME [--note TEXT]`: a
// bearer token for the JSON API, printed once.
func cmdTokenCreate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	user := fs.String("user", "", "the user the token acts as (its role applies)")
	note := fs.String("note", "", "what the token is for")
	dataDir := fs.String("data-dir", defaultDataDir(), "facmon's data directory (env FACMON_DATA_DIR)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *user == "" {
		fmt.Fprintln(stderr, "facmon token create: --user is required")
		return 2
	}
	st, err := auth.Open(usersFile(*dataDir))
	if err != nil {
		fmt.Fprintln(stderr, "facmon token create:", err)
		return 1
	}
	id, secret, err := st.CreateToken(*user, *note, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, "facmon token create:", err)
		return 1
	}
	fmt.Fprintf(stderr, "token %s for %q created; it is shown once — use it as: Authorization: Bearer <token>\n", id, *user)
	fmt.Fprintln(stdout, secret)
	return 0
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
