package modbus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	gb "github.com/goburrow/modbus"

	"facmon/collectors/modbus/codec"
)

// This file is the only one that knows github.com/goburrow/modbus; swapping
// the library means rewriting it alone.

// goburrowClient is a Client on goburrow/modbus. goburrow keeps the unit id
// (SlaveId) and timeout as mutable handler fields, which is why a Client
// belongs to one goroutine.
type goburrowClient struct {
	client     gb.Client
	rec        *recorder
	setUnit    func(byte)
	setTimeout func(time.Duration)
	closer     io.Closer
}

// DialGoburrow makes the Client of gw on goburrow/modbus: Modbus TCP, RTU
// over a serial line, or RTU frames over TCP through rtuTCPTransporter.
// It does no I/O; the connection opens on the first request.
func DialGoburrow(gw Gateway) (Client, error) {
	switch gw.Transport {
	case TCP:
		h := gb.NewTCPClientHandler(gw.Address)
		h.Timeout, h.IdleTimeout = gw.Timeout, 0
		rec := &recorder{next: h}
		return &goburrowClient{client: gb.NewClient2(h, rec), rec: rec, closer: h,
			setUnit: func(u byte) { h.SlaveId = u }, setTimeout: func(d time.Duration) { h.Timeout = d }}, nil
	case RTU:
		h := gb.NewRTUClientHandler(gw.Address)
		h.BaudRate, h.DataBits, h.Parity, h.StopBits = gw.BaudRate, gw.DataBits, gw.Parity, gw.StopBits
		h.Timeout, h.IdleTimeout = gw.Timeout, 0
		rec := &recorder{next: h}
		// The serial read timeout is fixed when the port opens.
		return &goburrowClient{client: gb.NewClient2(h, rec), rec: rec, closer: h,
			setUnit: func(u byte) { h.SlaveId = u }, setTimeout: func(time.Duration) {}}, nil
	case RTUOverTCP:
		p := gb.NewRTUClientHandler("") // used as the RTU packager only
		tr := &rtuTCPTransporter{address: gw.Address, timeout: gw.Timeout}
		rec := &recorder{next: tr}
		return &goburrowClient{client: gb.NewClient2(p, rec), rec: rec, closer: tr,
			setUnit: func(u byte) { p.SlaveId = u }, setTimeout: func(d time.Duration) { tr.timeout = d }}, nil
	}
	return nil, fmt.Errorf("gateway %q: transport %v unknown", gw.ID, gw.Transport)
}

func (c *goburrowClient) prepare(unit byte, timeout time.Duration) {
	c.setUnit(unit)
	c.setTimeout(timeout)
	c.rec.last = c.rec.last[:0]
}

// Read implements Client.
func (c *goburrowClient) Read(unit byte, t codec.Table, start, count uint16, timeout time.Duration) ([]byte, error) {
	c.prepare(unit, timeout)
	var b []byte
	var err error
	switch t {
	case codec.Coil:
		b, err = c.client.ReadCoils(start, count)
	case codec.Discrete:
		b, err = c.client.ReadDiscreteInputs(start, count)
	case codec.Holding:
		b, err = c.client.ReadHoldingRegisters(start, count)
	case codec.Input:
		b, err = c.client.ReadInputRegisters(start, count)
	default:
		return nil, fmt.Errorf("table %v unknown", t)
	}
	if err != nil {
		return nil, c.fail(err)
	}
	return b, nil
}

// WriteCoil implements Client.
func (c *goburrowClient) WriteCoil(unit byte, addr uint16, on bool, timeout time.Duration) error {
	c.prepare(unit, timeout)
	v := uint16(0)
	if on {
		v = 0xFF00
	}
	if _, err := c.client.WriteSingleCoil(addr, v); err != nil {
		return c.fail(err)
	}
	return nil
}

// WriteRegisters implements Client: function 6 for one register, 16 for more.
func (c *goburrowClient) WriteRegisters(unit byte, addr uint16, words []byte, timeout time.Duration) error {
	c.prepare(unit, timeout)
	var err error
	if len(words) == 2 {
		_, err = c.client.WriteSingleRegister(addr, binary.BigEndian.Uint16(words))
	} else {
		_, err = c.client.WriteMultipleRegisters(addr, uint16(len(words)/2), words)
	}
	if err != nil {
		return c.fail(err)
	}
	return nil
}

// LastResponse implements Client.
func (c *goburrowClient) LastResponse() []byte { return c.rec.last }

// Close implements Client.
func (c *goburrowClient) Close() error { return c.closer.Close() }

// fail classifies err. After anything but a clean exception the stream is
// in an unknown state (a late answer would be taken for the next
// request's), so the connection is dropped and the next request redials.
func (c *goburrowClient) fail(err error) error {
	var me *gb.ModbusError
	if errors.As(err, &me) && me.FunctionCode&0x80 != 0 {
		return ExceptionError{Function: me.FunctionCode &^ 0x80, Code: me.ExceptionCode}
	}
	c.closer.Close()
	return classify(err)
}

// classify maps a goburrow or network error onto the package's errors.
func classify(err error) error {
	var ne net.Error
	var me *gb.ModbusError
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	case errors.As(err, &me):
		return fmt.Errorf("%w: function code %d in answer", ErrFrame, me.FunctionCode)
	case errors.Is(err, ErrFrame), errors.Is(err, ErrTransaction), errors.Is(err, ErrConnection):
		return err
	case strings.HasPrefix(err.Error(), "modbus: "):
		return frameError(err)
	}
	return fmt.Errorf("%w: %v", ErrConnection, err)
}

// recorder keeps the last raw response of a transporter for panic logs.
type recorder struct {
	next gb.Transporter
	last []byte
}

// Send implements goburrow's Transporter.
func (r *recorder) Send(adu []byte) ([]byte, error) {
	resp, err := r.next.Send(adu)
	r.last = append(r.last[:0], resp...)
	return resp, err
}

// rtuTCPTransporter carries RTU frames over a TCP stream, for
// serial-to-Ethernet gateways in transparent mode. RTU has no length
// field, so the answer's length is worked out from its function code.
type rtuTCPTransporter struct {
	address string
	timeout time.Duration
	conn    net.Conn
}

// Send implements goburrow's Transporter.
func (t *rtuTCPTransporter) Send(adu []byte) ([]byte, error) {
	if t.conn == nil {
		c, err := net.DialTimeout("tcp", t.address, t.timeout)
		if err != nil {
			return nil, err
		}
		t.conn = c
	}
	if err := t.conn.SetDeadline(time.Now().Add(t.timeout)); err != nil {
		return nil, err
	}
	if _, err := t.conn.Write(adu); err != nil {
		return nil, err
	}
	return readRTUResponse(t.conn)
}

// Close implements io.Closer.
func (t *rtuTCPTransporter) Close() error {
	if t.conn == nil {
		return nil
	}
	err := t.conn.Close()
	t.conn = nil
	return err
}

// readRTUResponse reads one RTU answer: unit, function code, then the
// rest as the function code says, CRC included. The CRC itself is checked
// by goburrow's packager.
func readRTUResponse(r io.Reader) ([]byte, error) {
	adu := make([]byte, 2, 260)
	if _, err := io.ReadFull(r, adu); err != nil {
		return nil, err
	}
	n, err := rtuRestLen(r, &adu)
	if err != nil {
		return nil, err
	}
	rest := make([]byte, n)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, err
	}
	return append(adu, rest...), nil
}

// rtuRestLen says how many bytes follow, reading the byte count of a read
// answer into adu when there is one.
func rtuRestLen(r io.Reader, adu *[]byte) (int, error) {
	fc := (*adu)[1]
	switch {
	case fc&0x80 != 0:
		return 1 + 2, nil // exception code, CRC
	case fc >= 1 && fc <= 4:
		var count [1]byte
		if _, err := io.ReadFull(r, count[:]); err != nil {
			return 0, err
		}
		*adu = append(*adu, count[0])
		return int(count[0]) + 2, nil
	case fc == 5 || fc == 6 || fc == 15 || fc == 16:
		return 4 + 2, nil // address, value or quantity, CRC
	}
	return 0, fmt.Errorf("%w: RTU answer with function code %d after % x", ErrFrame, fc, *adu)
}
