package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
)

// Load is an S3 workload: Clients goroutines, each sending one request
// after another over the client's keep-alive connections, until Duration
// has passed or MaxRequests requests were sent, whichever comes first.
type Load struct {
	Op          string // "GET" or "PUT"
	Size        int64  // object size in bytes
	Clients     int
	Bucket      string
	Duration    time.Duration
	MaxRequests int
}

// Result of one run of a Load.
type Result struct {
	Requests  int
	Failed    int
	Bytes     int64 // bytes moved by successful requests
	Elapsed   time.Duration
	Latencies Latencies // of successful requests
	FirstErr  error
}

// MBps is the throughput of successful requests in MB/s (10^6 bytes).
func (r Result) MBps() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Bytes) / 1e6 / r.Elapsed.Seconds()
}

// record counts one request: its bytes and latency, or its failure.
func (r *Result) record(n int64, d time.Duration, err error) {
	r.Requests++
	if err != nil {
		r.Failed++
		if r.FirstErr == nil {
			r.FirstErr = err
		}
		return
	}
	r.Bytes += n
	r.Latencies = append(r.Latencies, d)
}

// Add merges another run's figures into r (Elapsed adds up, so MBps
// stays bytes over the time spent loading).
func (r *Result) Add(o Result) {
	r.Requests += o.Requests
	r.Failed += o.Failed
	r.Bytes += o.Bytes
	r.Elapsed += o.Elapsed
	r.Latencies = append(r.Latencies, o.Latencies...)
	if r.FirstErr == nil {
		r.FirstErr = o.FirstErr
	}
}

// String is "210 MB/s, 2.10 / 9.40 ms" (throughput, latency median / p99).
func (r Result) String() string {
	return fmt.Sprintf("%.0f MB/s, %s", r.MBps(), r.Latencies)
}

// objectName is the object client i reads (GET) or overwrites (PUT), so
// that a PUT load keeps a constant amount of data on disk.
func (l Load) objectName(i int) string {
	return fmt.Sprintf("%s-%d/%d", l.Op, l.Size, i)
}

// payload is Size random bytes.
func (l Load) payload() []byte {
	p := make([]byte, l.Size)
	_, _ = rand.Read(p)
	return p
}

// putOptions send the payload unsigned (UNSIGNED-PAYLOAD), as minio-go
// does over TLS, so that plain HTTP and TLS targets do the same work.
var putOptions = minio.PutObjectOptions{DisableContentSha256: true, DisableMultipart: true}

// Prepare creates the bucket if needed and, for a GET load, the objects
// the clients read.
func (l Load) Prepare(ctx context.Context, c *minio.Client) error {
	ok, err := c.BucketExists(ctx, l.Bucket)
	if err != nil {
		return err
	}
	if !ok {
		if err := c.MakeBucket(ctx, l.Bucket, minio.MakeBucketOptions{}); err != nil {
			return err
		}
	}
	if l.Op != "GET" {
		return nil
	}
	p := l.payload()
	for i := range l.Clients {
		if _, err := c.PutObject(ctx, l.Bucket, l.objectName(i), bytes.NewReader(p), l.Size, putOptions); err != nil {
			return err
		}
	}
	return nil
}

// Run runs the load against c. A failed request is counted and the load
// goes on; ctx ending stops it.
func (l Load) Run(ctx context.Context, c *minio.Client) Result {
	ctx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()
	p := l.payload()
	var (
		mu   sync.Mutex
		res  Result
		sent int
		wg   sync.WaitGroup
	)
	next := func() bool { // claims one request, within the bounds
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || (l.MaxRequests > 0 && sent >= l.MaxRequests) {
			return false
		}
		sent++
		return true
	}
	start := time.Now()
	for i := range l.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next() {
				t0 := time.Now()
				n, err := l.once(ctx, c, i, p)
				d := time.Since(t0)
				if ctx.Err() != nil && err != nil {
					return // cut short by the time bound: not a failure
				}
				mu.Lock()
				res.record(n, d, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

// once sends one request and returns the bytes moved.
func (l Load) once(ctx context.Context, c *minio.Client, i int, p []byte) (int64, error) {
	if l.Op == "PUT" {
		info, err := c.PutObject(ctx, l.Bucket, l.objectName(i), bytes.NewReader(p), l.Size, putOptions)
		return info.Size, err
	}
	o, err := c.GetObject(ctx, l.Bucket, l.objectName(i), minio.GetObjectOptions{})
	if err != nil {
		return 0, err
	}
	defer o.Close()
	n, err := io.Copy(io.Discard, o)
	if err == nil && n != l.Size {
		err = fmt.Errorf("GET %s: %d bytes, want %d", l.objectName(i), n, l.Size)
	}
	return n, err
}

// BalancedOrder is row `row` of a Williams design for n targets: each row
// is an order of 0..n-1, and over a whole cycle of rows (n of them for an
// even n, 2n for an odd n) every target runs right after every other one
// equally often. What one run leaves behind (its client's and server's
// garbage collection, a proxy's TLS teardown) then falls as often on each
// target's next run; a plain rotation always puts the same target after
// the same one.
func BalancedOrder(n, row int) []int {
	if n <= 0 {
		return nil
	}
	base := make([]int, n)
	for j := 1; j < n; j++ {
		if j%2 == 1 {
			base[j] = (j + 1) / 2
		} else {
			base[j] = n - j/2
		}
	}
	cycle := n
	if n%2 == 1 {
		cycle = 2 * n
	}
	row = ((row % cycle) + cycle) % cycle
	out := make([]int, n)
	for j := range n {
		out[j] = (base[j] + row) % n
	}
	if row >= n { // an odd n's second half: the first half reversed
		slices.Reverse(out)
	}
	return out
}
