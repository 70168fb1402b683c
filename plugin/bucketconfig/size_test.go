package bucketconfig

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{
		"0": 0, "1048576": 1 << 20, "10GiB": 10 << 30, "10 gib": 10 << 30, "500MB": 500e6, "1.5 TiB": 3 << 39,
		"2K": 2000, " 7 b ": 7, "1KiB": 1024, "3P": 3e15,
	} {
		got, err := ParseSize(in, "bytes")
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for in, want := range map[string]string{
		"":         "is not a size",
		"ten GB":   "is not a size",
		"10 GiBs":  "is not a size",
		"-5":       "is not a size",
		"1.2.3":    "is not a size",
		"0.5":      "not a whole number of bytes",
		"1e30":     "is not a size",
		"99999PiB": "too large",
	} {
		_, err := ParseSize(in, "bytes")
		e := shared.AsError(err)
		require.Equal(t, "bytes", e.Field, in)
		require.Contains(t, e.Message, want, in)
	}
}
