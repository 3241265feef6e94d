package modbus

import (
	"context"
	"fmt"

	"facmon/collectors/modbus/codec"
)

// writeReq is a write handed to the poller that owns the device's gateway.
type writeReq struct {
	dev   *device
	field codec.Field
	count uint16
	do    func(Client) error
	done  chan error
}

// WriteCoil sets a coil signal of a device, for linkage actions. It waits
// for the gateway's poller (between two polls) and the device's answer;
// Run must be running.
func (c *Collector) WriteCoil(ctx context.Context, device, signal string, on bool) error {
	d, sig, err := c.lookup(device, signal)
	if err != nil {
		return err
	}
	if sig.field.Table != codec.Coil {
		return fmt.Errorf("modbus: device %q signal %q is in the %s table; only coils take WriteCoil", device, signal, sig.field.Table)
	}
	addr := sig.field.Address
	return c.submit(ctx, writeReq{dev: d, field: sig.field, count: 1, do: func(cl Client) error {
		return cl.WriteCoil(d.unit, addr, on, d.timeout)
	}})
}

// WriteRegister writes value, in the signal's unit, to a holding-register
// signal: the scale and offset are undone, the result rounded for integer
// types and range-checked, and stored in the signal's type and order.
func (c *Collector) WriteRegister(ctx context.Context, device, signal string, value float64) error {
	d, sig, err := c.lookup(device, signal)
	if err != nil {
		return err
	}
	if sig.field.Table != codec.Holding || sig.field.Type == codec.Bool {
		return fmt.Errorf("modbus: device %q signal %q is not a holding-register number", device, signal)
	}
	if sig.scale == 0 {
		return fmt.Errorf("modbus: device %q signal %q has scale 0; it cannot be written", device, signal)
	}
	words, err := sig.field.Encode((value - sig.offset) / sig.scale)
	if err != nil {
		return fmt.Errorf("modbus: device %q signal %q: %w", device, signal, err)
	}
	addr := sig.field.Address
	return c.submit(ctx, writeReq{dev: d, field: sig.field, count: uint16(len(words) / 2), do: func(cl Client) error {
		return cl.WriteRegisters(d.unit, addr, words, d.timeout)
	}})
}

func (c *Collector) lookup(device, name string) (*device, signal, error) {
	d := c.devices[device]
	if d == nil {
		return nil, signal{}, fmt.Errorf("modbus: device %q is not a Modbus device", device)
	}
	for _, s := range d.signals {
		if s.name == name {
			return d, s, nil
		}
	}
	return nil, signal{}, fmt.Errorf("modbus: device %q has no Modbus signal %q", device, name)
}

// submit queues w on its gateway's poller and waits for the result.
func (c *Collector) submit(ctx context.Context, w writeReq) error {
	w.done = make(chan error, 1)
	select {
	case c.byGW[w.dev.gateway].writes <- w:
	case <-ctx.Done():
		return fmt.Errorf("modbus: write to device %q not sent: %w", w.dev.id, ctx.Err())
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("modbus: write to device %q: %w", w.dev.id, ctx.Err())
	}
}

// write runs w on the poller's goroutine, which owns the Client.
func (p *poller) write(client Client, w writeReq) {
	d := w.dev
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				p.c.log.Error("modbus: panic on write response", "device", d.id, "panic", r, "bytes", hexBytes(client.LastResponse()))
				client.Close()
				err = fmt.Errorf("%w: %v", ErrPanic, r)
			}
		}()
		return w.do(client)
	}()
	p.c.metrics.requests.WithLabelValues(d.id).Inc()
	if err != nil {
		p.c.metrics.errors.WithLabelValues(d.id, Kind(err)).Inc()
		err = &RequestError{Gateway: d.gateway, Device: d.id, Unit: d.unit, Op: "write",
			Table: w.field.Table, Start: w.field.Address, Count: w.count, Err: err}
	}
	w.done <- err
}
