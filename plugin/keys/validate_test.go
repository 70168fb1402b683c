package keys

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestValidateName(t *testing.T) {
	cases := []struct{ name, want string }{
		{"backup-agent", ""},
		{"grafana_tempo2", ""},
		{"", "required"},
		{strings.Repeat("a", 33), "too long"},
		{"my key", "character ' '"},
		{"1st", "start with a letter"},
		{"-x", "start with a letter"},
		{"ci.pipeline", "character '.'"},
	}
	for _, c := range cases {
		err := ValidateName(c.name)
		if c.want == "" {
			require.NoError(t, err, c.name)
			continue
		}
		require.ErrorIs(t, err, shared.ErrInvalidArgument, c.name)
		require.Contains(t, err.Error(), c.want)
		require.Equal(t, "name", shared.AsError(err).Field)
	}
}

func TestValidatePolicy(t *testing.T) {
	cases := []struct{ name, policy, want string }{
		{"empty inherits", "", ""},
		{"product page example", ReadOnlyPolicy("photos"), ""},
		{"read-write", ReadWritePolicy("photos"), ""},
		{"backup", BackupTargetPolicy("photos"), ""},
		{"admin without resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:ServerInfo"]}]}`, ""},
		{"not json", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [}\n", "line 3, column 17"},
		{"truncated", `{"Version":"2012-10-17"`, "not valid JSON"},
		{"no version", `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos/*"]}]}`, `"Version" is missing`},
		{"no statement", `{"Version":"2012-10-17"}`, `"Statement" is missing`},
		{"empty statement", `{"Version":"2012-10-17","Statement":[]}`, `"Statement" is missing`},
		{"unknown effect", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos/*"]}]}`, `"Effect" must be "Allow" or "Deny", got "Maybe"`},
		{"bad action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["GetObject"],"Resource":["arn:aws:s3:::photos/*"]}]}`, `action "GetObject"`},
		{"bad resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["photos/*"]}]}`, `resource "photos/*"`},
		{"no resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"]}]}`, `"Resource" is missing`},
		{"oversized", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + strings.Repeat("a", 4100) + `"]}]}`, "at most 4096"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := ValidatePolicy(c.policy)
			if c.want == "" {
				require.NoError(t, err)
				if c.policy != "" {
					require.NotContains(t, out, "\n", "compacted")
				}
				return
			}
			require.ErrorIs(t, err, shared.ErrInvalidArgument)
			require.Contains(t, err.Error(), c.want)
			require.Equal(t, "policy", shared.AsError(err).Field)
		})
	}
}

func TestExpiry(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	require.NoError(t, ValidateExpiry(time.Time{}, now))
	require.NoError(t, ValidateExpiry(now.Add(time.Hour), now))
	require.ErrorContains(t, ValidateExpiry(now.Add(time.Minute), now), "at least 15 minutes")
	require.ErrorContains(t, ValidateExpiry(now.Add(366*24*time.Hour), now), "at most 365 days")
	require.ErrorContains(t, ValidateExpiry(now.Add(-time.Hour), now), "at least 15 minutes")

	got, err := ParseExpiry("30d", now)
	require.NoError(t, err)
	require.Equal(t, now.Add(30*24*time.Hour), got)
	got, err = ParseExpiry("2026-12-31T23:59", now)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), got)
	got, err = ParseExpiry("", now)
	require.NoError(t, err)
	require.True(t, got.IsZero())
	_, err = ParseExpiry("next tuesday", now)
	require.ErrorIs(t, err, shared.ErrInvalidArgument)
}

func TestAccessKeyShape(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k, err := NewAccessKey()
		require.NoError(t, err)
		require.Len(t, k, 18)
		require.True(t, IsManaged(k), k)
		require.False(t, seen[k])
		seen[k] = true
		s, err := NewSecret()
		require.NoError(t, err)
		require.Len(t, s, 40)
	}
	require.False(t, IsManaged("quazzar-abc"))
	require.False(t, IsManaged("someone-else"))
	require.False(t, IsManaged("quazzar-abcdefghij"))
}
