package modbussim

import (
	"errors"
	"io"
	"net"
	"time"
)

// upstreamTimeout bounds one exchange with the private server.
const upstreamTimeout = 5 * time.Second

// serve handles one client connection: read a request, apply the unit's
// fault, forward it to the private server, and frame the answer back.
func (s *Server) serve(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("modbussim: panic serving connection", "remote", c.RemoteAddr(), "panic", r)
		}
	}()
	var up net.Conn
	defer func() {
		if up != nil {
			up.Close()
		}
	}()
	var tid uint16
	for {
		req, err := s.read(c)
		if errors.Is(err, errFraming) {
			s.log.Warn("modbussim: dropped request", "remote", c.RemoteAddr(), "err", err)
			continue
		}
		if err != nil {
			return
		}
		s.count(req.unit)
		resp, ok, err := s.answer(req, &up, &tid)
		if err != nil {
			s.log.Warn("modbussim: upstream", "unit", req.unit, "err", err)
			return
		}
		if ok {
			if _, err := c.Write(s.encode(resp)); err != nil {
				return
			}
		}
	}
}

func (s *Server) read(r io.Reader) (frame, error) {
	if s.opts.Framing == RTUOverTCP {
		return readRTU(r)
	}
	return readTCP(r)
}

// encode frames resp; a garbled RTU frame also gets a wrong CRC.
func (s *Server) encode(resp frame) []byte {
	if s.opts.Framing != RTUOverTCP {
		return encodeTCP(resp)
	}
	b := encodeRTU(resp)
	if s.fault(resp.unit).Kind == Garbled {
		b[len(b)-1] ^= 0xFF
	}
	return b
}

// answer returns the response to req after the unit's fault, and whether
// to send one at all.
func (s *Server) answer(req frame, up *net.Conn, tid *uint16) (frame, bool, error) {
	f := s.fault(req.unit)
	if f.Kind == Silent {
		return frame{}, false, nil
	}
	if !s.wait(f.Delay) {
		return frame{}, false, nil
	}
	if f.Kind == Exception {
		return frame{tid: req.tid, unit: req.unit, pdu: []byte{req.pdu[0] | 0x80, f.Code}}, true, nil
	}
	resp, err := s.forward(req, up, tid)
	if err != nil {
		return frame{}, false, err
	}
	return f.mutate(resp, s.opts.Framing), true, nil
}

// wait sleeps d unless the server stops first.
func (s *Server) wait(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// forward sends req to the private simonvetter server as Modbus TCP and
// returns its answer with the client's transaction id.
func (s *Server) forward(req frame, up *net.Conn, tid *uint16) (frame, error) {
	if *up == nil {
		c, err := net.DialTimeout("tcp", s.upAddr, upstreamTimeout)
		if err != nil {
			return frame{}, err
		}
		*up = c
	}
	*tid++
	(*up).SetDeadline(time.Now().Add(upstreamTimeout))
	if _, err := (*up).Write(encodeTCP(frame{tid: *tid, unit: req.unit, pdu: req.pdu})); err != nil {
		return frame{}, err
	}
	resp, err := readTCP(*up)
	if err != nil {
		return frame{}, err
	}
	resp.tid, resp.proto = req.tid, req.proto
	return resp, nil
}
