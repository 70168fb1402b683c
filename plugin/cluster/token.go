// Package cluster forms a multi-node MinIO cluster from the add-on's
// page: the join token that carries the pool layout and the root
// credentials from the node that creates the cluster to the nodes that
// join it, encrypted with a passphrase the node owner types; the plan of
// the pool from the node list; and the checks and clearing of a node's
// drives before it takes part. MinIO does the rest (formatting, erasure
// coding, healing, quorum).
package cluster

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/plugin/randtext"
	"github.com/quazzar/object-storage/shared"
)

// TokenPrefix starts every join token of this format: the version, which
// fixes the key derivation and the cipher.
const TokenPrefix = "qzc1."

// Key derivation of version 1: argon2id, 64 MiB, 3 passes, 2 lanes, a
// 32-byte key for XChaCha20-Poly1305 (24-byte random nonce).
const (
	kdfTime    = 3
	kdfMemory  = 64 * 1024 // KiB
	kdfThreads = 2
	saltSize   = 16
)

// MinPassphrase is the shortest passphrase taken: it guards the root
// credentials in the token.
const MinPassphrase = 12

// Invitation is what a token carries.
type Invitation struct {
	// Cluster is the cluster's id (also in clear in the token, so that a
	// node can tell a token of another cluster without the passphrase).
	Cluster string `json:"cluster"`
	// Creator is the address of the node that made the token.
	Creator string `json:"creator"`
	Region  string `json:"region"`
	// Pools is the layout every node starts MinIO with (Self is each
	// node's own).
	Pools []layout.Pool `json:"pools"`
	// RootUser and RootPassword are the cluster's root credentials, which
	// every node's env file holds.
	RootUser     string    `json:"root_user"`
	RootPassword string    `json:"root_password"`
	Created      time.Time `json:"created"`
}

// String never shows the password.
func (i Invitation) String() string {
	return fmt.Sprintf("Invitation{Cluster: %s, Creator: %s, Region: %s, RootUser: %s, RootPassword: [redacted]}", i.Cluster, i.Creator, i.Region, i.RootUser)
}

// NewID returns a fresh cluster id.
func NewID() (string, error) {
	s, err := randtext.String(randtext.LowerDigits, 12)
	if err != nil {
		return "", err
	}
	return "c" + s, nil
}

// CheckPassphrase checks a passphrase for a new token.
func CheckPassphrase(p string) error {
	if len([]rune(p)) < MinPassphrase {
		return shared.FieldError("passphrase", "the passphrase must be at least %d characters: it guards the cluster's root credentials in the token", MinPassphrase)
	}
	return nil
}

// Seal encrypts an invitation with the passphrase:
// "qzc1.<cluster>.<base64url(salt | nonce | ciphertext)>", the prefix and
// the cluster id authenticated with the ciphertext.
func Seal(inv Invitation, passphrase string) (string, error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return "", err
	}
	if !validID(inv.Cluster) {
		return "", shared.Errorf(shared.CodeInvalidArgument, "cluster id %q is not one this add-on makes", inv.Cluster)
	}
	plain, err := json.Marshal(inv)
	if err != nil {
		return "", err
	}
	salt := make([]byte, saltSize)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	aead, err := chacha20poly1305.NewX(key(passphrase, salt))
	if err != nil {
		return "", err
	}
	head := TokenPrefix + inv.Cluster + "."
	sealed := aead.Seal(nil, nonce, plain, []byte(head))
	body := append(append(salt, nonce...), sealed...)
	return head + base64.RawURLEncoding.EncodeToString(body), nil
}

func key(passphrase string, salt []byte) []byte {
	return argon2.IDKey([]byte(passphrase), salt, kdfTime, kdfMemory, kdfThreads, chacha20poly1305.KeySize)
}

// notAToken is the message of a token that is not one.
const notAToken = "this is not a join token of the object-storage add-on (those start with " + TokenPrefix + "): copy the whole token again from the page of the node that created the cluster"

// Peek returns the cluster id of a token without opening it.
func Peek(token string) (string, error) {
	token = strings.TrimSpace(token)
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		if strings.HasPrefix(token, "qzc") && strings.Contains(token, ".") {
			return "", shared.FieldError("token", "this join token was made by another version of the object-storage add-on (%s…): create it again on a node with this version", token[:min(len(token), 5)])
		}
		return "", shared.FieldError("token", "%s", notAToken)
	}
	id, body, ok := strings.Cut(rest, ".")
	if !ok || !validID(id) || body == "" {
		return "", shared.FieldError("token", "%s", notAToken)
	}
	return id, nil
}

// Open decrypts a token with the passphrase. A token that is not one, or
// was changed, and a wrong passphrase are invalid_argument errors naming
// the field at fault; nothing of the token is echoed.
func Open(token, passphrase string) (Invitation, error) {
	token = strings.TrimSpace(token)
	id, err := Peek(token)
	if err != nil {
		return Invitation{}, err
	}
	head := TokenPrefix + id + "."
	body, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, head))
	if err != nil || len(body) < saltSize+chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead {
		return Invitation{}, shared.FieldError("token", "the join token is cut short or garbled: copy the whole token again")
	}
	salt, nonce, sealed := body[:saltSize], body[saltSize:saltSize+chacha20poly1305.NonceSizeX], body[saltSize+chacha20poly1305.NonceSizeX:]
	aead, err := chacha20poly1305.NewX(key(passphrase, salt))
	if err != nil {
		return Invitation{}, err
	}
	plain, err := aead.Open(nil, nonce, sealed, []byte(head))
	if err != nil {
		return Invitation{}, shared.FieldError("passphrase",
			"the passphrase does not open this join token (or the token was changed): type the passphrase chosen when the cluster was created")
	}
	var inv Invitation
	if err := json.Unmarshal(plain, &inv); err != nil || inv.Cluster != id {
		return Invitation{}, shared.FieldError("token", "the join token's content is not what this add-on writes: create a new token")
	}
	return inv, nil
}

// validID reports whether s is a cluster id as NewID makes them.
func validID(s string) bool {
	if len(s) != 13 || s[0] != 'c' {
		return false
	}
	for _, r := range s[1:] {
		if !strings.ContainsRune(randtext.LowerDigits, r) {
			return false
		}
	}
	return true
}
