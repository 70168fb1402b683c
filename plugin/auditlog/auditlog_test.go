package auditlog

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/lastused"
	"github.com/quazzar/object-storage/plugin/minioadmin"
)

// A GetObject and a refused PutObject as MinIO writes them (trimmed of
// headers the add-on skips, keeping some).
const batch = `{"version":"1","deploymentid":"d","time":"2026-12-01T10:00:00.5Z","event":"","trigger":"incoming","api":{"name":"GetObject","bucket":"photos","object":"a.png","status":"OK","statusCode":200,"rx":0,"tx":1234,"timeToResponse":"1ms"},"remotehost":"10.0.0.7","requestID":"x","userAgent":"aws-cli/2.9","requestHeader":{"Authorization":"AWS4-HMAC-SHA256 Credential=quazzar-AAAAAAAAAA/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc","X-Amz-Date":"20261201T100000Z"},"responseHeader":{"ETag":"e"},"tags":{},"accessKey":"quazzar-AAAAAAAAAA","parentUser":"root"}
{"version":"1","time":"2026-12-01T10:00:01Z","api":{"name":"PutObject","status":"Forbidden","statusCode":403,"rx":5,"tx":-1},"remotehost":"10.0.0.8","requestHeader":{"Authorization":"AWS4-HMAC-SHA256 Credential=quazzar-BBBBBBBBBB/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc"}}
{"version":"1","time":"2026-12-01T10:00:02Z","api":{"name":"GetObject","statusCode":403},"remotehost":"10.0.0.9","requestQuery":{"X-Amz-Credential":"quazzar-CCCCCCCCCC/20261201/us-east-1/s3/aws4_request"}}
{"version":"1","time":"2026-12-01T10:00:03Z","api":{"name":"GetObject","statusCode":200},"remotehost":"10.0.0.9"}
`

func TestDecode(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339Nano, s); return v }
	got, err := Decode(strings.NewReader(batch))
	require.NoError(t, err)
	require.Equal(t, []lastused.Event{
		{AccessKey: "quazzar-AAAAAAAAAA", Authenticated: true, Time: at("2026-12-01T10:00:00.5Z"), Operation: "GetObject", Source: "10.0.0.7", Status: 200, Bytes: 1234},
		{AccessKey: "quazzar-BBBBBBBBBB", Time: at("2026-12-01T10:00:01Z"), Operation: "PutObject", Source: "10.0.0.8", Status: 403, Bytes: 5},
		{AccessKey: "quazzar-CCCCCCCCCC", Time: at("2026-12-01T10:00:02Z"), Operation: "GetObject", Source: "10.0.0.9", Status: 403},
		{Time: at("2026-12-01T10:00:03Z"), Operation: "GetObject", Source: "10.0.0.9", Status: 200},
	}, got)

	// Only the entry's own fields count, whatever a request puts in its
	// query or headers; escapes are read.
	tricky := `{"time":"2026-12-01T10:00:04Z","api":{"name":"Get\u004fbject","statusCode":403,"objects":[{"objectName":"}{\"accessKey\":\"x\""}]},` +
		`"requestQuery":{"accessKey":"quazzar-FAKEFAKE00","X-Amz-Credential":"quazzar-DDDDDDDDDD/2026"},"requestHeader":{"X-Note":"\"accessKey\":\"quazzar-FAKEFAKE01\""},"tags":{"a":[1,{"b":null}],"c":true}}` + "\n"
	got, err = Decode(strings.NewReader(tricky))
	require.NoError(t, err)
	require.Equal(t, []lastused.Event{{AccessKey: "quazzar-DDDDDDDDDD", Time: at("2026-12-01T10:00:04Z"), Operation: "GetObject", Status: 403}}, got)
	for _, bad := range []string{"{", `{"api":{"name":"x"}`, `{"time":"x"}{}`, `["x"]`, `{"a":"unterminated}`, `{"a" 1}`} {
		_, err := Decode(strings.NewReader(bad + "\n"))
		require.Error(t, err, bad)
	}

	got, err = Decode(strings.NewReader(batch + "not json\n"))
	require.Error(t, err)
	require.Len(t, got, 4, "what came before a damaged line is kept")
}

func TestKeyChange(t *testing.T) {
	t.Parallel()
	for api, want := range map[string]bool{
		"AddServiceAccount": true, "AddServiceAccountLDAP": true, "UpdateServiceAccount": true,
		"DeleteServiceAccount": true, "ImportIAM": true, "ImportIAMV2": true, "SRPeerReplicateIAMItem": true,
		"RemoveUser": true, "SetUserStatus": true, "AddUser": true, "ListUsers": false, "ListBucketUsers": false,
		"ListServiceAccounts": false, "InfoServiceAccount": false, "InfoAccessKey": false,
		"ListAccessKeysBulk": false, "ExportIAM": false, "GetUserInfo": false,
		"GetObject": false, "PutObject": false, "DataUsageInfo": false, "SetConfigKV": false, "": false,
	} {
		require.Equal(t, want, KeyChange(api), api)
	}
}

// A batch reports a change of keys when an entry is a successful KeyChange
// that the add-on's admin client did not make.
func TestDecodeReportsKeyChanges(t *testing.T) {
	t.Parallel()
	entry := func(api string, status int, agent string) string {
		return fmt.Sprintf(`{"time":"2026-12-01T10:00:00Z","api":{"name":%q,"statusCode":%d},"remotehost":"127.0.0.1","userAgent":%s,"accessKey":"root"}`+"\n", api, status, agent)
	}
	own := strconv.Quote(minioadmin.UserAgent)
	for _, c := range []struct {
		name, body string
		want       bool
	}{
		{"mc deletes a key", entry("DeleteServiceAccount", 204, `"MinIO (linux; amd64) madmin-go/2.0.0 mc/RELEASE"`), true},
		{"a key made elsewhere, among reads", batch + entry("AddServiceAccount", 200, `"x"`) + entry("GetObject", 200, `"x"`), true},
		{"no user agent", entry("UpdateServiceAccount", 204, "null"), true},
		{"the add-on's own revoke", entry("DeleteServiceAccount", 204, own), false},
		{"a refused delete", entry("DeleteServiceAccount", 403, `"x"`), false},
		{"a list", entry("ListServiceAccounts", 200, `"x"`), false},
		{"S3 only", batch, false},
		{"a user agent that only starts like the add-on's", entry("AddServiceAccount", 200, strconv.Quote(minioadmin.UserAgent+"x")), true},
	} {
		evs, changed, err := decode(strings.NewReader(c.body))
		require.NoError(t, err, c.name)
		require.NotEmpty(t, evs, c.name)
		require.Equal(t, c.want, changed, c.name)
	}

	// The endpoint calls keysChanged after such a batch, and only then.
	var calls atomic.Int32
	r, err := Start(func([]lastused.Event) {}, func() { calls.Add(1) })
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	post := func(body string) {
		req, err := http.NewRequest(http.MethodPost, r.URL(), strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", r.token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	post(batch + entry("DeleteServiceAccount", 204, own))
	require.Zero(t, calls.Load(), "no change made elsewhere")
	post(entry("DeleteServiceAccount", 204, `"mc"`))
	require.EqualValues(t, 1, calls.Load())
}

func TestClaimedKey(t *testing.T) {
	for _, c := range []struct{ auth, cred, v2, want string }{
		{"AWS4-HMAC-SHA256 Credential=AK1/2026/us-east-1/s3/aws4_request, Signature=x", "", "", "AK1"},
		{"AWS AK2:signature", "", "", "AK2"},
		{"", "AK3/20261201/us-east-1/s3/aws4_request", "", "AK3"},
		{"", "", "AK4", "AK4"},
		{"Bearer x", "", "", ""},
		{"AWS4-HMAC-SHA256 nothing", "", "", ""},
	} {
		require.Equal(t, c.want, claimedKey(c.auth, c.cred, c.v2), "%+v", c)
	}
}

func TestEndpointRefusals(t *testing.T) {
	var mu sync.Mutex
	var got []lastused.Event
	r, err := Start(func(evs []lastused.Event) {
		mu.Lock()
		got = append(got, evs...)
		mu.Unlock()
	}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	require.True(t, strings.HasPrefix(r.URL(), "http://127.0.0.1:"), r.URL())
	require.Contains(t, r.ConfigLine(), "auth_token="+r.token)
	require.Contains(t, r.ConfigLine(), "endpoint="+r.URL())

	post := func(token string) int {
		req, err := http.NewRequest(http.MethodPost, r.URL(), strings.NewReader(batch))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, post(""), "no token")
	require.Equal(t, http.StatusUnauthorized, post("wrong"), "wrong token")
	require.Equal(t, http.StatusUnauthorized, post(r.token+"x"), "longer token")
	resp, err := http.Get(r.URL())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "GET")
	mu.Lock()
	require.Empty(t, got, "nothing refused reached the table")
	mu.Unlock()

	// Not from the loopback: the handler sees the peer's address.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(batch))
	req.RemoteAddr = "10.0.0.7:40000"
	req.Header.Set("Authorization", r.token)
	r.ServeHTTP(rec, req)
	require.Equal(t, http.StatusForbidden, rec.Code)
	req.RemoteAddr = "[::1]:40000"
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, "IPv6 loopback is loopback")

	require.Equal(t, http.StatusOK, post(r.token), "MinIO's form: the token alone")
	require.Equal(t, http.StatusOK, post("Bearer "+r.token))
	mu.Lock()
	require.Len(t, got, 12)
	mu.Unlock()
	require.Equal(t, Stats{Batches: 3, Entries: 12, Refused: 5}, r.Stats())
}

// realEntry is a GetObject entry of the pinned MinIO with its usual
// headers: what every request costs the endpoint to read.
const realEntry = `{"version":"1","deploymentid":"6f0c8f0e-5b4e-4c1e-9d6a-3d8f2b1c0a9e","time":"2026-12-01T10:00:00.123456789Z","event":"","trigger":"incoming","api":{"name":"GetObject","bucket":"photos","object":"GET-65536/3","objects":[],"status":"OK","statusCode":200,"rx":0,"tx":65536,"txHeaders":412,"timeToFirstByte":"312450ns","timeToFirstByteInNS":"312450","timeToResponse":"1204312ns","timeToResponseInNS":"1204312"},"remotehost":"127.0.0.1","requestID":"187D1F0C2A3B4C5D","userAgent":"MinIO (linux; amd64) minio-go/v7.0.80","requestPath":"/photos/GET-65536/3","requestHost":"127.0.0.1:9000","requestNode":"127.0.0.1:9000","requestClaims":{},"requestQuery":{},"requestHeader":{"Authorization":"AWS4-HMAC-SHA256 Credential=quazzar-AAAAAAAAAA/20261201/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","User-Agent":"MinIO (linux; amd64) minio-go/v7.0.80","X-Amz-Content-Sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","X-Amz-Date":"20261201T100000Z","Accept-Encoding":"identity"},"responseHeader":{"Accept-Ranges":"bytes","Content-Length":"65536","Content-Type":"application/octet-stream","ETag":"0123456789abcdef0123456789abcdef","Last-Modified":"Tue, 01 Dec 2026 09:59:00 GMT","Server":"MinIO","Strict-Transport-Security":"max-age=31536000; includeSubDomains","Vary":"Origin,Accept-Encoding","X-Amz-Id-2":"dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8","X-Amz-Request-Id":"187D1F0C2A3B4C5D","X-Content-Type-Options":"nosniff","X-Ratelimit-Limit":"1234","X-Ratelimit-Remaining":"1234","X-Xss-Protection":"1; mode=block"},"tags":{},"accessKey":"quazzar-AAAAAAAAAA","parentUser":"rootuser"}` + "\n"

// BenchmarkDecode is the endpoint's cost per audit entry.
func BenchmarkDecode(b *testing.B) {
	body := strings.Repeat(realEntry, BatchSize)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		evs, err := Decode(strings.NewReader(body))
		if err != nil || len(evs) != BatchSize {
			b.Fatal(len(evs), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*BatchSize), "ns/entry")
}

// Every node of a cluster listens where the others do, with their token,
// so that the cluster's one webhook line fits each node's add-on.
func TestClusterEndpoint(t *testing.T) {
	addr, err := ClusterAddress("10.0.0.1:9000")
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9010", addr)
	for _, bad := range []string{"10.0.0.1", "10.0.0.1:x", "10.0.0.1:65530", "10.0.0.1:0"} {
		_, err := ClusterAddress(bad)
		require.Error(t, err, bad)
	}
	tok := ClusterToken("root-secret", "c1")
	require.Len(t, tok, 40)
	require.Equal(t, tok, ClusterToken("root-secret", "c1"), "the same on every node")
	require.NotEqual(t, tok, ClusterToken("other-secret", "c1"))
	require.NotEqual(t, tok, ClusterToken("root-secret", "c2"))

	// Two add-ons of one node in turn (an upgrade) set the same line.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	free := ln.Addr().String()
	require.NoError(t, ln.Close())
	var lines []string
	for range 2 {
		r, err := StartCluster(free, "root-secret", "c1", func([]lastused.Event) {})
		require.NoError(t, err)
		require.Equal(t, "http://"+free+Path, r.URL())
		lines = append(lines, r.ConfigLine())
		require.NoError(t, r.Close())
	}
	require.Equal(t, lines[0], lines[1])
	require.Contains(t, lines[0], "auth_token="+tok)

	// The same target as MinIO's environment, for a cluster's MinIO.
	env, err := ClusterEnv("10.0.0.1:9000", "root-secret", "c1")
	require.NoError(t, err)
	require.Contains(t, env, "MINIO_AUDIT_WEBHOOK_ENABLE_quazzar=on")
	require.Contains(t, env, "MINIO_AUDIT_WEBHOOK_ENDPOINT_quazzar=http://127.0.0.1:9010/minio/audit")
	require.Contains(t, env, "MINIO_AUDIT_WEBHOOK_AUTH_TOKEN_quazzar="+tok)
	_, err = ClusterEnv("10.0.0.1", "root-secret", "c1")
	require.Error(t, err)
}
