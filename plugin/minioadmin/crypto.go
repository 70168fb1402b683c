package minioadmin

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/secure-io/sio-go"
	"github.com/secure-io/sio-go/sioutil"
	"golang.org/x/crypto/argon2"
)

// MinIO's encrypted admin body is
//
//	salt (32 bytes) | algorithm id (1 byte) | nonce (8 bytes) | sio stream
//
// where the sio stream key is derived from the password (the requesting
// user's secret key) and the salt. The algorithm id says both the key
// derivation and the AEAD of the stream.
const (
	saltSize   = 32
	nonceSize  = 8
	headerSize = saltSize + 1 + nonceSize
	keySize    = 32
)

// Algorithm ids of the format.
const (
	algArgon2idAESGCM   byte = 0x00
	algArgon2idChaCha20 byte = 0x01
	algPBKDF2AESGCM     byte = 0x02 // used by FIPS builds of MinIO
)

// Key derivation parameters fixed by the format.
const (
	argon2idTime    = 1
	argon2idMemory  = 64 * 1024 // KiB, i.e. 64 MiB
	argon2idThreads = 4
	pbkdf2Rounds    = 8192
)

// Errors of the body format. Both are returned wrapped; test with errors.Is.
var (
	// ErrMalformed: the data is too short or carries an unknown algorithm id,
	// so it is not MinIO's encrypted format (or was cut before the stream).
	ErrMalformed = errors.New("not an encrypted MinIO admin body")
	// ErrNotAuthentic: the stream does not decrypt with this password, or was
	// truncated or altered.
	ErrNotAuthentic = errors.New("encrypted MinIO admin body does not decrypt with this password (wrong secret key, or truncated or altered data)")
)

// kdfMu serialises argon2id: each derivation takes 64 MiB and all cores,
// so running several at once only multiplies memory without gaining speed.
var kdfMu sync.Mutex

// EncryptData encrypts data in MinIO's admin body format with a fresh
// random salt and nonce, using argon2id and AES-256-GCM when the CPU has AES
// instructions, ChaCha20-Poly1305 otherwise (the same choice MinIO makes).
func EncryptData(password string, data []byte) ([]byte, error) {
	out, _, err := encryptData(password, data)
	return out, err
}

// DecryptData decrypts a body in MinIO's admin format, whatever algorithm id
// it carries (argon2id with AES-GCM or ChaCha20-Poly1305, or PBKDF2 with
// AES-GCM from FIPS builds).
func DecryptData(password string, data []byte) ([]byte, error) {
	out, _, err := decryptData(password, data)
	return out, err
}

// encryptData is EncryptData that also reports the time spent deriving the
// key.
func encryptData(password string, data []byte) ([]byte, time.Duration, error) {
	var header [headerSize]byte
	if _, err := rand.Read(header[:]); err != nil {
		return nil, 0, fmt.Errorf("read random salt and nonce: %w", err)
	}
	alg := algArgon2idChaCha20
	if sioutil.NativeAES() {
		alg = algArgon2idAESGCM
	}
	header[saltSize] = alg
	stream, kdf, err := newStream(password, alg, header[:saltSize])
	if err != nil {
		return nil, kdf, err
	}
	nonce := header[saltSize+1:]
	var buf bytes.Buffer
	buf.Grow(headerSize + len(data) + int(stream.Overhead(int64(len(data)))))
	buf.Write(header[:])
	w := stream.EncryptWriter(&buf, nonce, nil)
	if _, err := w.Write(data); err != nil {
		return nil, kdf, fmt.Errorf("encrypt admin body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, kdf, fmt.Errorf("encrypt admin body: %w", err)
	}
	return buf.Bytes(), kdf, nil
}

// decryptData is DecryptData that also reports the time spent deriving the
// key.
func decryptData(password string, data []byte) ([]byte, time.Duration, error) {
	if len(data) < headerSize {
		return nil, 0, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrMalformed, len(data), headerSize)
	}
	salt, alg, nonce := data[:saltSize], data[saltSize], data[saltSize+1:headerSize]
	stream, kdf, err := newStream(password, alg, salt)
	if err != nil {
		return nil, kdf, err
	}
	var out bytes.Buffer
	w := stream.DecryptWriter(&out, nonce, nil)
	if _, err := w.Write(data[headerSize:]); err != nil {
		return nil, kdf, decryptError(err)
	}
	if err := w.Close(); err != nil {
		return nil, kdf, decryptError(err)
	}
	return out.Bytes(), kdf, nil
}

func decryptError(err error) error {
	if errors.Is(err, sio.NotAuthentic) {
		return fmt.Errorf("%w: %w", ErrNotAuthentic, err)
	}
	return fmt.Errorf("decrypt admin body: %w", err)
}

// kdfIdle is how long after the last argon2id derivation its 64 MiB are
// handed back to the system. Go's heap would otherwise keep them (and the
// garbage-collector headroom above them) resident for minutes in a process
// that is idle most of the time; a burst of calls keeps them.
const kdfIdle = 3 * time.Second

var idleRelease struct {
	sync.Mutex
	t *time.Timer
}

// releaseWhenIdle returns unused heap memory to the system once no
// derivation has run for kdfIdle.
func releaseWhenIdle() {
	idleRelease.Lock()
	defer idleRelease.Unlock()
	if idleRelease.t == nil {
		idleRelease.t = time.AfterFunc(kdfIdle, debug.FreeOSMemory)
		return
	}
	idleRelease.t.Reset(kdfIdle)
}

// newStream derives the key for alg from password and salt and returns the
// sio stream, with the time the derivation took.
func newStream(password string, alg byte, salt []byte) (*sio.Stream, time.Duration, error) {
	var (
		key    []byte
		aead   sio.Algorithm
		kdfDur time.Duration
	)
	switch alg {
	case algArgon2idAESGCM, algArgon2idChaCha20:
		kdfMu.Lock()
		start := time.Now()
		key = argon2.IDKey([]byte(password), salt, argon2idTime, argon2idMemory, argon2idThreads, keySize)
		kdfDur = time.Since(start)
		kdfMu.Unlock()
		releaseWhenIdle()
		aead = sio.AES_256_GCM
		if alg == algArgon2idChaCha20 {
			aead = sio.ChaCha20Poly1305
		}
	case algPBKDF2AESGCM:
		start := time.Now()
		var err error
		key, err = pbkdf2.Key(sha256.New, password, salt, pbkdf2Rounds, keySize)
		kdfDur = time.Since(start)
		if err != nil {
			return nil, kdfDur, fmt.Errorf("derive pbkdf2 key: %w", err)
		}
		aead = sio.AES_256_GCM
	default:
		return nil, 0, fmt.Errorf("%w: unknown algorithm id %#02x", ErrMalformed, alg)
	}
	stream, err := aead.Stream(key)
	if err != nil {
		return nil, kdfDur, fmt.Errorf("set up %s stream: %w", aead, err)
	}
	return stream, kdfDur, nil
}
