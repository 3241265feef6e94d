package backtest

import (
	"bytes"
	"testing"
)

func TestColumnsPadChineseByDisplayWidth(t *testing.T) {
	var c columns
	c.add("规则", "x")
	c.add("tank-low", "y")
	var b bytes.Buffer
	if err := c.write(&b); err != nil {
		t.Fatal(err)
	}
	want := "规则      x\ntank-low  y\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}
