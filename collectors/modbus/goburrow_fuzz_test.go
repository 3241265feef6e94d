package modbus

import (
	"encoding/binary"
	"io"
	"testing"
	"time"

	gb "github.com/goburrow/modbus"

	"facmon/collectors/modbus/codec"
)

// cannedTransporter answers every request with pdu, framed as a correct
// Modbus TCP or RTU answer to that request (or with a bad CRC), so that
// fuzzing reaches goburrow's PDU checks and the decoder.
type cannedTransporter struct {
	pdu    []byte
	rtu    bool
	badCRC bool
}

func (c *cannedTransporter) Send(req []byte) ([]byte, error) {
	if !c.rtu {
		if len(c.pdu) == 0 || len(c.pdu) > 253 {
			return nil, io.ErrUnexpectedEOF // goburrow's transporter rejects these lengths itself
		}
		adu := append([]byte(nil), req[:7]...)
		binary.BigEndian.PutUint16(adu[4:], uint16(1+len(c.pdu)))
		return append(adu, c.pdu...), nil
	}
	adu := append([]byte{req[0]}, c.pdu...)
	crc := rtuCRC(adu)
	if c.badCRC {
		crc ^= 0xFFFF
	}
	return binary.LittleEndian.AppendUint16(adu, crc), nil
}

// rtuCRC is the Modbus CRC-16, for building test frames.
func rtuCRC(b []byte) uint16 {
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

func cannedClient(tr *cannedTransporter) *goburrowClient {
	var p gb.Packager
	var setUnit func(byte)
	if tr.rtu {
		h := gb.NewRTUClientHandler("")
		p, setUnit = h, func(u byte) { h.SlaveId = u }
	} else {
		h := gb.NewTCPClientHandler("")
		p, setUnit = h, func(u byte) { h.SlaveId = u }
	}
	rec := &recorder{next: tr}
	return &goburrowClient{client: gb.NewClient2(p, rec), rec: rec, closer: io.NopCloser(nil),
		setUnit: setUnit, setTimeout: func(time.Duration) {}}
}

// FuzzGoburrowResponse sends arbitrary answer PDUs through goburrow's real
// packagers and client checks, then through the length check and the
// decoder: no panic, every error classified, and data that passes the
// length check decodes into one point per field.
func FuzzGoburrowResponse(f *testing.F) {
	f.Add([]byte{3, 4, 0, 1, 0, 2}, false, false, uint8(2))
	f.Add([]byte{0x83, 2}, true, false, uint8(2))
	f.Add([]byte{1, 1, 0xff}, true, true, uint8(0))
	f.Add([]byte{4, 0}, false, false, uint8(3))
	f.Fuzz(func(t *testing.T, pdu []byte, rtu, badCRC bool, table uint8) {
		c := cannedClient(&cannedTransporter{pdu: pdu, rtu: rtu, badCRC: badCRC})
		tb := codec.Table(table % 4)
		data, err := c.Read(1, tb, 0, 4, time.Second)
		if err != nil {
			if k := Kind(err); k == "other" {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		req := Request{Table: tb, Start: 0, Count: 4}
		if checkLen(req, data) != nil {
			return
		}
		for ty := codec.Bool; ty <= codec.Float64; ty++ {
			fd := codec.Field{Table: tb, Type: ty, Bit: -1}
			if ty == codec.Bool && !tb.IsBits() {
				fd.Bit = 15
			}
			if fd.Check() != nil {
				continue
			}
			if _, err := fd.Decode(data, 0); err != nil {
				t.Fatalf("%v in %d checked bytes: %v", ty, len(data), err)
			}
		}
	})
}
