package mqtt

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// rawReadConn reads its socket with a raw read(2): one that the Go
// runtime does not see as a system call. The socket is non-blocking, so
// the read never blocks; when it has nothing, the connection's poller
// waits as usual (syscall.RawConn.Read).
//
// Why: each ordinary system call made after the process was idle wakes
// the runtime's monitor thread (sysmon), which then polls every 20 µs for
// a millisecond or more before it backs off. A community's devices
// publish steadily, so the process idles between messages and every
// read was such a call: at 2,000 messages/s those wake-ups were a quarter
// of facmon's CPU (docs/storage.md). The monitor still wakes for the
// calls that can block (fsync, writes), where it is needed: to hand a
// processor held by a blocked call to other work.
type rawReadConn struct {
	net.Conn
	rc syscall.RawConn
}

// newRawReadConn wraps c if it exposes its file descriptor; otherwise c
// is returned as it is.
func newRawReadConn(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	return &rawReadConn{Conn: c, rc: rc}
}

func (c *rawReadConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
			switch e {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait until readable
			}
			n, errno = int(r), e
			return true
		}
	})
	switch {
	case err != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	case errno != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: errno}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
