package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"facmon/collectors/modbus"
	"facmon/collectors/modbus/codec"
	"facmon/collectors/modbus/inspect"
	"facmon/internal/site"
)

// connFlags are the connection flags of facmon modbus read and probe.
type connFlags struct {
	config, gateway, address, transport, parity string
	baud, dataBits, stopBits                    int
	timeout                                     time.Duration
	table                                       string
	start, count                                int
}

func (c *connFlags) register(fs *flag.FlagSet, count int) {
	fs.StringVar(&c.config, "config", "", "site file whose --gateway gives address, transport, serial line and timeout")
	fs.StringVar(&c.gateway, "gateway", "", "gateway id in the site file (with --config)")
	fs.StringVar(&c.address, "address", "", "HOST:PORT, or a serial device (/dev/ttyUSB0) for rtu")
	fs.StringVar(&c.transport, "transport", "tcp", "tcp, rtu or rtu-over-tcp")
	fs.IntVar(&c.baud, "baud", 9600, "rtu: baud rate")
	fs.IntVar(&c.dataBits, "data-bits", 8, "rtu: data bits")
	fs.StringVar(&c.parity, "parity", "N", "rtu: parity N, E or O")
	fs.IntVar(&c.stopBits, "stop-bits", 1, "rtu: stop bits")
	fs.DurationVar(&c.timeout, "timeout", 0, "request timeout (default: the site file's gateway timeout, else 1s)")
	fs.StringVar(&c.table, "table", "holding", "holding, input, coil or discrete")
	fs.IntVar(&c.start, "start", 0, "first address, 0-based (40001 is holding 0)")
	fs.IntVar(&c.count, "count", count, "number of registers or bits")
}

// dial builds the client the way the collector would, from the site file
// or from the flags; both go through the collector's gateway parsing.
func (c *connFlags) dial() (modbus.Client, modbus.Gateway, error) {
	g := site.Gateway{ID: "cli", Transport: c.transport, Address: c.address, BaudRate: c.baud,
		DataBits: c.dataBits, Parity: c.parity, StopBits: c.stopBits}
	if c.config != "" {
		s, err := site.Load(c.config)
		if err != nil {
			return nil, modbus.Gateway{}, err
		}
		sg, ok := s.Gateway(c.gateway)
		if !ok {
			return nil, modbus.Gateway{}, fmt.Errorf("%s: gateway %q unknown (--gateway)", c.config, c.gateway)
		}
		g = *sg
	} else if c.address == "" {
		return nil, modbus.Gateway{}, fmt.Errorf("--address (or --config and --gateway) is required")
	}
	gw, err := modbus.SiteGateway(g)
	if err != nil {
		return nil, gw, err
	}
	if c.timeout > 0 {
		gw.Timeout = c.timeout
	}
	cl, err := modbus.DialGoburrow(gw)
	return cl, gw, err
}

// span checks the table and range flags.
func (c *connFlags) span() (codec.Table, error) {
	t, err := codec.ParseTable(c.table)
	if err != nil {
		return t, err
	}
	if c.start < 0 || c.start > 65535 || c.count < 1 || c.start+c.count > 1<<16 {
		return t, fmt.Errorf("--start %d --count %d: outside addresses 0..65535", c.start, c.count)
	}
	return t, nil
}

// cmdModbusRead reads once and prints the values decoded every way.
func cmdModbusRead(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("modbus read", flag.ContinueOnError)
	var c connFlags
	c.register(fs, 20)
	unit := fs.Int("unit", 1, "unit id (slave address)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	fail := func(err error) int { fmt.Fprintln(stderr, "facmon modbus read:", err); return 1 }
	t, err := c.span()
	if err != nil {
		return fail(err)
	}
	cl, gw, err := c.dial()
	if err != nil {
		return fail(err)
	}
	defer cl.Close()
	if *unit < 0 || *unit > 247 {
		return fail(fmt.Errorf("--unit %d: want 0..247", *unit))
	}
	rd, err := inspect.Read(cl, inspect.Request{Unit: byte(*unit), Table: t, Start: uint16(c.start), Count: c.count, Timeout: gw.Timeout})
	if err != nil {
		return fail(fmt.Errorf("%s: %w", gw.Address, err))
	}
	if err := rd.Write(stdout); err != nil {
		return fail(err)
	}
	return 0
}

// signalList collects repeated --signal flags.
type signalList []inspect.Spec

func (l *signalList) String() string { return fmt.Sprint(len(*l)) }
func (l *signalList) Set(s string) error {
	sp, err := inspect.ParseSpec(s)
	if err != nil {
		return err
	}
	*l = append(*l, sp)
	return nil
}

// cmdModbusProbe surveys units and ranges, and prints a site-file snippet.
func cmdModbusProbe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("modbus probe", flag.ContinueOnError)
	var c connFlags
	c.register(fs, 200)
	units := fs.String("unit", "1", "units to try: 1, 1-10, 1,3,5-7")
	interval := fs.Duration("interval", inspect.DefaultInterval, "pause between two requests")
	snippet := fs.Bool("site-snippet", false, "print a devices: block for the --signal values (first unit that answers)")
	var specs signalList
	fs.Var(&specs, "signal", "NAME=TABLE:ADDRESS[:TYPE[/ORDER][:SCALE[:UNIT]]] for --site-snippet, e.g. level=holding:100:uint16:0.01:m (repeatable)")
	device := fs.String("device", "device-1", "--site-snippet: device id")
	kind := fs.String("kind", "water_tank", "--site-snippet: device kind")
	area := fs.String("area", "area-1", "--site-snippet: area id")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	fail := func(err error) int { fmt.Fprintln(stderr, "facmon modbus probe:", err); return 1 }
	us, err := inspect.ParseUnits(*units)
	if err != nil {
		return fail(err)
	}
	t, err := c.span()
	if err != nil {
		return fail(err)
	}
	cl, gw, err := c.dial()
	if err != nil {
		return fail(err)
	}
	defer cl.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, n, err := inspect.Probe(ctx, cl, inspect.ProbeOptions{Units: us, Table: t, Start: uint16(c.start), Count: c.count,
		Timeout: gw.Timeout, Interval: *interval})
	inspect.WriteProbe(stdout, t, res)
	fmt.Fprintf(stdout, "%d requests, %s apart, timeout %s\n", n, *interval, gw.Timeout)
	if err != nil {
		return fail(err)
	}
	if !*snippet {
		return 0
	}
	return writeSnippet(stdout, stderr, cl, gw, res, specs, inspect.SnippetOptions{Device: *device, Kind: *kind, Area: *area, Gateway: cmp.Or(c.gateway, "gateway-1")})
}

// writeSnippet prints the snippet for the first unit that answered.
func writeSnippet(stdout, stderr io.Writer, cl modbus.Client, gw modbus.Gateway, res []inspect.UnitResult, specs signalList, o inspect.SnippetOptions) int {
	if len(specs) == 0 {
		fmt.Fprintln(stderr, "facmon modbus probe: --site-snippet needs at least one --signal")
		return 2
	}
	for _, r := range res {
		if r.Answers {
			o.Unit, o.Timeout = r.Unit, gw.Timeout
			fmt.Fprintln(stdout)
			if err := inspect.Snippet(stdout, cl, o, specs); err != nil {
				fmt.Fprintln(stderr, "facmon modbus probe:", err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintln(stderr, "facmon modbus probe: no unit answered: no snippet")
	return 1
}
