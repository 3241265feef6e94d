package testbed

import (
	"testing"
)

func TestServersStartAndRestart(t *testing.T) {
	in := StartInflux(t)
	if _, err := in.Query(`SHOW DATABASES`); err != nil {
		t.Fatal(err)
	}
	in.Stop()
	in.Start(t)
	if n, err := in.Count(`SELECT count(*) FROM nothing`); err != nil || n != 0 {
		t.Fatalf("count on empty = %d, %v", n, err)
	}
	m := StartMosquitto(t, MosquittoOptions{})
	m.Stop()
	m.Start(t)
}
