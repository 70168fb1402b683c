// Package minioadmin is a small client for MinIO's admin REST API
// (/minio/admin/v3/), written from the API and its encrypted body format so
// that no AGPL code is linked in.
//
// Requests are signed with SigV4 (service "s3", the server's region) by
// minio-go's Apache-2.0 signer, with the body's SHA-256 in
// X-Amz-Content-Sha256. The calls that carry secrets (service accounts,
// configuration) encrypt their bodies in MinIO's admin format (see
// EncryptData) with the root secret key as the password. Every error a call
// returns is a *shared.Error whose code comes from MinIO's error code
// through the one table in package minioerr. The client caches nothing:
// every call asks MinIO.
package minioadmin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/quazzar/object-storage/shared"
)

// adminPrefix is the path of MinIO's admin API, version 3.
const adminPrefix = "/minio/admin/v3"

// maxReplySize bounds how much of a reply is read (data usage of many
// buckets is the largest reply we ask for).
const maxReplySize = 64 << 20

// Config says where MinIO is and which credentials sign the calls.
type Config struct {
	// Endpoint is MinIO's S3 address, "host:port" (plain HTTP) or a URL
	// "http://host:port" / "https://host:port".
	Endpoint string
	// AccessKey and SecretKey are the root credentials. SecretKey is also
	// the password of the encrypted bodies.
	AccessKey string
	SecretKey string
	// Region signs the requests; it must be MinIO's region. Default
	// "us-east-1".
	Region string
	// HTTPClient sends the requests. Default: a client with a 30 s timeout.
	HTTPClient *http.Client
	// Logger gets one debug line per call (path, status, duration; never a
	// body). Default: no logging.
	Logger hclog.Logger
}

// Client calls MinIO's admin API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	accessKey string
	secretKey string
	region    string
	http      *http.Client
	log       hclog.Logger

	calls    atomic.Uint64
	kdfCount atomic.Uint64
	kdfNanos atomic.Int64
}

// Stats counts what a client has done since it was created.
type Stats struct {
	// Calls is the number of admin HTTP requests sent (successful or not).
	Calls uint64
	// KeyDerivations is the number of key derivations (argon2id) this
	// client ran to encrypt requests or decrypt replies, and
	// KeyDerivationTime their total duration.
	KeyDerivations    uint64
	KeyDerivationTime time.Duration
}

// New checks cfg and returns a client. It does not contact MinIO.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, shared.FieldError("endpoint", "MinIO endpoint is empty: give host:port, e.g. 127.0.0.1:9000")
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, shared.Errorf(shared.CodeInvalidArgument, "MinIO admin client needs the root access key and secret key")
	}
	raw := cfg.Endpoint
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, shared.FieldError("endpoint", "MinIO endpoint %q is not host:port or an http(s) URL", cfg.Endpoint)
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Client{
		base:      &url.URL{Scheme: u.Scheme, Host: u.Host},
		accessKey: cfg.AccessKey,
		secretKey: cfg.SecretKey,
		region:    region,
		http:      hc,
		log:       log,
	}, nil
}

// Calls returns the number of admin HTTP requests sent so far.
func (c *Client) Calls() uint64 { return c.calls.Load() }

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Calls:             c.calls.Load(),
		KeyDerivations:    c.kdfCount.Load(),
		KeyDerivationTime: time.Duration(c.kdfNanos.Load()),
	}
}

// encrypt encrypts a request body with the root secret key.
func (c *Client) encrypt(op string, data []byte) ([]byte, error) {
	out, kdf, err := encryptData(c.secretKey, data)
	c.countKDF(kdf)
	if err != nil {
		return nil, shared.Errorf(shared.CodeInternal, "%s: encrypt request: %w", op, err)
	}
	return out, nil
}

// decrypt decrypts a reply body with the root secret key.
func (c *Client) decrypt(op string, data []byte) ([]byte, error) {
	out, kdf, err := decryptData(c.secretKey, data)
	c.countKDF(kdf)
	if err != nil {
		return nil, shared.Errorf(shared.CodeInternal, "%s: decrypt MinIO's reply: %w", op, err)
	}
	return out, nil
}

func (c *Client) countKDF(d time.Duration) {
	if d > 0 {
		c.kdfCount.Add(1)
		c.kdfNanos.Add(int64(d))
	}
}

// UserAgent is the User-Agent of every admin call the add-on makes. MinIO
// writes it in each call's audit entry, which is how the add-on tells its
// own changes of keys from changes made elsewhere (auditlog.KeyChange).
const UserAgent = "cloudos-object-storage-addon"

// reply is a successful admin response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends one signed admin request and returns a 2xx reply, or a
// *shared.Error for a transport failure or a MinIO error response. op names
// the call in error messages.
func (c *Client) call(ctx context.Context, op, method, path string, query url.Values, body []byte) (*reply, error) {
	u := *c.base
	u.Path = adminPrefix + path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, shared.Errorf(shared.CodeInternal, "%s: build request: %w", op, err)
	}
	sum := sha256.Sum256(body)
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	req.Header.Set("User-Agent", UserAgent)
	req.ContentLength = int64(len(body))
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	req = signer.SignV4(*req, c.accessKey, c.secretKey, "", c.region)

	c.calls.Add(1)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log.Debug("admin call failed", "op", op, "path", path, "error", err)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, shared.Errorf(shared.CodeUnavailable, "%s: MinIO admin API at %s did not answer before the call was cancelled: %w", op, c.base.Host, ctxErr)
		}
		return nil, shared.Errorf(shared.CodeUnavailable, "%s: MinIO admin API at %s is not reachable (is MinIO running?): %w", op, c.base.Host, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReplySize+1))
	c.log.Debug("admin call", "op", op, "path", path, "status", resp.StatusCode, "duration", time.Since(start))
	if err != nil {
		return nil, shared.Errorf(shared.CodeUnavailable, "%s: read MinIO's reply: %w", op, err)
	}
	if len(data) > maxReplySize {
		return nil, shared.Errorf(shared.CodeInternal, "%s: MinIO's reply is larger than %d MiB", op, maxReplySize>>20)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, responseError(op, resp.StatusCode, data)
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: data}, nil
}
