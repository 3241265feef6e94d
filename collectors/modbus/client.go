package modbus

import (
	"time"

	"facmon/collectors/modbus/codec"
)

// Client is what a gateway's poller needs from a Modbus master library. It
// is used by one goroutine only (the gateway's poller), so implementations
// may keep per-request state such as the unit id. Errors are already
// classified: ErrTimeout, ErrFrame, ErrTransaction, ErrConnection or an
// ExceptionError, wrapped.
type Client interface {
	// Read returns the data bytes of a read of count registers or bits of
	// table t from start on unit.
	Read(unit byte, t codec.Table, start, count uint16, timeout time.Duration) ([]byte, error)
	// WriteCoil sets one coil.
	WriteCoil(unit byte, addr uint16, on bool, timeout time.Duration) error
	// WriteRegisters writes words (wire bytes, 2 per register) from addr on.
	WriteRegisters(unit byte, addr uint16, words []byte, timeout time.Duration) error
	// LastResponse is the last raw frame received, for logging after a
	// panic; nil if unknown.
	LastResponse() []byte
	// Close drops the connection; the next request reconnects.
	Close() error
}

// Transport is how a gateway is reached.
type Transport uint8

// Transports.
const (
	TCP Transport = iota
	RTU
	RTUOverTCP
)

// String returns the site-file name of the transport, or "unknown".
func (t Transport) String() string {
	switch t {
	case TCP:
		return "tcp"
	case RTU:
		return "rtu"
	case RTUOverTCP:
		return "rtu-over-tcp"
	}
	return "unknown"
}

// Gateway is one connection's settings, as the Dialer needs them.
type Gateway struct {
	ID        string
	Transport Transport
	// Address is host:port, or a serial device for RTU.
	Address  string
	BaudRate int
	DataBits int
	Parity   string
	StopBits int
	// Timeout is the connect timeout and the serial read timeout.
	Timeout time.Duration
}

// Dialer makes the Client of one gateway. It should not do I/O: clients
// connect on first use and after Close.
type Dialer func(gw Gateway) (Client, error)
