package testkit

import (
	"net"
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
