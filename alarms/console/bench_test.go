package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/deploy/testbed"
)

const (
	benchAlarms    = 200
	loadDevices    = 100 // × 10 signals
	loadPointsPerS = 10_000
)

// BenchmarkPublishToRow measures issue 7's figure: from an MQTT publish of
// a zone alarm to its row in the browser's DOM, over 200 alarms while
// 10,000 points/s of other readings flow through the same broker and
// facmon. It reports p50, p99 and max in ms (goal: p99 ≤ 200 ms; the
// standard allows 2 s). One run is the whole scenario.
func BenchmarkPublishToRow(b *testing.B) {
	needBrowser(b)
	mq := testbed.StartMosquitto(b, testbed.MosquittoOptions{})
	dir := b.TempDir()
	data := filepath.Join(dir, "data")
	if d := os.Getenv("FACMON_BENCH_DATA_DIR"); d != "" {
		// Where the spool lives (a tmpfs shows what fsync costs).
		data = filepath.Join(d, filepath.Base(dir))
		b.Cleanup(func() { os.RemoveAll(data) })
	}
	fm := startFacmon(b, writeSite(b, dir, siteOptions{mqttURL: mq.URL, bench: benchAlarms, load: loadDevices}), data)
	pub := mqttClient(b, mq.URL)
	br := newBrowser(b)
	br.login(b, fm, "op")
	// The login click leaves the pointer over where the alarm list grows;
	// rows that arrive under a pointer keep their places for 4 s (the
	// console's click hold), which is not what this measures.
	br.do(b, "pointer away", chromedp.MouseEvent(chromedp.MouseMoved, 5, 5))
	eval[bool](b, br, `(() => {
		window.__seen = {};
		window.__sse = {};
		window.facmon.es.addEventListener("alarm", (e) => {
			const dev = JSON.parse(e.data).device;
			if (!(dev in window.__sse)) window.__sse[dev] = performance.timeOrigin + performance.now();
		});
		const rows = document.getElementById("alarm-rows");
		new MutationObserver(() => {
			const now = performance.timeOrigin + performance.now();
			for (const r of rows.children) {
				const dev = r.dataset.id.split("/")[1];
				if (!(dev in window.__seen)) window.__seen[dev] = now;
			}
		}).observe(rows, {childList: true});
		return true;
	})()`)
	ctx, stop := context.WithCancel(context.Background())
	var sent atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { backgroundLoad(ctx, b, mq.URL, &sent) })
	time.Sleep(2 * time.Second) // let the load reach its pace before measuring
	b.ResetTimer()
	for range b.N {
		lat, stream := measure(b, br, pub)
		b.StopTimer()
		report(b, lat, stream)
	}
	stop()
	wg.Wait()
	b.Logf("background: %d points sent", sent.Load())
}

// measure publishes the alarms 50 ms apart and returns each one's
// publish-to-row latency, and publish-to-event (the server's part).
func measure(b *testing.B, br *browser, pub paho.Client) (row, stream []float64) {
	start := make(map[string]float64, benchAlarms)
	for i := range benchAlarms {
		dev := fmt.Sprintf("bench-%03d", i)
		start[dev] = float64(time.Now().UnixNano()) / 1e6
		publish(b, pub, dev, 1)
		time.Sleep(50 * time.Millisecond)
	}
	until(b, br, 30*time.Second, "all rows", fmt.Sprintf(`Object.keys(window.__seen).filter(k => k.startsWith("bench-")).length >= %d`, benchAlarms))
	seen := eval[map[string]float64](b, br, `window.__seen`)
	sse := eval[map[string]float64](b, br, `window.__sse`)
	for dev, t0 := range start {
		row = append(row, seen[dev]-t0)
		stream = append(stream, sse[dev]-t0)
	}
	slices.Sort(row)
	slices.Sort(stream)
	return row, stream
}

func pct(lat []float64, p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }

func report(b *testing.B, lat, stream []float64) {
	b.ReportMetric(pct(lat, 0.50), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	b.ReportMetric(lat[len(lat)-1], "max-ms")
	b.Logf("publish → row over %d alarms under %d points/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		len(lat), loadPointsPerS, pct(lat, 0.50), pct(lat, 0.99), lat[len(lat)-1])
	b.Logf("publish → event in the page (server part): p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		pct(stream, 0.50), pct(stream, 0.99), stream[len(stream)-1])
}

// backgroundLoad publishes 10,000 points/s (1,000 messages of 10 signals)
// to the load devices until ctx ends.
func backgroundLoad(ctx context.Context, b *testing.B, url string, sent *atomic.Int64) {
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("console-bench-load").SetCleanSession(true))
	if tok := cl.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		b.Errorf("load client: %v", tok.Error())
		return
	}
	defer cl.Disconnect(100)
	const tick = 10 * time.Millisecond
	perTick := loadPointsPerS / 10 / int(time.Second/tick)
	t := time.NewTicker(tick)
	defer t.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for range perTick {
			n++
			body := fmt.Sprintf(`{"s0":%d,"s1":1,"s2":2,"s3":3,"s4":4,"s5":5,"s6":6,"s7":7,"s8":8,"s9":%d}`, n, n%97)
			cl.Publish(fmt.Sprintf("estate/load/load-%02d", n%loadDevices), 0, false, body)
			sent.Add(10)
		}
	}
}
