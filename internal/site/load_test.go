package site

import (
	"errors"
	"testing"
)

func TestDemoLoadsClean(t *testing.T) {
	s, err := Load("../../seeds/sites/demo.yaml")
	if err != nil {
		t.Fatalf("demo.yaml:\n%v", err)
	}
	if s.ID != "demo" || s.Location == nil || s.Location.String() != "Asia/Shanghai" {
		t.Errorf("site %q location %v", s.ID, s.Location)
	}
	var errs Errors
	_ = errors.As(err, &errs)
}
