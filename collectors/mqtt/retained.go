package mqtt

import (
	"context"
	"fmt"
	"os"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"facmon/internal/site"
)

// ReadRetained connects to the site's broker with its credentials and TLS
// settings, under a client id of its own, and returns the message retained
// on topic (facmon journal verify --witness reads the journal head so). It
// fails when none arrives before ctx ends.
func ReadRetained(ctx context.Context, s *site.Site, topic string) ([]byte, error) {
	tc, err := tlsConfig(s.MQTT.TLS)
	if err != nil {
		return nil, err
	}
	o := paho.NewClientOptions().AddBroker(s.MQTT.URL).SetClientID(fmt.Sprintf("%s-read-%d", ClientID(s), os.Getpid())).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second)
	if s.MQTT.Username != "" {
		o.SetUsername(s.MQTT.Username).SetPassword(s.MQTT.Password.Reveal())
	}
	if tc != nil {
		o.SetTLSConfig(tc)
	}
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("mqtt %s: connect: %v", s.MQTT.URL, tok.Error())
	}
	defer c.Disconnect(100)
	got := make(chan []byte, 1)
	tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		if m.Retained() {
			select {
			case got <- m.Payload():
			default:
			}
		}
	})
	if !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("mqtt %s: subscribe %s: %v", s.MQTT.URL, topic, tok.Error())
	}
	select {
	case b := <-got:
		return b, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("mqtt %s: no retained message on %s", s.MQTT.URL, topic)
	}
}

// Watch keeps a connection of its own to the site's broker (reconnecting)
// and calls handle with each message on topic until ctx ends. The
// self-check reads the broker's $SYS drop counter so.
func Watch(ctx context.Context, s *site.Site, topic string, handle func(payload []byte)) error {
	tc, err := tlsConfig(s.MQTT.TLS)
	if err != nil {
		return err
	}
	o := paho.NewClientOptions().AddBroker(s.MQTT.URL).SetClientID(fmt.Sprintf("%s-watch-%d", ClientID(s), os.Getpid())).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(30 * time.Second).SetConnectTimeout(10 * time.Second)
	if s.MQTT.Username != "" {
		o.SetUsername(s.MQTT.Username).SetPassword(s.MQTT.Password.Reveal())
	}
	if tc != nil {
		o.SetTLSConfig(tc)
	}
	o.SetOnConnectHandler(func(c paho.Client) {
		c.Subscribe(topic, 0, func(_ paho.Client, m paho.Message) { handle(m.Payload()) })
	})
	c := paho.NewClient(o)
	c.Connect()
	<-ctx.Done()
	c.Disconnect(100)
	return nil
}
