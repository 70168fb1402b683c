// Package netnstest builds, for a test, a private network of Linux network
// namespaces on one machine: a bridge, one namespace per node joined to it
// by a veth pair, each with its own address in a private range, so that
// several nodes of a cluster (MinIO refuses 127.0.0.1 endpoints in a
// container) run side by side. It removes everything it made when the
// test ends, failed or not, and what a previous run left behind.
//
// All test traffic stays on the machine: the helper hands out only
// addresses configured on its namespaces, and it reaches a node's loopback
// (where the development panel listens) by dialing from inside that
// node's namespace. It needs root and iproute2: under CI=true their
// absence fails the test, elsewhere it skips it with why. Tests only.
package netnstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quazzar/object-storage/internal/testkit"
)

// Prefix starts the name of every namespace and link this package makes,
// followed by the pid of the test process that made it: a later run
// removes those whose process is gone.
const Prefix = "qzc"

// Net is the test's private network.
type Net struct {
	t      testing.TB
	tag    string // Prefix + pid
	bridge string
	subnet netip.Prefix
	// host is the bridge's address in the root namespace, from which the
	// test process reaches the nodes.
	host  netip.Addr
	nodes []*Node
}

// Node is one namespace of the network.
type Node struct {
	// Name is the namespace's name (ip netns).
	Name string
	addr netip.Addr
	link string // the veth end in the root namespace
	net  *Net
}

// New makes a network of n nodes. It skips the test (fails it under
// CI=true) when not root or without iproute2.
func New(t testing.TB, n int) *Net {
	t.Helper()
	if os.Geteuid() != 0 {
		testkit.Missing(t, "network namespaces need root (ip netns add, veth pairs, a bridge): run the test as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		testkit.Missing(t, "iproute2's ip command is not installed: apt-get install iproute2")
	}
	if n < 1 || n > 200 {
		t.Fatalf("netnstest: %d nodes: between 1 and 200", n)
	}
	removeLeftovers(t)
	tag := Prefix + strconv.Itoa(os.Getpid())
	subnet, err := freeSubnet()
	if err != nil {
		t.Fatalf("netnstest: %v", err)
	}
	nw := &Net{t: t, tag: tag, bridge: tag + "b", subnet: subnet, host: addrAt(subnet, 254)}
	t.Cleanup(nw.remove)
	nw.must("link", "add", nw.bridge, "type", "bridge")
	nw.must("addr", "add", nw.host.String()+"/24", "dev", nw.bridge)
	nw.must("link", "set", nw.bridge, "up")
	for i := 1; i <= n; i++ {
		nd := &Node{Name: fmt.Sprintf("%sn%d", tag, i), addr: addrAt(subnet, i), link: fmt.Sprintf("%sh%d", tag, i), net: nw}
		nw.nodes = append(nw.nodes, nd)
		nw.must("netns", "add", nd.Name)
		nw.must("link", "add", nd.link, "type", "veth", "peer", "name", "eth0", "netns", nd.Name)
		nw.must("link", "set", nd.link, "master", nw.bridge, "up")
		nw.must("-n", nd.Name, "addr", "add", nd.addr.String()+"/24", "dev", "eth0")
		nw.must("-n", nd.Name, "link", "set", "eth0", "up")
		nw.must("-n", nd.Name, "link", "set", "lo", "up")
	}
	return nw
}

// Node returns node i (1-based).
func (nw *Net) Node(i int) *Node {
	if i < 1 || i > len(nw.nodes) {
		nw.t.Fatalf("netnstest: no node %d of %d", i, len(nw.nodes))
	}
	return nw.nodes[i-1]
}

// Nodes are every node, in order.
func (nw *Net) Nodes() []*Node { return append([]*Node(nil), nw.nodes...) }

// Addr is the node's address, checked to be configured in its namespace
// right now: an address that is not would send the test's traffic off the
// machine, so the test fails instead.
func (nd *Node) Addr() string {
	nd.net.t.Helper()
	if err := nd.net.Check(nd.addr.String()); err != nil {
		nd.net.t.Fatalf("netnstest: %v", err)
	}
	return nd.addr.String()
}

// HostPort is the node's address with a port.
func (nd *Node) HostPort(port int) string {
	return net.JoinHostPort(nd.Addr(), strconv.Itoa(port))
}

// Check refuses an address (or host:port) that is not configured on one
// of the network's namespaces.
func (nw *Net) Check(addr string) error {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%q is not an IP address of the test's network", addr)
	}
	for _, nd := range nw.nodes {
		if nd.addr != ip {
			continue
		}
		out, err := exec.Command("ip", "-n", nd.Name, "-4", "-o", "addr", "show", "dev", "eth0").CombinedOutput()
		if err == nil && bytes.Contains(out, []byte(" "+ip.String()+"/")) {
			return nil
		}
		return fmt.Errorf("address %s is not configured in namespace %s (any more): %s", ip, nd.Name, strings.TrimSpace(string(out)))
	}
	return fmt.Errorf("address %s is not one of the test network's namespaces (%s): traffic to it would leave the machine", ip, nw.subnet)
}

// Command runs name inside the node's namespace (ip netns exec).
func (nd *Node) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", nd.Name, name}, args...)...)
}

// Cut takes the node off the network (its link down), as a pulled cable
// or a dead switch port; Restore puts it back.
func (nd *Node) Cut()     { nd.net.must("link", "set", nd.link, "down") }
func (nd *Node) Restore() { nd.net.must("link", "set", nd.link, "up") }

// LoopbackClient is an HTTP client that reaches the node's own loopback
// addresses (127.0.0.1:port, as the node sees them: its development
// panel) by connecting from inside the node's namespace. It refuses any
// other address.
func (nd *Node) LoopbackClient(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			ap, err := netip.ParseAddrPort(addr)
			if err != nil || !ap.Addr().IsLoopback() {
				return nil, fmt.Errorf("netnstest: %s's loopback client dials 127.0.0.1 inside the namespace only, not %s", nd.Name, addr)
			}
			return nd.dial(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// dial connects from inside the namespace: a socket belongs to the
// network namespace of the thread that made it. The goroutine's thread
// enters the namespace, dials, and goes back to its own namespace; only
// then is it handed back to other goroutines (a thread that cannot go back
// stays locked, and ends with the goroutine).
func (nd *Node) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer home.Close()
		f, err := os.Open("/var/run/netns/" + nd.Name)
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, fmt.Errorf("enter namespace %s: %w", nd.Name, err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		done <- result{c, err}
	}()
	r := <-done
	return r.c, r.err
}

// remove kills what still runs in the namespaces (processes the test
// started there and did not stop), then deletes the namespaces, the links
// and the bridge.
func (nw *Net) remove() {
	for _, nd := range nw.nodes {
		killIn(nd.Name)
		_ = exec.Command("ip", "netns", "del", nd.Name).Run()
		_ = exec.Command("ip", "link", "del", nd.link).Run()
	}
	_ = exec.Command("ip", "link", "del", nw.bridge).Run()
	if left := names(nw.tag); len(left) > 0 {
		nw.t.Errorf("netnstest: could not remove %s", strings.Join(left, ", "))
	}
}

// killIn kills, by pid, the processes left in a namespace (never the test
// process itself).
func killIn(ns string) {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

var tagRE = regexp.MustCompile(`^` + Prefix + `(\d+)[a-z]`)

// removeLeftovers deletes namespaces and links that this package made in
// a test process that is gone (a run killed before its cleanup).
func removeLeftovers(t testing.TB) {
	for _, name := range names(Prefix) {
		m := tagRE.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid == os.Getpid() || alive(pid) {
			continue
		}
		t.Logf("netnstest: removing %s, left by test process %d", name, pid)
		killIn(name)
		_ = exec.Command("ip", "netns", "del", name).Run()
		_ = exec.Command("ip", "link", "del", name).Run()
	}
}

// names lists the namespaces and links whose name starts with prefix.
func names(prefix string) []string {
	var out []string
	if b, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], prefix) {
				out = append(out, f[0])
			}
		}
	}
	if b, err := exec.Command("ip", "-o", "link", "show").Output(); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if strings.HasPrefix(name, prefix) {
				out = append(out, name)
			}
		}
	}
	return out
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// freeSubnet picks a /24 of 10.231.0.0/16 that no route of the machine
// covers or overlaps (another run's bridge has one).
func freeSubnet() (netip.Prefix, error) {
	out, err := exec.Command("ip", "-4", "route", "show", "table", "all").Output()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("read the routes: %w", err)
	}
	var used []netip.Prefix
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		dst := f[0]
		if dst == "local" || dst == "broadcast" || dst == "unicast" {
			if len(f) < 2 {
				continue
			}
			dst = f[1]
		}
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		if p, err := netip.ParsePrefix(dst); err == nil {
			used = append(used, p)
		}
	}
	start := os.Getpid() % 250
	for i := range 250 {
		cand := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 231, byte((start + i) % 250), 0}), 24)
		free := true
		for _, u := range used {
			if u.Bits() > 0 && u.Overlaps(cand) {
				free = false
				break
			}
		}
		if free {
			return cand, nil
		}
	}
	return netip.Prefix{}, errors.New("no free /24 in 10.231.0.0/16")
}

func addrAt(p netip.Prefix, host int) netip.Addr {
	b := p.Addr().As4()
	b[3] = byte(host)
	return netip.AddrFrom4(b)
}

// must runs ip with args and fails the test when it fails.
func (nw *Net) must(args ...string) {
	nw.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		nw.t.Fatalf("netnstest: ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}
