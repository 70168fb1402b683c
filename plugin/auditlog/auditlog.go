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
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/quazzar/object-storage/plugin/lastused"
	"github.com/quazzar/object-storage/plugin/minioadmin"
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
	Batches uint64 `json:"batches"` // accepted posts
	Entries uint64 `json:"entries"` // entries decoded
	Refused uint64 `json:"refused"` // posts refused (no token, wrong token, not loopback, not POST)
	Damaged uint64 `json:"damaged"` // posts cut short by a line that is not an audit entry
}

// Receiver is the endpoint.
type Receiver struct {
	ln    net.Listener
	srv   *http.Server
	token string
	sink  func([]lastused.Event)
	// keysChanged, when set, is called after a batch that holds a change
	// of keys made by anyone but this add-on (KeyChange).
	keysChanged func()

	batches, entries, refused, damaged atomic.Uint64
}

// Start listens on a free loopback port with a fresh token and hands the
// events of each batch to sink. keysChanged (nil: none) is called after a
// batch that reports a change of service accounts made elsewhere (see
// KeyChange), so that the key list is read again.
func Start(sink func([]lastused.Event), keysChanged func()) (*Receiver, error) {
	token, err := randtext.String(randtext.Alnum, 40)
	if err != nil {
		return nil, err
	}
	return start("127.0.0.1:0", token, sink, keysChanged)
}

// StartCluster is Start on a node of a cluster. MinIO's audit webhook is
// configuration of the whole cluster, and each node's MinIO posts what it
// served to the webhook's one endpoint: so every node's add-on listens on
// the same loopback address, ClusterAddress, with the same token, derived
// from the cluster's root secret, and every node's MinIO is given the same
// target at its start (ClusterEnv). Each add-on then hears the requests
// of its own node.
//
// A node's add-on hears only what its own MinIO served, so a change of
// keys made through another node does not reach it: there is no
// keysChanged here, and the key list is read every usage interval.
func StartCluster(addr, rootSecret, cluster string, sink func([]lastused.Event)) (*Receiver, error) {
	return start(addr, ClusterToken(rootSecret, cluster), sink, nil)
}

// ClusterAddress is the audit endpoint's loopback address on every node of
// a cluster: the port of the first node's S3 address plus ClusterPortOffset
// (the cluster's nodes agree on the first node whatever their own ports).
func ClusterAddress(firstNode string) (string, error) {
	_, port, err := net.SplitHostPort(firstNode)
	if err != nil {
		return "", fmt.Errorf("the cluster's first node %q has no port: %w", firstNode, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n+ClusterPortOffset > 65535 {
		return "", fmt.Errorf("the cluster's first node %q has no port below %d", firstNode, 65535-ClusterPortOffset)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(n+ClusterPortOffset)), nil
}

// ClusterPortOffset places a cluster's audit endpoint: S3 on 9000, the
// console usually on 9001, the audit endpoint on 9010.
const ClusterPortOffset = 10

// ClusterToken is the audit endpoint's token on every node of a cluster:
// known to whoever holds the root secret, which can do more than feed the
// endpoint anyway.
func ClusterToken(rootSecret, cluster string) string {
	m := hmac.New(sha256.New, []byte(rootSecret))
	m.Write([]byte("cloudos object-storage audit webhook\x00" + cluster))
	return hex.EncodeToString(m.Sum(nil))[:40]
}

func start(addr, token string, sink func([]lastused.Event), keysChanged func()) (*Receiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for MinIO's audit log on the loopback: %w", err)
	}
	r := &Receiver{ln: ln, token: token, sink: sink, keysChanged: keysChanged}
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

// ClusterEnv is the audit webhook target as MinIO's environment, for a
// cluster's MinIO at its start: the same on every node (StartCluster's
// address and token). A cluster's MinIO must not be given the webhook
// live: a node that applies an audit webhook change makes its peers
// reload theirs in a call whose context ends with the call, and the
// reloaded targets stop sending (the pinned MinIO, peer-rest-server.go
// serviceReloadDynamic); a target from the environment is started once,
// with the server.
func ClusterEnv(firstNode, rootSecret, cluster string) ([]string, error) {
	addr, err := ClusterAddress(firstNode)
	if err != nil {
		return nil, err
	}
	kv := func(key, value string) string { return "MINIO_AUDIT_WEBHOOK_" + key + "_" + Target + "=" + value }
	return []string{
		kv("ENABLE", "on"),
		kv("ENDPOINT", "http://"+addr+Path),
		kv("AUTH_TOKEN", ClusterToken(rootSecret, cluster)),
		kv("BATCH_SIZE", strconv.Itoa(BatchSize)),
		kv("QUEUE_SIZE", strconv.Itoa(QueueSize)),
		kv("MAX_RETRY", strconv.Itoa(MaxRetry)),
		kv("RETRY_INTERVAL", RetryInterval),
		kv("HTTP_TIMEOUT", HTTPTimeout),
	}, nil
}

// OffLine turns the target off.
func OffLine() string { return "audit_webhook:" + Target + " enable=off" }

// Close stops listening.
func (r *Receiver) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	// Shutdown closes the listener only once Serve has taken it; closed
	// here, the address is free for the next receiver at once (a cluster's
	// is always the same).
	if cerr := r.ln.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
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
	events, changed, err := decode(http.MaxBytesReader(w, req.Body, maxBody))
	r.batches.Add(1)
	r.entries.Add(uint64(len(events)))
	if len(events) > 0 {
		r.sink(events)
	}
	if changed && r.keysChanged != nil {
		r.keysChanged()
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
// (request and response headers, claims, tags) is skipped by the scanner
// and never kept.
type entry struct {
	Time                               time.Time
	Name                               string
	StatusCode                         int
	RX, TX                             int64
	RemoteHost, AccessKey              string
	Authorization, Credential, V2Query string
	// Own: the request came from this add-on's admin client (its
	// User-Agent is minioadmin.UserAgent).
	Own bool
}

// ownAgent is this add-on's admin User-Agent as a JSON string.
var ownAgent = strconv.Quote(minioadmin.UserAgent)

// maxLine bounds one entry as read (MinIO's entries are a few kilobytes).
const maxLine = 1 << 20

// Decode reads a batch of entries (one JSON object a line, as MinIO's
// target writes them) into events. It stops at the first line that is not
// an entry and returns what it read before it.
//
// It does not decode whole entries: it walks each object's top level and
// reads only the fields it needs, skipping the others (most of an entry is
// request and response headers) without building them, several times
// faster than encoding/json on MinIO's entries (BenchmarkDecode).
func Decode(body io.Reader) ([]lastused.Event, error) {
	evs, _, err := decode(body)
	return evs, err
}

// decode is Decode, and also says whether an entry read is a KeyChange
// made by someone else than this add-on.
func decode(body io.Reader) (out []lastused.Event, keysChanged bool, err error) {
	r := bufio.NewReaderSize(body, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			line, err = readLong(r, line)
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			e, perr := parseEntry(t)
			if perr != nil {
				return out, keysChanged, perr
			}
			out = append(out, e.event())
			keysChanged = keysChanged || (!e.Own && e.StatusCode/100 == 2 && KeyChange(e.Name))
		}
		if errors.Is(err, io.EOF) {
			return out, keysChanged, nil
		}
		if err != nil {
			return out, keysChanged, err
		}
	}
}

// KeyChange reports whether the admin API call named api (an audit
// entry's api.name: MinIO names admin calls by their handler) may change
// the list of service accounts or one of them: adding, editing or
// deleting one, importing IAM, a site-replication peer's IAM item, or a
// change of a user (removing a user removes its service accounts; a
// disabled user's keys stop working). Reads (List…, Info…, Export…, Get…)
// change nothing.
func KeyChange(api string) bool {
	for _, read := range []string{"List", "Info", "Export", "Get"} {
		if strings.HasPrefix(api, read) {
			return false
		}
	}
	for _, what := range []string{"ServiceAccount", "AccessKey", "IAM", "User"} {
		if strings.Contains(api, what) {
			return true
		}
	}
	return false
}

// readLong reads the rest of a line longer than the reader's buffer, up
// to maxLine.
func readLong(r *bufio.Reader, first []byte) ([]byte, error) {
	line := append([]byte(nil), first...)
	for {
		more, err := r.ReadSlice('\n')
		line = append(line, more...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("an audit entry is longer than %d bytes", maxLine)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

func (e entry) event() lastused.Event {
	ev := lastused.Event{
		AccessKey: e.AccessKey, Authenticated: e.AccessKey != "", Time: e.Time,
		Operation: e.Name, Source: e.RemoteHost, Status: e.StatusCode,
	}
	if e.RX > 0 {
		ev.Bytes += e.RX
	}
	if e.TX > 0 {
		ev.Bytes += e.TX
	}
	if ev.AccessKey == "" {
		ev.AccessKey = claimedKey(e.Authorization, e.Credential, e.V2Query)
	}
	return ev
}

// parseEntry reads the fields of one entry.
func parseEntry(b []byte) (entry, error) {
	var e entry
	if len(b) == 0 || b[0] != '{' {
		return entry{}, errors.New("not an audit entry: not a JSON object")
	}
	sc := scanner{b: b}
	err := sc.object(func(key []byte) error {
		switch string(key) {
		case `"time"`:
			v, err := sc.str()
			if err == nil {
				e.Time, _ = time.Parse(time.RFC3339Nano, v)
			}
			return err
		case `"remotehost"`:
			return sc.strTo(&e.RemoteHost)
		case `"accessKey"`:
			return sc.strTo(&e.AccessKey)
		case `"userAgent"`:
			if sc.i < len(sc.b) && sc.b[sc.i] == '"' {
				raw, err := sc.rawString()
				e.Own = string(raw) == ownAgent // no copy: compared in place
				return err
			}
			return sc.skip()
		case `"api"`:
			return sc.object(func(key []byte) error {
				switch string(key) {
				case `"name"`:
					return sc.strTo(&e.Name)
				case `"statusCode"`:
					n, err := sc.num()
					e.StatusCode = int(n)
					return err
				case `"rx"`:
					return sc.numTo(&e.RX)
				case `"tx"`:
					return sc.numTo(&e.TX)
				}
				return sc.skip()
			})
		case `"requestHeader"`:
			return sc.object(func(key []byte) error {
				if string(key) == `"Authorization"` {
					return sc.strTo(&e.Authorization)
				}
				return sc.skip()
			})
		case `"requestQuery"`:
			return sc.object(func(key []byte) error {
				switch string(key) {
				case `"X-Amz-Credential"`:
					return sc.strTo(&e.Credential)
				case `"AWSAccessKeyId"`:
					return sc.strTo(&e.V2Query)
				}
				return sc.skip()
			})
		}
		return sc.skip()
	})
	if err == nil {
		sc.ws()
		if sc.i != len(sc.b) {
			err = errors.New("more than one JSON value on a line")
		}
	}
	if err != nil {
		return entry{}, fmt.Errorf("not an audit entry: %w", err)
	}
	return e, nil
}

// scanner walks one JSON value in b; it checks the structure it walks
// (strings, nesting) and leaves the values it skips unchecked.
type scanner struct {
	b []byte
	i int
}

var errSyntax = errors.New("malformed JSON")

func (s *scanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\r' || s.b[s.i] == '\n') {
		s.i++
	}
}

// object calls field for each key of the object at s, positioned on its
// value; field must consume the value.
func (s *scanner) object(field func(key []byte) error) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return s.skip() // not an object (null): nothing to read in it
	}
	s.i++
	for first := true; ; first = false {
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			return nil
		}
		if !first {
			if s.i >= len(s.b) || s.b[s.i] != ',' {
				return errSyntax
			}
			s.i++
			s.ws()
		}
		key, err := s.rawString()
		if err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errSyntax
		}
		s.i++
		s.ws()
		if err := field(key); err != nil {
			return err
		}
	}
}

// rawString returns the string token at s, quotes included.
func (s *scanner) rawString() ([]byte, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, errSyntax
	}
	start := s.i
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return s.b[start:s.i], nil
		}
	}
	return nil, errSyntax
}

// str reads a string value (null reads as "").
func (s *scanner) str() (string, error) {
	if s.i < len(s.b) && s.b[s.i] != '"' {
		return "", s.skip()
	}
	raw, err := s.rawString()
	if err != nil {
		return "", err
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	err = json.Unmarshal(raw, &v)
	return v, err
}

func (s *scanner) strTo(dst *string) error {
	v, err := s.str()
	*dst = v
	return err
}

// num reads a whole number (anything else reads as 0).
func (s *scanner) num() (int64, error) {
	start := s.i
	if err := s.skip(); err != nil {
		return 0, err
	}
	n, _ := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	return n, nil
}

func (s *scanner) numTo(dst *int64) error {
	n, err := s.num()
	*dst = n
	return err
}

// skip passes over one value of any kind.
func (s *scanner) skip() error {
	if s.i >= len(s.b) {
		return errSyntax
	}
	switch s.b[s.i] {
	case '"':
		_, err := s.rawString()
		return err
	case '{', '[':
		depth := 0
		for ; s.i < len(s.b); s.i++ {
			switch s.b[s.i] {
			case '"':
				if _, err := s.rawString(); err != nil {
					return err
				}
				s.i-- // the loop steps past the closing quote
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
		}
		return errSyntax
	}
	start := s.i
scalar:
	for ; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			break scalar
		}
	}
	if s.i == start {
		return errSyntax
	}
	return nil
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
