package modbus

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"facmon/collectors"
	"facmon/collectors/sim/modbussim"
	"facmon/internal/site"

	"facmon/internal/testsupport"
)

// openPTY opens a pseudo-terminal pair and returns the master and the
// slave's path, which goburrow opens as a serial port.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("ptsname: %v", e)
	}
	return master, fmt.Sprintf("/dev/pts/%d", n)
}

// TestRTUSerialLine polls RTU over a serial line: goburrow's serial RTU
// client opens a pseudo-terminal whose other end is bridged to the
// simulator in RTU-over-TCP mode, so the bytes on the "line" are RTU.
func TestRTUSerialLine(t *testing.T) {
	master, slave := openPTY(t)
	sim := startSim(t, modbussim.Options{Framing: modbussim.RTUOverTCP, Units: []uint8{2, 3}})
	up, err := net.Dial("tcp", sim.Addr())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(up, master) })
	wg.Go(func() { io.Copy(master, up) })
	t.Cleanup(func() {
		master.Close()
		up.Close()
		wg.Wait()
	})
	sigs, raw, want, fields := mixedSignals()
	storeAll(t, sim, 2, raw, fields)
	line := site.Gateway{ID: "line", Transport: "rtu", Address: slave, BaudRate: 19200, DataBits: 8, Parity: "N", StopBits: 1,
		Timeout: site.Duration(300 * time.Millisecond)}
	s := &site.Site{ID: "demo", Modbus: site.Modbus{Gateways: []site.Gateway{line}},
		Devices: []site.Device{
			dev("meter", "line", 2, 100*time.Millisecond, 300*time.Millisecond, sigs...),
			dev("other", "line", 3, 100*time.Millisecond, 300*time.Millisecond, sig("v", "holding", 0, "uint16", "")),
		}}
	h := run(t, s)
	testsupport.Eventually(t, 10*time.Second, "a poll of both", func() bool {
		return len(h.sink.find("meter", "door")) > 0 && len(h.sink.find("other", "v")) > 0
	})
	for name, w := range want {
		if got := h.sink.find("meter", name)[0].Value; got != w {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	sim.SetFault(2, modbussim.Fault{Kind: modbussim.Exception, Code: 2})
	testsupport.Eventually(t, 10*time.Second, "offline", func() bool { st, _ := h.sink.lastStatus("meter"); return st == collectors.Offline })
	if k := h.state("meter").LastErrorKind; k != "exception" {
		t.Errorf("kind %q, want exception", k)
	}
}
