package deploy

import (
	"os"
	"testing"

	"facmon/internal/site"
)

// TestExampleSiteLoads runs the site loader (what `facmon check` does) on
// the compose deployment's site file. The secrets exist only inside the
// stack, so they come from the environment here.
func TestExampleSiteLoads(t *testing.T) {
	t.Setenv(site.EnvInfluxToken, "test-token")
	t.Setenv(site.EnvMQTTPassword, "test-password")
	t.Setenv(site.EnvMetricsToken, "test-scrape-token-of-32-bytes-or-more")
	b, err := os.ReadFile("facmon/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := site.Parse("facmon/site.yaml", b)
	if err != nil {
		t.Fatalf("deploy/facmon/site.yaml:\n%v", err)
	}
	if len(s.Devices) == 0 || len(s.Modbus.Gateways) == 0 {
		t.Errorf("the example has %d devices and %d gateways; docs/install.md describes a pump room behind a gateway", len(s.Devices), len(s.Modbus.Gateways))
	}
}
