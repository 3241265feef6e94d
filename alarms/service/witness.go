package service

import (
	"context"
	"time"

	"facmon/alarms/journal"
	"facmon/internal/lineproto"
)

// WitnessMeasurement is the InfluxDB measurement of the journal head.
const WitnessMeasurement = "journal_head"

// WitnessTopic is the MQTT topic the journal head is retained on.
func WitnessTopic(site string) string { return "facmon/" + site + "/journal/head" }

// WitnessMessage is the retained head message.
type WitnessMessage struct {
	Site string       `json:"site"`
	Seq  uint64       `json:"seq"`
	Hash journal.Hash `json:"hash"`
	Time time.Time    `json:"time"`
}

// witnessLoop publishes the journal's head as it moves — retained on MQTT
// and as a point in InfluxDB — so that `facmon journal verify --witness`
// can prove the newest records: a head published outside the data
// directory says which records were acknowledged.
func (s *Service) witnessLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last journal.Head
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if h := s.journal.Head(); h.Seq != 0 && h != last && s.publishHead(ctx, h) {
			last = h
		}
	}
}

// publishHead sends h to both witnesses; false if one failed (tried again
// at the next tick).
func (s *Service) publishHead(ctx context.Context, h journal.Head) bool {
	site, now := s.Site().ID, s.o.Clock()
	line := lineproto.AppendMeasurement(nil, WitnessMeasurement)
	line = lineproto.AppendTag(line, "site", site)
	line = lineproto.AppendFieldSep(line, 0)
	line = lineproto.AppendFloat(line, "seq", float64(h.Seq))
	line = lineproto.AppendFieldSep(line, 1)
	line = lineproto.AppendString(line, "hash", h.Hash.String())
	line = lineproto.AppendTime(line, now.UnixNano())
	ok := true
	if err := s.o.Store.PublishLines(ctx, [][]byte{line}); err != nil {
		s.log.Warn("journal head not written to InfluxDB", "seq", h.Seq, "err", err)
		ok = false
	}
	if g := s.current(); g != nil && g.links.MQTT != nil {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		msg := WitnessMessage{Site: site, Seq: h.Seq, Hash: h.Hash, Time: now}
		if err := g.links.MQTT.PublishJSON(pctx, WitnessTopic(site), 1, true, msg); err != nil {
			s.log.Warn("journal head not published on MQTT", "seq", h.Seq, "err", err)
			ok = false
		}
	}
	return ok
}
