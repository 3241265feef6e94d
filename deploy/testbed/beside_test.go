package testbed

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// systemBrokerAddr is where a machine's own Mosquitto service listens.
const systemBrokerAddr = "127.0.0.1:1883"

// TestPrereqsNeverStopsServices reads prereqs.sh: it may install packages,
// never stop, disable, mask or kill a service (issue 12 item 7).
func TestPrereqsNeverStopsServices(t *testing.T) {
	src, err := os.ReadFile("prereqs.sh")
	if err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`(?m)^[^#\n]*\b(systemctl\s+(\S+\s+)*(stop|disable|mask|kill|restart)|service\s+\S+\s+stop|pkill|killall|kill\s)`)
	if m := bad.Find(src); m != nil {
		t.Fatalf("prereqs.sh stops or kills something: %q", m)
	}
}

// TestTestbedBesideASystemBroker is `make test` on a machine that runs its
// own Mosquitto on 1883: prereqs.sh and the test servers work beside it and
// it is still running and answering afterwards. When nothing listens on
// 1883 the test starts a broker there itself to stand in for the service
// (and stops only that one).
func TestTestbedBesideASystemBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	pid := systemBroker(t)
	if out, err := exec.Command("bash", "prereqs.sh").CombinedOutput(); err != nil {
		t.Fatalf("prereqs.sh: %v\n%s", err, out)
	}
	m := StartMosquitto(t, MosquittoOptions{})
	if m.Addr == systemBrokerAddr {
		t.Fatalf("test broker took the system broker's address")
	}
	if err := mqttConnect(m.Addr); err != nil {
		t.Fatalf("test broker: %v", err)
	}
	in := StartInflux(t)
	if _, err := in.Query(`SHOW DATABASES`); err != nil {
		t.Fatal(err)
	}
	StartAlertmanager(t, AlertmanagerOptions{Config: "route: {receiver: none}\nreceivers: [{name: none}]\n"})
	m.Stop()
	in.Stop()
	if pid != 0 && syscall.Kill(pid, 0) != nil {
		t.Fatalf("the broker on %s (pid %d) is gone", systemBrokerAddr, pid)
	}
	if err := mqttConnect(systemBrokerAddr); err != nil {
		t.Fatalf("the broker on %s no longer answers: %v", systemBrokerAddr, err)
	}
}

// systemBroker makes sure a broker answers on 1883: the machine's own (pid 0:
// not ours to watch by pid), or one this test starts and stops.
func systemBroker(t *testing.T) int {
	t.Helper()
	if portOpen(systemBrokerAddr) {
		if err := mqttConnect(systemBrokerAddr); err != nil {
			t.Skipf("%s is taken by something that is not an MQTT broker: %v", systemBrokerAddr, err)
		}
		return 0
	}
	cmd := exec.Command(LookBinary(t, "mosquitto"), "-p", "1883")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for mqttConnect(systemBrokerAddr) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("stand-in broker on 1883 did not come up: %s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cmd.Process.Pid
}

// mqttConnect sends an MQTT 3.1.1 CONNECT and expects a CONNACK accepting it.
func mqttConnect(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	id := "facmon-testbed-probe"
	body := append([]byte{0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 10, 0, byte(len(id))}, id...)
	if _, err := c.Write(append([]byte{0x10, byte(len(body))}, body...)); err != nil {
		return err
	}
	ack := make([]byte, 4)
	if _, err := c.Read(ack); err != nil {
		return err
	}
	if ack[0] != 0x20 || ack[3] != 0 {
		return fmt.Errorf("no CONNACK accepting the connection: % x", ack)
	}
	return nil
}
