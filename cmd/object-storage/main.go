// Command object-storage is the Cloud OS object-storage add-on. The host
// launches it over go-plugin; run by hand it explains that and exits.
package main

import (
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/plugin/addon"
	"github.com/quazzar/object-storage/shared"
)

func main() {
	log := hclog.New(&hclog.LoggerOptions{
		Name:       "object-storage",
		Level:      hclog.Info,
		Output:     os.Stderr,
		JSONFormat: true,
	})
	shared.Serve(addon.New(log), log)
}
