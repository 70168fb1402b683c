package randtext

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestString(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 2000 {
		s, err := String(UpperDigits, 10)
		require.NoError(t, err)
		require.Len(t, s, 10)
		require.False(t, seen[s])
		seen[s] = true
		for _, r := range s {
			require.True(t, strings.ContainsRune(UpperDigits, r), "%q outside the alphabet", r)
			counts[r]++
		}
	}
	require.Len(t, counts, len(UpperDigits), "every character is drawn")
	s, err := String(Alnum, 0)
	require.NoError(t, err)
	require.Empty(t, s)
}
