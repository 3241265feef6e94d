package site

import (
	"time"
)

// Defaults for keys a site file leaves out. docs/site-file.md lists each
// beside its key; keep the two in step.
const (
	DefaultListen            = "127.0.0.1:8080"
	DefaultTimezone          = "UTC"
	DefaultSpoolMaxBytes     = ByteSize(1 << 30)
	DefaultSpoolSegmentBytes = ByteSize(16 << 20)
	DefaultSpoolSyncWindow   = Duration(0)
	DefaultInfluxBatchSize   = 5000
	DefaultInfluxFlush       = Duration(time.Second)
	DefaultInfluxTimeout     = Duration(10 * time.Second)
	DefaultGatewayTimeout    = Duration(time.Second)
	DefaultGatewayMaxGap     = 10
	DefaultBaudRate          = 9600
	DefaultDataBits          = 8
	DefaultParity            = "N"
	DefaultStopBits          = 1
	DefaultPollInterval      = Duration(time.Second)
	DefaultPollRetries       = 1
	DefaultOfflineAfter      = 3
	DefaultSubscriptionQoS   = 1
	DefaultRegisterOrder     = "ABCD"
	DefaultClientIDPrefix    = "facmon-"
	defaultBitTableType      = "bool"
	defaultSignalScale       = 1.0
)

// setIfAbsent sets *dst to v when key was not written in owner.
func setIfAbsent[T any](c *checker, owner any, key string, dst *T, v T) {
	if !c.has(owner, key) {
		*dst = v
	}
}

// applyDefaults fills every key the file left out. It runs after the
// checks passed, so it may trust ids and cross references.
func (c *checker) applyDefaults() {
	s := c.site
	if s.Timezone == "" {
		s.Timezone, s.Location = DefaultTimezone, time.UTC
	}
	if s.HTTP.Listen == "" {
		s.HTTP.Listen = DefaultListen
	}
	c.storageDefaults(&s.Storage)
	c.modbusDefaults()
	if s.MQTT.ClientID == "" {
		s.MQTT.ClientID = DefaultClientIDPrefix + s.ID
	}
	if tls := s.MQTT.TLS; tls != nil {
		tls.CAFile = resolvePath(c.file, tls.CAFile)
		tls.CertFile = resolvePath(c.file, tls.CertFile)
		tls.KeyFile = resolvePath(c.file, tls.KeyFile)
	}
	for i := range s.MQTT.Subscriptions {
		sub := &s.MQTT.Subscriptions[i]
		setIfAbsent(c, sub, "qos", &sub.QoS, DefaultSubscriptionQoS)
	}
	for i := range s.Devices {
		c.signalDefaults(&s.Devices[i])
	}
	c.notifyDefaults()
}

// storageDefaults fills the writer and spool settings.
func (c *checker) storageDefaults(st *Storage) {
	in, sp := &st.Influx, &st.Spool
	setIfAbsent(c, in, "batch_size", &in.BatchSize, DefaultInfluxBatchSize)
	setIfAbsent(c, in, "flush_interval", &in.FlushInterval, DefaultInfluxFlush)
	setIfAbsent(c, in, "timeout", &in.Timeout, DefaultInfluxTimeout)
	if in.Gzip == nil {
		on := true
		in.Gzip = &on
	}
	setIfAbsent(c, sp, "max_bytes", &sp.MaxBytes, DefaultSpoolMaxBytes)
	setIfAbsent(c, sp, "segment_bytes", &sp.SegmentBytes, DefaultSpoolSegmentBytes)
	setIfAbsent(c, sp, "sync_window", &sp.SyncWindow, DefaultSpoolSyncWindow)
}

// modbusDefaults fills gateway and per-device polling settings.
func (c *checker) modbusDefaults() {
	s := c.site
	for i := range s.Modbus.Gateways {
		g := &s.Modbus.Gateways[i]
		setIfAbsent(c, g, "timeout", &g.Timeout, DefaultGatewayTimeout)
		if g.MaxGap == nil {
			gap := DefaultGatewayMaxGap
			g.MaxGap = &gap
		}
		if g.Transport == "rtu" {
			setIfAbsent(c, g, "baud_rate", &g.BaudRate, DefaultBaudRate)
			setIfAbsent(c, g, "data_bits", &g.DataBits, DefaultDataBits)
			setIfAbsent(c, g, "parity", &g.Parity, DefaultParity)
			setIfAbsent(c, g, "stop_bits", &g.StopBits, DefaultStopBits)
		}
	}
	for i := range s.Devices {
		m := s.Devices[i].Modbus
		if m == nil {
			continue
		}
		setIfAbsent(c, m, "interval", &m.Interval, DefaultPollInterval)
		setIfAbsent(c, m, "retries", &m.Retries, DefaultPollRetries)
		setIfAbsent(c, m, "offline_after", &m.OfflineAfter, DefaultOfflineAfter)
		if g, ok := s.Gateway(m.Gateway); ok {
			setIfAbsent(c, m, "timeout", &m.Timeout, g.Timeout)
		}
	}
}

// signalDefaults fills scale and register defaults of a device's signals.
func (c *checker) signalDefaults(d *Device) {
	for i := range d.Signals {
		sg := &d.Signals[i]
		if sg.Scale == nil {
			one := defaultSignalScale
			sg.Scale = &one
		}
		r := sg.Modbus
		if r == nil {
			continue
		}
		if r.Type == "" {
			r.Type = defaultBitTableType
		}
		if r.Order == "" {
			r.Order = DefaultRegisterOrder
		}
	}
}
