package minioadmin

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// benchReps is how many calls each benchmark iteration measures, so that
// `-benchtime 1x` still yields a median and a p99.
const benchReps = 40

// measure runs f benchReps times per benchmark iteration and reports the
// median and p99 latency, and the client's key-derivation time per call
// and its share of the call.
func measure(b *testing.B, c *Client, f func() error) {
	b.Helper()
	var samples []time.Duration
	kdfBefore := c.Stats().KeyDerivationTime
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		for range benchReps {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			samples = append(samples, d)
			total += d
		}
	}
	b.StopTimer()
	kdf := c.Stats().KeyDerivationTime - kdfBefore
	slices.Sort(samples)
	n := len(samples)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(samples[n/2]), "median-ms")
	b.ReportMetric(ms(samples[(n*99+99)/100-1]), "p99-ms")
	b.ReportMetric(ms(kdf)/float64(n), "client-kdf-ms/call")
	b.ReportMetric(100*float64(kdf)/float64(total), "client-kdf-%")
}

// BenchmarkInfoServiceAccount: one encrypted admin call (MinIO encrypts its
// reply: one argon2id derivation on the server, one on the client).
func BenchmarkInfoServiceAccount(b *testing.B) {
	_, c := startMinIO(b)
	ctx := context.Background()
	cred, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-bench00000", SecretKey: "secret-secret-1", Policy: []byte(readPolicy)})
	require.NoError(b, err)
	measure(b, c, func() error {
		_, err := c.InfoServiceAccount(ctx, cred.AccessKey)
		return err
	})
}

// BenchmarkAddServiceAccount: an encrypted request and an encrypted reply
// (two derivations on each side).
func BenchmarkAddServiceAccount(b *testing.B) {
	_, c := startMinIO(b)
	ctx := context.Background()
	i := 0
	measure(b, c, func() error {
		i++
		key := []byte("quazzar-b000000000")
		for j, n := len(key)-1, i; n > 0; j, n = j-1, n/10 {
			key[j] = byte('0' + n%10)
		}
		_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: string(key), SecretKey: "secret-secret-1"})
		return err
	})
}

// BenchmarkDataUsageInfo: an unencrypted admin call, for comparison.
func BenchmarkDataUsageInfo(b *testing.B) {
	_, c := startMinIO(b)
	ctx := context.Background()
	measure(b, c, func() error {
		_, err := c.DataUsageInfo(ctx)
		return err
	})
}

// BenchmarkDeriveKey: one argon2id derivation of the format (64 MiB, one
// pass, four lanes) without MinIO.
func BenchmarkDeriveKey(b *testing.B) {
	salt := make([]byte, saltSize)
	for b.Loop() {
		if _, _, err := newStream("password", algArgon2idAESGCM, salt); err != nil {
			b.Fatal(err)
		}
	}
}
