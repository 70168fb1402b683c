// Package pairing encodes and decodes the pairing token: what a node that
// receives replicas hands to the node that sends them, in one copyable
// string, optionally sealed with a passphrase.
//
// A token carries the target's S3 endpoint and region, its bucket, and a
// scoped access key with its secret; never a root credential. Two forms,
// told apart by their version prefix:
//
//	cloudos-pair-1.<base64url(JSON | check)>
//	cloudos-pair-1e.<base64url(salt | nonce | sealed JSON | check)>
//
// check is the first 4 bytes of the SHA-256 of what precedes it, so that a
// token cut or changed in a copy is refused as garbled rather than tried.
// The sealed form derives a key from the passphrase with argon2id (3
// passes, 64 MiB, 4 lanes, 16-byte salt) and seals the JSON with
// XChaCha20-Poly1305 (24-byte nonce), the prefix as additional data: a
// wrong passphrase fails authentication. The parameters belong to the
// prefix; a later version changes the prefix.
package pairing

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/quazzar/object-storage/shared"
)

// Prefixes of the two forms of version 1.
const (
	PlainPrefix  = "cloudos-pair-1."
	SealedPrefix = "cloudos-pair-1e."
	// family is what every version's prefix starts with.
	family = "cloudos-pair-"
)

// Passphrase limits.
const (
	MinPassphrase = 8
	MaxPassphrase = 1024
)

// Key derivation of the sealed form, fixed by SealedPrefix.
const (
	kdfTime    = 3
	kdfMemory  = 64 * 1024 // KiB
	kdfThreads = 4
	saltSize   = 16
	checkSize  = 4
	// maxToken bounds what is decoded: a token is a few hundred
	// characters; anything far larger is not one.
	maxToken = 8 << 10
)

// Target is what a token carries: where the replicas go and the key that
// may write them there.
type Target struct {
	// Endpoint is the target's S3 endpoint URL: https://<domain> when the
	// target node is exposed, else its S3 address (http://host:port).
	Endpoint string `json:"endpoint"`
	Region   string `json:"region"`
	Bucket   string `json:"bucket"`
	// AccessKey and SecretKey are the target's scoped replication key.
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// Host is the endpoint's host:port and Secure whether it is https: how
// MinIO's remote target names it.
func (t Target) Host() (host string, secure bool) {
	u, err := url.Parse(t.Endpoint)
	if err != nil {
		return "", false
	}
	host = u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			host += ":443"
		} else {
			host += ":80"
		}
	}
	return host, u.Scheme == "https"
}

// Where names the target for people: endpoint/bucket.
func (t Target) Where() string {
	return strings.TrimSuffix(t.Endpoint, "/") + "/" + t.Bucket
}

// check refuses a target a token must not carry.
func (t Target) check() error {
	u, err := url.Parse(t.Endpoint)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "":
		return fmt.Errorf("its endpoint %q is not an http(s) URL of a host", t.Endpoint)
	case t.Bucket == "":
		return errors.New("it names no bucket")
	case t.AccessKey == "" || t.SecretKey == "":
		return errors.New("it carries no access key")
	case t.Region == "":
		return errors.New("it names no region")
	}
	return nil
}

// CheckPassphrase checks a passphrase chosen for a new token: empty (no
// passphrase) or MinPassphrase to MaxPassphrase characters.
func CheckPassphrase(p string) error {
	if p == "" {
		return nil
	}
	if n := len([]rune(p)); n < MinPassphrase || len(p) > MaxPassphrase {
		return shared.FieldError("passphrase", "passphrase must be %d to %d characters (or empty for no passphrase); this one has %d", MinPassphrase, MaxPassphrase, n)
	}
	return nil
}

// Encode makes a token for t, sealed when passphrase is not empty.
func Encode(t Target, passphrase string) (string, error) {
	if err := t.check(); err != nil {
		return "", fmt.Errorf("pairing token: %w", err)
	}
	if err := CheckPassphrase(passphrase); err != nil {
		return "", err
	}
	plain, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("pairing token: %w", err)
	}
	if passphrase == "" {
		return PlainPrefix + encodeChecked(plain), nil
	}
	head := make([]byte, saltSize+chacha20poly1305.NonceSizeX)
	if _, err := rand.Read(head); err != nil {
		return "", fmt.Errorf("pairing token: read random salt and nonce: %w", err)
	}
	aead, err := chacha20poly1305.NewX(deriveKey(passphrase, head[:saltSize]))
	if err != nil {
		return "", fmt.Errorf("pairing token: %w", err)
	}
	sealed := aead.Seal(head, head[saltSize:], plain, []byte(SealedPrefix))
	return SealedPrefix + encodeChecked(sealed), nil
}

// Sealed says whether a token is protected by a passphrase (false for
// anything that is not a sealed token).
func Sealed(token string) bool {
	return strings.HasPrefix(compact(token), SealedPrefix)
}

// Decode reads a token. Every refusal is an invalid_argument naming the
// field at fault ("token" or "passphrase") and saying what to do.
func Decode(token, passphrase string) (Target, error) {
	token = compact(token)
	var (
		sealed bool
		body   string
	)
	switch {
	case token == "":
		return Target{}, shared.FieldError("token", "token is required: paste the pairing token shown on the target node when it created its replica bucket")
	case len(token) > maxToken:
		return Target{}, shared.FieldError("token", "this is not a pairing token (it is %d characters long; a token is a few hundred): copy the whole token, and only it", len(token))
	case strings.HasPrefix(token, SealedPrefix):
		sealed, body = true, token[len(SealedPrefix):]
	case strings.HasPrefix(token, PlainPrefix):
		body = token[len(PlainPrefix):]
	case strings.HasPrefix(token, family):
		return Target{}, shared.FieldError("token", "this pairing token was made by a newer version of Cloud OS: update the object-storage add-on on this node")
	default:
		return Target{}, shared.FieldError("token", "this is not a Cloud OS pairing token (a token starts with %q): copy it again from the target node, whole", family)
	}
	raw, err := decodeChecked(body)
	if err != nil {
		return Target{}, shared.FieldError("token", "the pairing token is garbled (%v): copy it again from the target node, whole", err)
	}
	plain := raw
	switch {
	case sealed && passphrase == "":
		return Target{}, shared.FieldError("passphrase", "this pairing token is protected by a passphrase: type the passphrase chosen on the target node")
	case !sealed && passphrase != "":
		return Target{}, shared.FieldError("passphrase", "this pairing token is not protected by a passphrase: leave the passphrase empty")
	case sealed:
		if len(raw) < saltSize+chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead {
			return Target{}, shared.FieldError("token", "the pairing token is garbled (too short to be sealed): copy it again from the target node, whole")
		}
		aead, err := chacha20poly1305.NewX(deriveKey(passphrase, raw[:saltSize]))
		if err != nil {
			return Target{}, shared.Errorf(shared.CodeInternal, "open pairing token: %w", err)
		}
		nonce := raw[saltSize : saltSize+chacha20poly1305.NonceSizeX]
		plain, err = aead.Open(nil, nonce, raw[saltSize+chacha20poly1305.NonceSizeX:], []byte(SealedPrefix))
		if err != nil {
			return Target{}, shared.FieldError("passphrase", "the passphrase does not open this pairing token: check it with whoever created the token (it is case-sensitive)")
		}
	}
	var t Target
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Target{}, shared.FieldError("token", "the pairing token does not hold a target (%v): copy it again from the target node, whole", err)
	}
	if err := t.check(); err != nil {
		return Target{}, shared.FieldError("token", "the pairing token cannot be used: %v", err)
	}
	return t, nil
}

func deriveKey(passphrase string, salt []byte) []byte {
	return argon2.IDKey([]byte(passphrase), salt, kdfTime, kdfMemory, kdfThreads, chacha20poly1305.KeySize)
}

func encodeChecked(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(append(b[:len(b):len(b)], sum[:checkSize]...))
}

func decodeChecked(s string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("characters missing or changed")
	}
	if len(raw) <= checkSize {
		return nil, errors.New("too short")
	}
	body, check := raw[:len(raw)-checkSize], raw[len(raw)-checkSize:]
	sum := sha256.Sum256(body)
	if !bytes.Equal(sum[:checkSize], check) {
		return nil, errors.New("its checksum does not match: characters missing or changed")
	}
	return body, nil
}

// compact removes the white space a copy may add (line breaks, spaces).
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
