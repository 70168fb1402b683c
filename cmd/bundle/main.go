// Command bundle packs a stamped plugin folder into the .tar.gz bundle a
// host installs, named <id>-<version>.tar.gz from its plugin.json, and
// prints the bundle's path.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/quazzar/object-storage/host-sdk/bundle"
	"github.com/quazzar/object-storage/host-sdk/manifest"
)

func main() {
	dir := flag.String("dir", "", "the plugin folder: a stamped plugin.json and its executable (make build writes bin/plugins/<id>)")
	outDir := flag.String("out-dir", "", "the folder to write <id>-<version>.tar.gz into (normally bin/bundles)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: bundle -dir bin/plugins/<id> -out-dir bin/bundles\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *dir == "" || *outDir == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*dir, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}

func run(dir, outDir string) error {
	m, err := manifest.Read(dir)
	if err != nil {
		return err
	}
	out := filepath.Join(outDir, bundle.FileName(m))
	if err := bundle.Pack(dir, out); err != nil {
		return err
	}
	fmt.Println(out)
	return nil
}
