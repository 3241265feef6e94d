package modbus

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"facmon/collectors/modbus/codec"
)

// Errors a poll or write ends in, told apart with errors.Is and errors.As.
var (
	// ErrTimeout means the device did not answer within its timeout.
	ErrTimeout = errors.New("modbus: timeout")
	// ErrFrame means the answer was short, garbled or inconsistent.
	ErrFrame = errors.New("modbus: bad frame")
	// ErrTransaction means the answer belonged to another request (wrong
	// transaction id, or wrong unit id on RTU).
	ErrTransaction = errors.New("modbus: answer to another request")
	// ErrConnection means the gateway could not be reached or dropped the
	// connection.
	ErrConnection = errors.New("modbus: connection failed")
	// ErrPanic means decoding the device's bytes panicked; the bytes are
	// logged.
	ErrPanic = errors.New("modbus: panic handling response")
)

// ExceptionError is a Modbus exception response.
type ExceptionError struct {
	Function byte
	Code     byte
}

// Error names the exception.
func (e ExceptionError) Error() string {
	return fmt.Sprintf("modbus: exception %d (%s) to function %d", e.Code, exceptionName(e.Code), e.Function)
}

func exceptionName(code byte) string {
	switch code {
	case 1:
		return "illegal function"
	case 2:
		return "illegal data address"
	case 3:
		return "illegal data value"
	case 4:
		return "server device failure"
	case 5:
		return "acknowledge"
	case 6:
		return "server device busy"
	case 8:
		return "memory parity error"
	case 10:
		return "gateway path unavailable"
	case 11:
		return "gateway target device failed to respond"
	}
	return "unknown"
}

// Kind is the metrics label of err: timeout, exception, frame,
// transaction, connection, panic or other.
func Kind(err error) string {
	var ex ExceptionError
	switch {
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.As(err, &ex):
		return "exception"
	case errors.Is(err, ErrTransaction):
		return "transaction"
	case errors.Is(err, ErrFrame), errors.Is(err, codec.ErrShort):
		return "frame"
	case errors.Is(err, ErrConnection):
		return "connection"
	case errors.Is(err, ErrPanic):
		return "panic"
	}
	return "other"
}

// RequestError is a failed read or write, naming where it happened.
type RequestError struct {
	Gateway string
	Device  string
	Unit    byte
	Op      string // "read" or "write"
	Table   codec.Table
	Start   uint16
	Count   uint16
	Err     error
}

// Error reads like `gateway "gw1" unit 3 device "pump-1": read holding 100+10: modbus: timeout`.
func (e *RequestError) Error() string {
	return fmt.Sprintf("gateway %q unit %d device %q: %s %s %d+%d: %v",
		e.Gateway, e.Unit, e.Device, e.Op, e.Table, e.Start, e.Count, e.Err)
}

// Unwrap returns the typed cause.
func (e *RequestError) Unwrap() error { return e.Err }

// frameError marks err, a library message about a malformed answer, as
// ErrFrame or ErrTransaction. Libraries report these as plain strings, so
// the adapter classifies them by their text in one place.
func frameError(err error) error {
	msg := err.Error()
	for _, s := range []string{"transaction id", "slave id", "unit id"} {
		if strings.Contains(msg, s) {
			return fmt.Errorf("%w: %v", ErrTransaction, err)
		}
	}
	return fmt.Errorf("%w: %v", ErrFrame, err)
}

// hexBytes formats at most 256 bytes of wire data for a log line.
func hexBytes(b []byte) string {
	const maxLogged = 256
	if len(b) > maxLogged {
		return fmt.Sprintf("% x ...(%d bytes)", b[:maxLogged], len(b))
	}
	return fmt.Sprintf("% x", b)
}

// backoff is the wait before retry n (1-based) of a failed poll: 100 ms
// doubling (at most ten times), never more than half the interval, so
// retries stay inside one poll cycle.
func backoff(n int, interval time.Duration) time.Duration {
	d := 100 * time.Millisecond << min(n-1, 10)
	return min(d, interval/2)
}
