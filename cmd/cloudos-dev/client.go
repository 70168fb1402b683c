package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// client runs "install" or "uninstall" against a running development
// host's add-ons API and returns the exit code.
func client(cmd string, args []string) int {
	fs := flag.NewFlagSet("cloudos-dev "+cmd, flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address of the running host's panel")
	force := fs.Bool("force", false, "install: allow a downgrade or a reinstall of the same version")
	purge := fs.Bool("purge", false, "uninstall: delete the plugin's data too")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "usage: cloudos-dev %s [--listen addr] %s\n", cmd, map[string]string{
			"install": "[--force] <bundle.tar.gz>", "uninstall": "[--purge] <plugin-id>"}[cmd])
		return 2
	}
	base := "http://" + *listen + "/api/addons"
	var req *http.Request
	var err error
	switch cmd {
	case "install":
		f, ferr := os.Open(fs.Arg(0))
		if ferr != nil {
			fmt.Fprintln(os.Stderr, "cloudos-dev install:", ferr)
			return 1
		}
		defer f.Close()
		target := base + "/install"
		if *force {
			target += "?force=1"
		}
		req, err = http.NewRequest(http.MethodPost, target, f)
	case "uninstall":
		id := fs.Arg(0)
		target := base + "/" + url.PathEscape(id) + "/uninstall"
		if *purge {
			target += "?purge=" + url.QueryEscape(id)
		}
		req, err = http.NewRequest(http.MethodPost, target, nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudos-dev:", err)
		return 1
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cloudos-dev %s: no host answers at %s (%v): start one with make run, or pass --listen\n", cmd, *listen, err)
		return 1
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var res struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &res) != nil {
		fmt.Fprintf(os.Stderr, "cloudos-dev %s: the host answered %s: %s\n", cmd, resp.Status, raw)
		return 1
	}
	if !res.OK {
		fmt.Fprintf(os.Stderr, "cloudos-dev %s: %s\n", cmd, res.Message)
		return 1
	}
	fmt.Println(res.Message)
	return 0
}
