package mqtt

import (
	paho "github.com/eclipse/paho.mqtt.golang"
)

// Client is the part of the paho client the collector and the Publisher
// use. It is declared here, on the consumer side (Telegraf's
// mqtt_consumer does the same), so tests can fake the library and a
// different library can be adapted in this one file.
type Client interface {
	Connect() paho.Token
	Disconnect(quiesce uint)
	SubscribeMultiple(filters map[string]byte, callback paho.MessageHandler) paho.Token
	Publish(topic string, qos byte, retained bool, payload any) paho.Token
	IsConnectionOpen() bool
}

// ClientFactory builds a Client from paho options.
type ClientFactory func(*paho.ClientOptions) Client

// PahoFactory builds a real paho client.
func PahoFactory(o *paho.ClientOptions) Client { return paho.NewClient(o) }
