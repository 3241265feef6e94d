package main

import (
	"context"
	"os"
	"time"
)

// watchFiles polls the files that files() names every interval and sends
// on the returned channel when one of them changed (size or modification
// time, or it appeared or vanished). Polling needs no inotify and works on
// every filesystem a site PC may keep its configuration on.
func watchFiles(ctx context.Context, files func() []string, every time.Duration) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go func() {
		last := stamp(files())
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				now := stamp(files())
				if now != last {
					last = now
					select {
					case ch <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	return ch
}

// stamp summarises the files' names, sizes and modification times.
func stamp(files []string) string {
	var b []byte
	for _, f := range files {
		b = append(b, f...)
		if st, err := os.Stat(f); err == nil {
			b = append(b, st.ModTime().Format(time.RFC3339Nano)...)
			b = append(b, byte(st.Size()), byte(st.Size()>>8), byte(st.Size()>>16))
		}
		b = append(b, 0)
	}
	return string(b)
}
