package deploy

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"facmon/deploy/testbed"

	"facmon/internal/testsupport"
)

// brokerUnderTest is deploy/mosquitto/mosquitto.conf started for real, its
// container paths mapped to the repository and a temp dir.
type brokerUnderTest struct {
	// URL is the listener the site LAN and facmon use: MQTT over TLS
	// (ssl://127.0.0.1:PORT), its certificate signed by CAFile.
	URL    string
	CAFile string
	// PlainURL is the plaintext listener, on loopback only in the stack.
	PlainURL string
	secrets  string // the secrets folder create.sh made
	log      *testsupport.LockedBuffer
}

// mosquittoPathKeys are the directives whose argument is a container path.
var mosquittoPathKeys = map[string]bool{
	"password_file": true, "acl_file": true, "persistence_location": true,
	"cafile": true, "certfile": true, "keyfile": true,
}

// listenerPorts are the loopback ports a test broker listens on.
type listenerPorts struct{ plain, tls int }

// adaptMosquittoConf rewrites the broker config for a test: each listener
// on a free loopback port, each container path to where compose would take
// it from. The stack has two listeners: plaintext bound to the container's
// loopback (not published) and TLS for the LAN (published).
func adaptMosquittoConf(t testing.TB, c *composeFile, conf, secrets, data string) (string, listenerPorts) {
	t.Helper()
	s := c.service(t, "mosquitto")
	var out []string
	var ports listenerPorts
	inLAN, lanCert := false, false
	sc := bufio.NewScanner(strings.NewReader(conf))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || strings.HasPrefix(f[0], "#"):
		case f[0] == "listener":
			loopback := len(f) > 2 && (f[2] == "127.0.0.1" || f[2] == "::1")
			if !loopback && !hasPort(s.Ports, f[1]) {
				t.Errorf("mosquitto.conf: listener %s is not published in compose.yaml (ports %v)", f[1], s.Ports)
			}
			if loopback && hasPort(s.Ports, f[1]) {
				t.Errorf("mosquitto.conf: the loopback listener %s is published", f[1])
			}
			inLAN = !loopback
			port := testbed.FreePort(t)
			if loopback {
				ports.plain = port
			} else {
				ports.tls = port
			}
			line = fmt.Sprintf("listener %d 127.0.0.1", port)
		case mosquittoPathKeys[f[0]] && len(f) == 2:
			if f[0] == "certfile" && inLAN {
				lanCert = true
			}
			line = f[0] + " " + mosquittoHostPath(t, c, s, f[1], secrets, data)
		}
		out = append(out, line)
	}
	if ports.tls == 0 || !lanCert {
		t.Fatal("mosquitto.conf: no TLS listener (certfile) for the site LAN")
	}
	return strings.Join(out, "\n") + "\n", ports
}

func mosquittoHostPath(t testing.TB, c *composeFile, s composeService, p, secrets, data string) string {
	t.Helper()
	w, ok := c.resolve(t, s, strings.TrimSuffix(p, "/"))
	switch {
	case !ok:
		t.Fatalf("mosquitto.conf: %s is neither mounted nor a secret of the mosquitto service", p)
	case w.Volume != "":
		d := filepath.Join(data, w.Volume, w.Rest)
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		return d + "/"
	case strings.HasPrefix(w.Host, filepath.Join(deployDir(t), "secrets")+"/"):
		return filepath.Join(secrets, filepath.Base(w.Host))
	}
	if _, err := os.Stat(w.Host); err != nil {
		t.Fatalf("mosquitto.conf: %s: %v", p, err)
	}
	return w.Host
}

func hasPort(ports []string, container string) bool {
	for _, p := range ports {
		if strings.HasSuffix(p, ":"+container) {
			return true
		}
	}
	return false
}

// startDeployBroker starts Mosquitto with the deploy config and the secrets
// create.sh makes for the given devices.
func startDeployBroker(t *testing.T, devices ...string) *brokerUnderTest {
	t.Helper()
	bin := testbed.LookBinary(t, "mosquitto")
	c := loadCompose(t)
	secrets := createSecrets(t, devices...)
	w, ok := c.resolve(t, c.service(t, "mosquitto"), "/mosquitto/config/mosquitto.conf")
	if !ok || w.Host == "" {
		t.Fatal("compose.yaml: mosquitto.conf is not mounted at /mosquitto/config/mosquitto.conf")
	}
	conf, err := os.ReadFile(w.Host)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text, ports := adaptMosquittoConf(t, c, string(conf), secrets, dir)
	if os.Geteuid() == 0 {
		text += "user root\n" // as root Mosquitto would drop to "mosquitto", who cannot read the temp dir
	}
	path := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &brokerUnderTest{URL: fmt.Sprintf("ssl://127.0.0.1:%d", ports.tls), CAFile: filepath.Join(secrets, "tls_ca.crt"),
		secrets: secrets, log: &testsupport.LockedBuffer{}}
	if ports.plain != 0 {
		b.PlainURL = fmt.Sprintf("tcp://127.0.0.1:%d", ports.plain)
	}
	cmd := exec.Command(bin, "-c", path)
	cmd.Stdout, cmd.Stderr = b.log, b.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	})
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", ports.tls), exited, b.log)
	return b
}

// waitListening polls addr until it accepts, the process exits, or 30 s pass.
func waitListening(t testing.TB, addr string, exited <-chan error, log *testsupport.LockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("mosquitto exited (%v) with the deploy config:\n%s", err, log)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("mosquitto did not listen on %s in 30 s:\n%s", addr, log)
}

// tlsConfig trusts the stack's CA, as a device or facmon does.
func (b *brokerUnderTest) tlsConfig(t testing.TB) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(b.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s: no certificate", b.CAFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// connect opens an MQTT 3.1.1 session as user with password; the error is
// the broker's refusal, if any.
func (b *brokerUnderTest) connect(t testing.TB, user, password string) (mqtt.Client, error) {
	t.Helper()
	o := mqtt.NewClientOptions().AddBroker(b.URL).SetClientID(fmt.Sprintf("%s-%d", user, time.Now().UnixNano())).
		SetUsername(user).SetPassword(password).SetAutoReconnect(false).SetConnectRetry(false).
		SetProtocolVersion(4).SetConnectTimeout(10 * time.Second)
	if b.CAFile != "" {
		o.SetTLSConfig(b.tlsConfig(t))
	}
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(15 * time.Second) {
		return nil, fmt.Errorf("connect as %q: timeout", user)
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c, nil
}

// password reads a password create.sh made ("facmon_mqtt_password" or
// "devices/ID.password").
func (b *brokerUnderTest) password(t testing.TB, name string) string {
	t.Helper()
	p, err := os.ReadFile(filepath.Join(b.secrets, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(p))
}

func TestMosquittoDeployConfigRefusesStrangers(t *testing.T) {
	b := startDeployBroker(t, "tank-1")
	tests := []struct {
		name, user, password string
	}{
		{"anonymous", "", ""},
		{"wrong password", "facmon", "not-the-password"},
		{"unknown user", "intruder", "x"},
		{"device with facmon's password", "tank-1", b.password(t, "facmon_mqtt_password")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := b.connect(t, tt.user, tt.password); err == nil {
				t.Errorf("broker accepted user %q", tt.user)
			}
		})
	}
	if _, err := b.connect(t, "facmon", b.password(t, "facmon_mqtt_password")); err != nil {
		t.Fatalf("facmon with its password: %v\n%s", err, b.log)
	}
}

func TestMosquittoDeployACL(t *testing.T) {
	b := startDeployBroker(t, "tank-1", "tank-2")
	facmon, err := b.connect(t, "facmon", b.password(t, "facmon_mqtt_password"))
	if err != nil {
		t.Fatalf("facmon: %v\n%s", err, b.log)
	}
	got := make(chan string, 100)
	if tok := facmon.Subscribe("#", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m.Topic() }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("facmon subscribe #: %v", tok.Error())
	}
	clients := map[string]mqtt.Client{"facmon": facmon}
	for _, dev := range []string{"tank-1", "tank-2"} {
		if clients[dev], err = b.connect(t, dev, b.password(t, "devices/"+dev+".password")); err != nil {
			t.Fatalf("%s: %v", dev, err)
		}
	}
	// marker is a topic each user may publish; once facmon has it, anything
	// the same session published before it has been delivered or dropped.
	marker := map[string]string{
		"facmon": "facmon/demo-estate/test-marker",
		"tank-1": "estate/pump-room/water_tank/tank-1/test-marker",
		"tank-2": "estate/pump-room/water_tank/tank-2/test-marker",
	}
	tests := []struct {
		name, user, topic string
		delivered         bool
	}{
		{"device publishes its own reading", "tank-1", "estate/pump-room/water_tank/tank-1/level", true},
		{"device publishes another device's reading", "tank-1", "estate/pump-room/water_tank/tank-2/level", false},
		{"device fakes an alarm under facmon/", "tank-1", "facmon/demo-estate/alarm", false},
		{"device fakes a device status", "tank-2", "facmon/demo-estate/status/tank-1", false},
		{"device publishes outside estate/", "tank-2", "tank-2/level", false},
		{"facmon publishes an alarm", "facmon", "facmon/demo-estate/alarm", true},
		{"facmon publishes a device status", "facmon", "facmon/demo-estate/status/tank-1", true},
		{"facmon publishes as a device", "facmon", "estate/pump-room/water_tank/tank-1/level", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clients[tt.user]
			publish(t, c, tt.topic)
			m := fmt.Sprintf("%s/%d", marker[tt.user], i)
			publish(t, c, m)
			seen := drainUntil(t, got, m)
			if seen[tt.topic] != tt.delivered {
				t.Errorf("%s publishing %s: delivered = %v, want %v", tt.user, tt.topic, seen[tt.topic], tt.delivered)
			}
		})
	}
}

func publish(t testing.TB, c mqtt.Client, topic string) {
	t.Helper()
	tok := c.Publish(topic, 1, false, "1")
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// drainUntil collects topics from got until marker arrives (30 s at most).
func drainUntil(t testing.TB, got <-chan string, marker string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case topic := <-got:
			if topic == marker {
				return seen
			}
			seen[topic] = true
		case <-timeout:
			t.Fatalf("marker %s never arrived (seen %v)", marker, seen)
		}
	}
}

func TestMosquittoDeployConfigPersists(t *testing.T) {
	conf, err := os.ReadFile("mosquitto/mosquitto.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"persistence true", "allow_anonymous false", "password_file ", "acl_file "} {
		if !strings.Contains(string(conf), "\n"+want) {
			t.Errorf("mosquitto.conf lacks %q", want)
		}
	}
}
