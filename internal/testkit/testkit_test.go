package testkit

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestFreeAddr(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		addr := FreeAddr(t)
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" {
			t.Fatalf("FreeAddr gave %q", addr)
		}
		p, _ := strconv.Atoi(port)
		if p < freePortLow || p >= ephemeralLow() {
			t.Fatalf("port %d is not below the ephemeral range (from %d)", p, ephemeralLow())
		}
		if seen[addr] {
			t.Fatalf("%s handed out twice", addr)
		}
		seen[addr] = true
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the free address %s cannot be listened on: %v", addr, err)
		}
		_ = l.Close()
	}
}

func TestReadEachFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, size int) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, bytes.Repeat([]byte("x"), size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a", 3)
	write("sub/b", 5)
	write("sub/big", 100)
	if err := os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	write2 := filepath.Join(other, "c")
	if err := os.WriteFile(write2, []byte("cc"), 0o600); err != nil {
		t.Fatal(err)
	}
	read := map[string]int{}
	n := ReadEachFile(t, 50, func(p string, b []byte) { read[p] = len(b) }, dir, other)
	want := map[string]int{filepath.Join(dir, "a"): 3, filepath.Join(dir, "sub", "b"): 5, write2: 2}
	if n != len(want) || len(read) != len(want) {
		t.Fatalf("read %d files %v, want %v", n, read, want)
	}
	for p, size := range want {
		if read[p] != size {
			t.Fatalf("%s: read %d bytes, want %d (all: %v)", p, read[p], size, read)
		}
	}
	if n := ReadEachFile(t, 0, func(string, []byte) {}, dir); n != 3 {
		t.Fatalf("without a size limit, read %d files, want 3", n)
	}

	// A file removed between the listing and the read is skipped: remove
	// each file as soon as the walk has read the one before it.
	for i := range 20 {
		write(fmt.Sprintf("tmp/%02d", i), 1)
	}
	seen := 0
	ReadEachFile(t, 0, func(p string, _ []byte) {
		if filepath.Base(filepath.Dir(p)) != "tmp" {
			return
		}
		seen++
		var next int
		fmt.Sscanf(filepath.Base(p), "%d", &next)
		_ = os.Remove(filepath.Join(dir, "tmp", fmt.Sprintf("%02d", next+1)))
	}, dir)
	if seen != 10 {
		t.Fatalf("read %d of the vanishing files, want every other one (10)", seen)
	}
}
