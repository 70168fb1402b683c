package shared

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// methodNames lists the exported methods of a type or interface.
func methodNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumMethod() {
		out = append(out, t.Method(i).Name)
	}
	return out
}

// TestRPCMethodsMatchInterfaces checks the hand-written glue against the
// interfaces it carries: every method of Lifecycle, PageProvider and
// StorageModule has a server adapter and a client stub, and the host's
// server serves every HostAPI method (Storage goes through Forward).
func TestRPCMethodsMatchInterfaces(t *testing.T) {
	server := methodNames(reflect.TypeFor[*PluginServer]())
	client := methodNames(reflect.TypeFor[*PluginClient]())
	for _, iface := range []reflect.Type{reflect.TypeFor[Lifecycle](), reflect.TypeFor[PageProvider](), reflect.TypeFor[StorageModule](), reflect.TypeFor[ProviderWatcher]()} {
		for _, m := range methodNames(iface) {
			require.Contains(t, server, m, "PluginServer has no adapter for %s.%s", iface.Name(), m)
			require.Contains(t, client, m, "PluginClient has no stub for %s.%s", iface.Name(), m)
		}
	}
	hostServer := methodNames(reflect.TypeFor[*HostAPIServer]())
	for _, m := range methodNames(reflect.TypeFor[ReverseProxy]()) {
		require.Contains(t, hostServer, m, "HostAPIServer has no adapter for ReverseProxy.%s", m)
	}
	require.Contains(t, hostServer, "Forward")
	// Nothing on the server that no interface declares (besides Forward).
	declared := append(methodNames(reflect.TypeFor[Lifecycle]()), methodNames(reflect.TypeFor[StorageModule]())...)
	declared = append(declared, methodNames(reflect.TypeFor[ProviderWatcher]())...)
	for _, m := range server {
		require.Contains(t, declared, m, "PluginServer.%s is not in any interface", m)
	}
}

func TestForwardableMethodsAreStorageMinusPage(t *testing.T) {
	require.NotEmpty(t, ForwardableMethods)
	for _, m := range ForwardableMethods {
		_, ok := reflect.TypeFor[StorageModule]().MethodByName(m)
		require.True(t, ok, m)
		_, page := reflect.TypeFor[PageProvider]().MethodByName(m)
		require.False(t, page, "%s is the host's own page method", m)
	}
	require.False(t, slices.Contains(ForwardableMethods, "Action"))
	require.False(t, slices.Contains(ForwardableMethods, "Configure"))
	require.True(t, slices.Contains(ForwardableMethods, "CreateKey"))
}
