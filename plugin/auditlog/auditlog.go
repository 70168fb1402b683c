// Package auditlog receives MinIO's audit log: a loopback HTTP endpoint of
// the add-on's own, which MinIO's audit webhook target posts batches of
// JSON lines to, with a token drawn at each start, read as a stream into
// lastused events.
//
// MinIO never waits on it: its target queues entries in memory (QueueSize)
// and sends them in batches (BatchSize, or every second) from its own
// workers, and a full queue drops entries rather than slow an S3 request.
// The endpoint decodes each batch as it reads it and keeps nothing of a
// request but the few fields of lastused.Event.
package auditlog

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/quazzar/object-storage/plugin/lastused"
	"github.com/quazzar/object-storage/plugin/randtext"
)

// Target is the name of the add-on's audit webhook target in MinIO's
// configuration (audit_webhook:<Target>).
const Target = "quazzar"

// What MinIO is asked to do with its queue (see ConfigLine).
const (
	BatchSize = 100
	QueueSize = 10000
	// MaxRetry and RetryInterval: a batch the add-on does not take (it
	// is restarting) is retried once after a second, then dropped, so
	// that MinIO's workers are not held by an endpoint that went away.
	MaxRetry      = 1
	RetryInterval = "1s"
	HTTPTimeout   = "5s"
)

// maxBody bounds one batch as read: BatchSize entries are a few hundred
// kilobytes.
const maxBody = 16 << 20

// Path is the endpoint's path.
const Path = "/minio/audit"

// Stats count what the endpoint did.
type Stats struct {
	Batches uint64 // accepted posts
	Entries uint64 // entries decoded
	Refused uint64 // posts refused (no token, wrong token, not loopback, not POST)
	Damaged uint64 // posts cut short by a line that is not an audit entry
}

// Receiver is the endpoint.
type Receiver struct {
	ln    net.Listener
	srv   *http.Server
	token string
	sink  func([]lastused.Event)

	batches, entries, refused, damaged atomic.Uint64
}

// Start listens on a free loopback port with a fresh token and hands the
// events of each batch to sink.
func Start(sink func([]lastused.Event)) (*Receiver, error) {
	token, err := randtext.String(randtext.Alnum, 40)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for MinIO's audit log on the loopback: %w", err)
	}
	r := &Receiver{ln: ln, token: token, sink: sink}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// URL is where MinIO posts.
func (r *Receiver) URL() string { return "http://" + r.ln.Addr().String() + Path }

// ConfigLine is the audit webhook target's configuration, for the admin
// API's set-config-kv (it carries the token: never log it).
func (r *Receiver) ConfigLine() string {
	return fmt.Sprintf("audit_webhook:%s endpoint=%s auth_token=%s batch_size=%d queue_size=%d max_retry=%d retry_interval=%s http_timeout=%s enable=on",
		Target, r.URL(), r.token, BatchSize, QueueSize, MaxRetry, RetryInterval, HTTPTimeout)
}

// OffLine turns the target off.
func OffLine() string { return "audit_webhook:" + Target + " enable=off" }

// Close stops listening.
func (r *Receiver) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.srv.Shutdown(ctx)
}

// Stats returns the endpoint's counters.
func (r *Receiver) Stats() Stats {
	return Stats{Batches: r.batches.Load(), Entries: r.entries.Load(), Refused: r.refused.Load(), Damaged: r.damaged.Load()}
}

// ServeHTTP takes one batch: a POST from a loopback address with the
// token in Authorization (as MinIO sends it, or after "Bearer ").
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if !fromLoopback(req.RemoteAddr) {
		r.refused.Add(1)
		http.Error(w, "only MinIO on this node posts here", http.StatusForbidden)
		return
	}
	if req.Method != http.MethodPost || req.URL.Path != Path {
		r.refused.Add(1)
		http.Error(w, "POST audit entries to "+Path, http.StatusMethodNotAllowed)
		return
	}
	got := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(r.token)) != 1 {
		r.refused.Add(1)
		http.Error(w, "wrong or missing token", http.StatusUnauthorized)
		return
	}
	events, err := Decode(http.MaxBytesReader(w, req.Body, maxBody))
	r.batches.Add(1)
	r.entries.Add(uint64(len(events)))
	if len(events) > 0 {
		r.sink(events)
	}
	if err != nil {
		// What was read is kept; MinIO would only send the same batch
		// again, so it is told the batch was taken.
		r.damaged.Add(1)
	}
	w.WriteHeader(http.StatusOK)
}

func fromLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// entry is the part of MinIO's audit entry the add-on reads; the rest
// (request and response headers, claims, tags) is skipped by the decoder
// and never kept.
type entry struct {
	Time time.Time `json:"time"`
	API  struct {
		Name       string `json:"name"`
		StatusCode int    `json:"statusCode"`
		RX         int64  `json:"rx"`
		TX         int64  `json:"tx"`
	} `json:"api"`
	RemoteHost string `json:"remotehost"`
	AccessKey  string `json:"accessKey"`
	ReqHeader  struct {
		Authorization string `json:"Authorization"`
	} `json:"requestHeader"`
	ReqQuery struct {
		Credential     string `json:"X-Amz-Credential"`
		AWSAccessKeyID string `json:"AWSAccessKeyId"`
	} `json:"requestQuery"`
}

// Decode reads a batch of entries (JSON values one after another, as
// MinIO writes them, one a line) into events. It stops at the first value
// that is not an entry and returns what it read before it.
func Decode(body io.Reader) ([]lastused.Event, error) {
	dec := json.NewDecoder(body)
	var out []lastused.Event
	for {
		var e entry
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		ev := lastused.Event{
			AccessKey: e.AccessKey, Authenticated: e.AccessKey != "", Time: e.Time,
			Operation: e.API.Name, Source: e.RemoteHost, Status: e.API.StatusCode,
		}
		if e.API.RX > 0 {
			ev.Bytes += e.API.RX
		}
		if e.API.TX > 0 {
			ev.Bytes += e.API.TX
		}
		if ev.AccessKey == "" {
			ev.AccessKey = claimedKey(e.ReqHeader.Authorization, e.ReqQuery.Credential, e.ReqQuery.AWSAccessKeyID)
		}
		out = append(out, ev)
	}
}

// claimedKey is the access key a request names in its signature: MinIO's
// entry of a refused request (a disabled key, a bad signature) has no
// accessKey, and the table counts it as that key's error only when the key
// is one it follows.
func claimedKey(authorization, credential, v2Query string) string {
	switch {
	case strings.HasPrefix(authorization, "AWS4-HMAC-SHA256 "):
		_, rest, ok := strings.Cut(authorization, "Credential=")
		if !ok {
			return ""
		}
		ak, _, _ := strings.Cut(rest, "/")
		return ak
	case strings.HasPrefix(authorization, "AWS "):
		ak, _, _ := strings.Cut(strings.TrimPrefix(authorization, "AWS "), ":")
		return ak
	case credential != "":
		ak, _, _ := strings.Cut(credential, "/")
		return ak
	}
	return v2Query
}
