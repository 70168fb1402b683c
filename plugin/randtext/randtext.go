// Package randtext draws random strings for credentials from crypto/rand,
// each character uniform over an alphabet.
package randtext

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

// Alphabets the add-on draws from.
const (
	Upper       = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	Lower       = "abcdefghijklmnopqrstuvwxyz"
	Digits      = "0123456789"
	Alnum       = Upper + Lower + Digits
	UpperDigits = Upper + Digits
	LowerDigits = Lower + Digits
)

// String returns n characters drawn uniformly from alphabet.
func String(alphabet string, n int) (string, error) {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("read random bytes: %w", err)
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b), nil
}
