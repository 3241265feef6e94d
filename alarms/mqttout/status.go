package mqttout

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"facmon/collectors"
)

// Defaults of StatusOptions.
const (
	DefaultRetryMin = time.Second
	DefaultRetryMax = 30 * time.Second
)

// StatusPublisher is the part of collectors/mqtt.Publisher the status
// forwarder uses: a retained QoS 1 publish on facmon/<site>/status/<device>.
type StatusPublisher interface {
	PublishStatus(ctx context.Context, device string, s collectors.DeviceStatus, at time.Time, lastErr string) error
}

// StatusOptions configure a StatusForwarder.
type StatusOptions struct {
	// Publisher is required.
	Publisher StatusPublisher
	// RetryMin and RetryMax bound the wait after a failed publish
	// (doubling from RetryMin).
	RetryMin, RetryMax time.Duration
	// After is the clock of the retry wait (default time.After).
	After      func(time.Duration) <-chan time.Time
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// status is the latest status of one device, waiting to be published.
type status struct {
	s  collectors.DeviceStatus
	at time.Time
}

// StatusForwarder publishes device status retained on
// facmon/<site>/status/<device>. It is a collectors.Sink for the fan-out
// that never blocks: it keeps only the latest status per device, and Run
// publishes them. While the broker is down statuses wait (the newest
// replacing older ones) and go out once it is back, so the retained
// message always ends as the device's current status. (collectors/mqtt's
// Publisher.StatusSink publishes inline instead, and waits on a dead
// broker.)
type StatusForwarder struct {
	o      StatusOptions
	log    *slog.Logger
	failed prometheus.Counter

	mu      sync.Mutex
	pending map[string]status
	order   []string // devices with a pending status, oldest first
	kick    chan struct{}
}

var _ collectors.Sink = (*StatusForwarder)(nil)

// NewStatusForwarder builds a forwarder; Run publishes.
func NewStatusForwarder(o StatusOptions) (*StatusForwarder, error) {
	if o.Publisher == nil {
		return nil, errors.New("device status forwarder: no publisher")
	}
	if o.RetryMin <= 0 {
		o.RetryMin = DefaultRetryMin
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	o.RetryMax = max(o.RetryMax, o.RetryMin)
	if o.After == nil {
		o.After = time.After
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	return &StatusForwarder{o: o, log: o.Logger, pending: make(map[string]status), kick: make(chan struct{}, 1),
		failed: promauto.With(o.Registerer).NewCounter(prometheus.CounterOpts{
			Name: "facmon_device_status_publish_failed_total",
			Help: "Device-status publishes the MQTT broker did not acknowledge (retried)."})}, nil
}

// Publish records the device-status points of batch (Signal "_status")
// and returns at once; other points are ignored.
func (f *StatusForwarder) Publish(_ context.Context, batch []collectors.Point) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range batch {
		if p.Signal == collectors.StatusSignal {
			f.setLocked(p.Device, status{s: collectors.DeviceStatus(p.Value), at: p.Time})
		}
	}
	select {
	case f.kick <- struct{}{}:
	default:
	}
	return nil
}

func (f *StatusForwarder) setLocked(dev string, st status) {
	if _, ok := f.pending[dev]; !ok {
		f.order = append(f.order, dev)
	}
	f.pending[dev] = st
}

// take removes the oldest pending status.
func (f *StatusForwarder) take() (string, status, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.order) == 0 {
		return "", status{}, false
	}
	dev := f.order[0]
	f.order = f.order[1:]
	st := f.pending[dev]
	delete(f.pending, dev)
	return dev, st, true
}

// putBack returns a status that failed to publish, unless a newer one
// arrived meanwhile.
func (f *StatusForwarder) putBack(dev string, st status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, newer := f.pending[dev]; newer {
		return
	}
	f.pending[dev] = st
	f.order = append([]string{dev}, f.order...)
}

// Run publishes pending statuses until ctx ends, waiting RetryMin,
// doubling to RetryMax, after each failure.
func (f *StatusForwarder) Run(ctx context.Context) error {
	wait := f.o.RetryMin
	for {
		dev, st, ok := f.take()
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-f.kick:
				continue
			}
		}
		err := f.o.Publisher.PublishStatus(ctx, dev, st.s, st.at, "")
		if err == nil {
			wait = f.o.RetryMin
			continue
		}
		f.putBack(dev, st)
		f.failed.Inc()
		f.log.Warn("device status not published, will retry", "device", dev, "status", st.s.String(), "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-f.o.After(wait):
		}
		wait = min(2*wait, f.o.RetryMax)
	}
}
