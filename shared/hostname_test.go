package shared_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestCheckHostname(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	good := []struct{ in, want string }{
		{"s3.example.com", "s3.example.com"},
		{"  S3.Example.COM. ", "s3.example.com"},
		{"s3.localhost", "s3.localhost"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{strings.Join([]string{label63, label63, label63, label63[:61]}, "."), ""}, // 253 characters
	}
	for _, c := range good {
		got, err := shared.CheckHostname("domain", c.in)
		require.NoError(t, err, c.in)
		if c.want != "" {
			require.Equal(t, c.want, got)
		}
	}
	bad := []struct{ in, want string }{
		{"", "required"},
		{"   ", "required"},
		{"192.0.2.10", "IP address"},
		{"::1", "IP address"},
		{"[::1]", "IP address"},
		{"localhost", "localhost"},
		{"LOCALHOST.", "localhost"},
		{"intranet", "full hostname"},
		{strings.Repeat("a", 64) + ".example.com", "at most 63"},
		{"my_bucket.example.com", "character '_'"},
		{"*.example.com", "character '*'"},
		{"s3..example.com", "empty label"},
		{"-s3.example.com", "hyphen"},
		{"s3-.example.com", "hyphen"},
		{"s3.example.com:9000", "character ':'"},
		{strings.Join([]string{label63, label63, label63, label63[:62]}, "."), "at most 253"},
	}
	for _, c := range bad {
		_, err := shared.CheckHostname("host", c.in)
		require.ErrorIs(t, err, shared.ErrInvalidArgument, c.in)
		require.Contains(t, err.Error(), c.want, c.in)
		require.Equal(t, "host", shared.AsError(err).Field)
	}
}
