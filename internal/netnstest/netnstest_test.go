package netnstest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestHelperServe is not a test: run inside a namespace by TestNetwork, it
// serves "hello from <addr>" on the addresses in NETNSTEST_SERVE.
func TestHelperServe(t *testing.T) {
	addrs := os.Getenv("NETNSTEST_SERVE")
	if addrs == "" {
		t.Skip("helper process only")
	}
	for _, a := range strings.Split(addrs, ",") {
		l, err := net.Listen("tcp", a)
		if err != nil {
			fmt.Println("ERROR", err)
			os.Exit(1)
		}
		go func() {
			_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "hello from %s", a)
			}))
		}()
	}
	fmt.Println("SERVING")
	time.Sleep(2 * time.Minute)
	os.Exit(0)
}

func get(t *testing.T, c *http.Client, url string) (string, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestNetwork: two namespaces on a bridge, each with its address; the test
// process reaches a node's address over the bridge and its loopback from
// inside its namespace; addresses outside the network are refused; every
// namespace and link is gone once the network is removed, and a previous
// run's leftovers are removed by the next.
func TestNetwork(t *testing.T) {
	var nw *Net
	var n2 *Node
	t.Run("two nodes", func(t *testing.T) {
		nw = New(t, 2)
		n1, n2x := nw.Node(1), nw.Node(2)
		n2 = n2x
		require.NotEqual(t, n1.Addr(), n2.Addr())
		require.NoError(t, nw.Check(n2.HostPort(9000)))
		require.ErrorContains(t, nw.Check("192.0.2.7:9000"), "would leave the machine")
		require.ErrorContains(t, nw.Check("example.com:80"), "not an IP address")

		port := 18080
		srv := n2.Command(os.Args[0], "-test.run=^TestHelperServe$")
		srv.Env = append(os.Environ(), "NETNSTEST_SERVE=127.0.0.1:"+strconv.Itoa(port)+","+n2.HostPort(port))
		out, err := srv.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, srv.Start())
		t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
		line := make([]byte, 64)
		k, _ := out.Read(line)
		require.Contains(t, string(line[:k]), "SERVING")

		plain := &http.Client{Timeout: 10 * time.Second}
		body, err := get(t, plain, "http://"+n2.HostPort(port)+"/")
		require.NoError(t, err, "the node's address is reachable over the bridge")
		require.Contains(t, body, n2.HostPort(port))

		body, err = get(t, n2.LoopbackClient(10*time.Second), "http://127.0.0.1:"+strconv.Itoa(port)+"/")
		require.NoError(t, err, "the node's own loopback, from inside its namespace")
		require.Contains(t, body, "127.0.0.1")
		_, err = get(t, n1.LoopbackClient(2*time.Second), "http://127.0.0.1:"+strconv.Itoa(port)+"/")
		require.Error(t, err, "another node's loopback is another loopback")
		_, err = get(t, n2.LoopbackClient(time.Second), "http://"+n2.HostPort(port)+"/")
		require.ErrorContains(t, err, "loopback client dials 127.0.0.1")

		n2.Cut()
		_, err = get(t, &http.Client{Timeout: 2 * time.Second}, "http://"+n2.HostPort(port)+"/")
		require.Error(t, err, "a cut node does not answer")
		n2.Restore()
		require.Eventually(t, func() bool {
			_, err := get(t, &http.Client{Timeout: 2 * time.Second}, "http://"+n2.HostPort(port)+"/")
			return err == nil
		}, 30*time.Second, 200*time.Millisecond, "a restored node answers again")
	})
	require.Empty(t, names(nw.tag), "everything removed when the test ended")
	_, err := exec.Command("ip", "netns", "pids", n2.Name).Output()
	require.Error(t, err, "the namespace is gone")

	// A run killed before its cleanup leaves names with its pid: the next
	// run removes them.
	dead := 4194000
	for alive(dead) {
		dead--
	}
	left := Prefix + strconv.Itoa(dead) + "n1"
	require.NoError(t, exec.Command("ip", "netns", "add", left).Run())
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", left).Run() })
	t.Run("after a killed run", func(t *testing.T) {
		New(t, 1)
		require.NotContains(t, names(Prefix), left)
	})
}
