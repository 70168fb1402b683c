// Command wrongcookie is a test plugin built against another handshake
// (same cookie key, another value): a host of this project must refuse it.
package main

import (
	"context"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/quazzar/object-storage/shared"
)

type impl struct{}

func (impl) Configure(context.Context, shared.ConfigureRequest) (shared.ConfigureResponse, error) {
	return shared.ConfigureResponse{}, nil
}
func (impl) Health(context.Context, shared.HealthRequest) (shared.HealthResponse, error) {
	return shared.HealthResponse{OK: true}, nil
}
func (impl) Shutdown(context.Context, shared.ShutdownRequest) (shared.ShutdownResponse, error) {
	return shared.ShutdownResponse{}, nil
}

func main() {
	hs := shared.Handshake
	hs.MagicCookieValue = "someone-else's-plugin"
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: hs,
		Plugins:         shared.PluginMap(impl{}),
		Logger:          hclog.New(&hclog.LoggerOptions{Name: "wrongcookie", Output: os.Stderr}),
	})
}
