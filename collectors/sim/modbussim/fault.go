package modbussim

import "time"

// FaultKind is a way a unit misbehaves.
type FaultKind uint8

// Fault kinds. Connection refused is not per unit: see Server.SetRefusing.
const (
	// None answers normally.
	None FaultKind = iota
	// Silent reads the request and never answers.
	Silent
	// Slow answers correctly after Fault.Delay.
	Slow
	// Exception answers with exception Fault.Code.
	Exception
	// Truncated answers with a correctly framed response whose data is
	// shorter than its byte count says.
	Truncated
	// Garbled answers with corrupted bytes: a wrong protocol id and flipped
	// data for Modbus TCP, flipped data and a bad CRC for RTU.
	Garbled
	// WrongTransaction answers with another transaction id (Modbus TCP) or
	// another unit id (RTU, which has no transaction id).
	WrongTransaction
)

var faultNames = [...]string{"none", "silent", "slow", "exception", "truncated", "garbled", "wrong-transaction"}

// String returns the fault's name, or "unknown".
func (k FaultKind) String() string {
	if int(k) < len(faultNames) {
		return faultNames[k]
	}
	return "unknown"
}

// Fault is what a unit does wrong, if anything.
type Fault struct {
	Kind FaultKind
	// Delay is the answer delay of a Slow unit; any other unit but a Silent
	// one also waits this long before answering (a slow serial device).
	Delay time.Duration
	// Code is the exception code of an Exception fault (2 = illegal data
	// address, 4 = server device failure, 11 = gateway target failed).
	Code byte
}

// mutate applies f's frame-level corruption to a good response.
func (f Fault) mutate(resp frame, framing Framing) frame {
	switch f.Kind {
	case Truncated:
		resp.pdu = truncate(resp.pdu)
	case Garbled:
		resp.proto ^= 0x5A5A
		resp.pdu = flip(resp.pdu)
	case WrongTransaction:
		resp.tid++
		if framing == RTUOverTCP {
			resp.unit++
		}
	}
	return resp
}

// truncate drops the second half of a response's data while keeping its
// function code and byte count, so the frame is well formed but short.
func truncate(pdu []byte) []byte {
	if len(pdu) <= 2 {
		return pdu[:1]
	}
	return pdu[:2+(len(pdu)-2)/2]
}

// flip corrupts every data byte after the function code and byte count.
func flip(pdu []byte) []byte {
	out := append([]byte(nil), pdu...)
	for i := 2; i < len(out); i++ {
		out[i] ^= 0xA5
	}
	return out
}
