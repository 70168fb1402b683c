package minioadmin

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", []byte{}},
		{"json", []byte(`{"accessKey":"quazzar-abcdefghij","secretKey":"s3cr3t-value"}`)},
		{"several sio packages", randomBytes(t, 100<<10+7)}, // sio splits at 16 KiB
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := EncryptData("root-password", tc.data)
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(enc), headerSize+len(tc.data)+16, "header + data + at least one tag")
			require.Contains(t, []byte{algArgon2idAESGCM, algArgon2idChaCha20}, enc[saltSize], "argon2id algorithm id")
			if len(tc.data) > 0 {
				require.False(t, bytes.Contains(enc, tc.data), "ciphertext must not contain the plaintext")
			}
			dec, err := DecryptData("root-password", enc)
			require.NoError(t, err)
			require.Equal(t, tc.data, append([]byte{}, dec...))
		})
	}
}

func TestEncryptUsesFreshSaltAndNonce(t *testing.T) {
	t.Parallel()
	a, err := EncryptData("pw", []byte("same"))
	require.NoError(t, err)
	b, err := EncryptData("pw", []byte("same"))
	require.NoError(t, err)
	require.NotEqual(t, a[:headerSize], b[:headerSize])
	require.NotEqual(t, a[headerSize:], b[headerSize:])
}

// Every algorithm id of the format decrypts, including the ones our
// EncryptData does not choose on this CPU (ChaCha20-Poly1305, PBKDF2).
func TestDecryptEveryAlgorithm(t *testing.T) {
	t.Parallel()
	for _, alg := range []byte{algArgon2idAESGCM, algArgon2idChaCha20, algPBKDF2AESGCM} {
		salt := randomBytes(t, saltSize)
		nonce := randomBytes(t, nonceSize)
		stream, _, err := newStream("pw", alg, salt)
		require.NoError(t, err)
		var buf bytes.Buffer
		buf.Write(salt)
		buf.WriteByte(alg)
		buf.Write(nonce)
		w := stream.EncryptWriter(&buf, nonce, nil)
		_, err = w.Write([]byte("payload"))
		require.NoError(t, err)
		require.NoError(t, w.Close())

		dec, err := DecryptData("pw", buf.Bytes())
		require.NoError(t, err, "algorithm %#x", alg)
		require.Equal(t, "payload", string(dec))
	}
}

func TestDecryptFailures(t *testing.T) {
	t.Parallel()
	enc, err := EncryptData("pw-R1ght-xyz", []byte(`{"accounts":[]}`))
	require.NoError(t, err)
	tampered := append([]byte{}, enc...)
	tampered[len(tampered)-1] ^= 1
	unknownAlg := append([]byte{}, enc...)
	unknownAlg[saltSize] = 0x7f

	cases := []struct {
		name     string
		password string
		data     []byte
		want     error
	}{
		{"wrong password", "pw-Wr0ng-xyz", enc, ErrNotAuthentic},
		{"truncated stream", "pw-R1ght-xyz", enc[:len(enc)-1], ErrNotAuthentic},
		{"header only", "pw-R1ght-xyz", enc[:headerSize], ErrNotAuthentic},
		{"truncated header", "pw-R1ght-xyz", enc[:headerSize-1], ErrMalformed},
		{"empty", "pw-R1ght-xyz", nil, ErrMalformed},
		{"tampered", "pw-R1ght-xyz", tampered, ErrNotAuthentic},
		{"unknown algorithm", "pw-R1ght-xyz", unknownAlg, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecryptData(tc.password, tc.data)
			require.ErrorIs(t, err, tc.want)
			require.NotContains(t, err.Error(), tc.password, "an error never carries the password")
		})
	}
}
