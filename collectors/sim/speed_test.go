package sim

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestSpeedOnFakeClock runs the Sim's own tick loop in a synctest bubble
// at speed 6: the generator's 10 s start delay takes under 2 s of clock,
// the 10-minute outage 100 s, and the 3-minute run-on 30 s.
func TestSpeedOnFakeClock(t *testing.T) {
	demo := loadDemo(t)
	demo.Modbus.Gateways = nil // no sockets in the bubble: physics only
	demo.MQTT.URL = ""
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Options{Site: demo, Speed: 6, Tick: time.Second, Scenario: MainsOutage})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		steps := []struct {
			at      time.Duration // of clock since start
			running float64
		}{
			{1 * time.Second, 0},   // 6 s simulated: still waiting
			{2 * time.Second, 1},   // 12 s: started
			{129 * time.Second, 1}, // mains back at 100 s; run-on until 130 s
			{131 * time.Second, 0},
		}
		start := time.Now()
		for _, st := range steps {
			time.Sleep(st.at - time.Since(start))
			synctest.Wait()
			if v, _ := s.Value("generator-1", "running"); v != st.running {
				t.Errorf("at %v of clock: generator running = %v, want %v", st.at, v, st.running)
			}
		}
		cancel()
		<-done
	})
}
