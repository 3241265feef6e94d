package modbus

import "facmon/internal/site"

// SiteGateway returns the connection settings of a site-file gateway as
// the collector itself reads them (transport, serial line, timeout
// defaulting to DefaultTimeout), for tools that talk to the same device
// (facmon modbus read and probe).
func SiteGateway(g site.Gateway) (Gateway, error) {
	gc, err := gatewayFrom(g)
	if err != nil {
		return Gateway{}, err
	}
	return gc.gw, nil
}
