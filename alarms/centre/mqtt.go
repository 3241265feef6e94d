package centre

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/alarms/command"
	"facmon/alarms/uplink"
	"facmon/collectors/mqtt"
)

// Subscriptions of a centre: transitions shared among the centre
// processes (each message to one of them), heartbeats and device status
// (StatusFilter) to every one.
const (
	AlarmFilter     = "$share/centre/facmon/+/alarm"
	HeartbeatFilter = "facmon/+/heartbeat"
)

// clientOptions: a clean session (a killed centre's share goes to the
// other at once; what was in flight to it is fetched by seq), in order.
func (c *Centre) clientOptions() *paho.ClientOptions {
	b := &c.cfg.Broker
	id := b.ClientID
	if id == "" {
		id = "facmon-centre"
	}
	o := paho.NewClientOptions().AddBroker(b.URL).SetClientID(id).SetCleanSession(true).
		SetOrderMatters(true).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(10 * time.Second).
		SetKeepAlive(15 * time.Second).SetWriteTimeout(10 * time.Second).
		SetDefaultPublishHandler(c.onMessage).SetOnConnectHandler(c.onConnect).
		SetConnectionLostHandler(func(paho.Client, error) { c.link(false) })
	if b.Username != "" {
		o.SetUsername(b.Username).SetPassword(b.Password.Reveal())
	}
	if tc, err := mqtt.TLSConfig(b.TLS); err == nil && tc != nil {
		o.SetTLSConfig(tc)
	} else if err != nil {
		c.log.Error("broker tls", "err", err)
	}
	return o
}

// onConnect subscribes after every (re)connect.
func (c *Centre) onConnect(cl paho.Client) {
	tok := cl.SubscribeMultiple(map[string]byte{AlarmFilter: 1, HeartbeatFilter: 1, StatusFilter: 1}, c.onMessage)
	if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		c.log.Error("centre subscribe failed", "err", tok.Error())
		return
	}
	c.log.Info("centre connected and subscribed", "url", c.cfg.Broker.URL)
	c.link(true)
}

// link hands Run a change of the centre's own link to the broker.
func (c *Centre) link(up bool) {
	select {
	case c.in <- event{link: &up}:
	case <-c.stop:
	}
}

// onMessage decodes and hands a message to Run; it blocks paho while the
// queue is full rather than lose a message (QoS 1 flow control).
func (c *Centre) onMessage(_ paho.Client, m paho.Message) {
	ev, ok := decodeMessage(m.Topic(), m.Payload())
	if !ok {
		c.m.bad.Inc()
		c.log.Warn("centre: message not understood", "topic", m.Topic(), "bytes", len(m.Payload()))
		return
	}
	select {
	case c.in <- ev:
	case <-c.stop:
	}
}

// Ack acknowledges alarm id (site:alarm) for user: a site's alarm by a
// signed command to the site, which applies it and sends the transition
// back; one of the centre's own alarms (site-offline) here.
func (c *Centre) Ack(ctx context.Context, id, user string, _ time.Time) error {
	siteID, alarmID, ok := strings.Cut(id, ":")
	s, known := c.siteConfig(siteID)
	if !ok || !known {
		return fmt.Errorf("alarm %q: no such site", id)
	}
	if strings.HasPrefix(alarmID, SiteOfflineRule+"/") {
		r := &ackReq{id: id, user: user, done: make(chan error, 1)}
		select {
		case c.in <- event{site: siteID, ack: r}:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case err := <-r.done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	msg, err := command.Sign(command.NewAck(siteID, alarmID, user, c.o.Clock()), []byte(s.Key.Reveal()))
	if err != nil {
		return err
	}
	tok := c.cl.Publish(uplink.AckCommandTopic(siteID), 1, false, msg)
	if !tok.WaitTimeout(10 * time.Second) {
		return errors.New("central broker did not take the acknowledgement within 10s")
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("acknowledgement to site %s: %w", siteID, err)
	}
	c.m.acks.Inc()
	return nil
}

func (c *Centre) siteConfig(id string) (*Site, bool) {
	for i := range c.cfg.Sites {
		if c.cfg.Sites[i].ID == id {
			return &c.cfg.Sites[i], true
		}
	}
	return nil, false
}
