package modbussim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Framing is how Modbus PDUs travel on the simulator's listener.
type Framing uint8

// Framings.
const (
	// TCP is Modbus TCP: an MBAP header with a transaction id.
	TCP Framing = iota
	// RTUOverTCP is RTU frames (unit, PDU, CRC) carried over a TCP stream,
	// as cheap serial-to-Ethernet gateways do.
	RTUOverTCP
)

// String returns the framing's name, or "unknown".
func (f Framing) String() string {
	switch f {
	case TCP:
		return "tcp"
	case RTUOverTCP:
		return "rtu-over-tcp"
	}
	return "unknown"
}

// frame is one request or response: a unit id, a PDU (function code and
// data) and, for Modbus TCP, the transaction and protocol ids.
type frame struct {
	tid   uint16
	proto uint16
	unit  byte
	pdu   []byte
}

var errFraming = errors.New("modbussim: bad request frame")

// maxPDU is the largest PDU Modbus allows (256-byte RTU ADU less unit and CRC).
const maxPDU = 253

// readTCP reads one MBAP-framed request.
func readTCP(r io.Reader) (frame, error) {
	var hdr [7]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, err
	}
	n := int(binary.BigEndian.Uint16(hdr[4:]))
	if n < 2 || n-1 > maxPDU {
		return frame{}, fmt.Errorf("%w: MBAP length %d", errFraming, n)
	}
	pdu := make([]byte, n-1)
	if _, err := io.ReadFull(r, pdu); err != nil {
		return frame{}, err
	}
	return frame{tid: binary.BigEndian.Uint16(hdr[:]), proto: binary.BigEndian.Uint16(hdr[2:]), unit: hdr[6], pdu: pdu}, nil
}

// encodeTCP builds the MBAP frame of f.
func encodeTCP(f frame) []byte {
	b := make([]byte, 7+len(f.pdu))
	binary.BigEndian.PutUint16(b, f.tid)
	binary.BigEndian.PutUint16(b[2:], f.proto)
	binary.BigEndian.PutUint16(b[4:], uint16(1+len(f.pdu)))
	b[6] = f.unit
	copy(b[7:], f.pdu)
	return b
}

// readRTU reads one RTU request from a stream. The request length follows
// from its function code; a CRC mismatch is an error the caller skips, as a
// device on a noisy line would.
func readRTU(r io.Reader) (frame, error) {
	head := make([]byte, 2, 260)
	if _, err := io.ReadFull(r, head); err != nil {
		return frame{}, err
	}
	rest, err := rtuRequestRest(r, head[1])
	if err != nil {
		return frame{}, err
	}
	adu := append(head, rest...)
	if crc16(adu[:len(adu)-2]) != binary.LittleEndian.Uint16(adu[len(adu)-2:]) {
		return frame{}, fmt.Errorf("%w: CRC mismatch in % x", errFraming, adu)
	}
	return frame{unit: adu[0], pdu: adu[1 : len(adu)-2]}, nil
}

// rtuRequestRest reads what follows unit and function code: the fixed
// 4 data bytes of functions 1 to 6, or the 5-byte header and byte count of
// functions 15 and 16, then the CRC.
func rtuRequestRest(r io.Reader, fc byte) ([]byte, error) {
	switch fc {
	case 1, 2, 3, 4, 5, 6:
		b := make([]byte, 6)
		_, err := io.ReadFull(r, b)
		return b, err
	case 15, 16:
		b := make([]byte, 5)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		tail := make([]byte, int(b[4])+2)
		_, err := io.ReadFull(r, tail)
		return append(b, tail...), err
	}
	return nil, fmt.Errorf("%w: function code %d not served over RTU", errFraming, fc)
}

// encodeRTU builds the RTU frame of f.
func encodeRTU(f frame) []byte {
	b := append([]byte{f.unit}, f.pdu...)
	return binary.LittleEndian.AppendUint16(b, crc16(b))
}

// crc16 is the Modbus RTU CRC (polynomial 0xA001 reflected, initial 0xFFFF).
func crc16(b []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}
