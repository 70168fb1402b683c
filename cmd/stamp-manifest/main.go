// Command stamp-manifest writes a plugin's plugin.json with the SHA-256 of
// its executable, as the build step that makes the host accept the binary.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/quazzar/object-storage/host-sdk/manifest"
)

func main() {
	in := flag.String("in", "plugin.json", "manifest template to read (its sha256 may be empty)")
	exe := flag.String("exe", "", "the plugin executable to checksum; its file name must be the manifest's \"executable\"")
	out := flag.String("out", "", "where to write the stamped manifest (normally plugin.json beside the executable)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: stamp-manifest -in plugin.json -exe bin/plugins/<id>/<exe> -out bin/plugins/<id>/plugin.json\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *exe == "" || *out == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := manifest.StampFile(*in, *exe, *out); err != nil {
		fmt.Fprintln(os.Stderr, "stamp-manifest:", err)
		os.Exit(1)
	}
}
