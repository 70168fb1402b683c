package pairing

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

var target = Target{Endpoint: "https://s3.friend.example", Region: "us-east-1", Bucket: "photos-copy",
	AccessKey: "quazzar-ABCDEFGHIJ", SecretKey: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"}

func TestRoundTrip(t *testing.T) {
	var tokens []string
	for _, pass := range []string{"", "correct horse battery"} {
		tok, err := Encode(target, pass)
		require.NoError(t, err)
		tokens = append(tokens, tok)
		require.Equal(t, pass != "", Sealed(tok))
		require.NotContains(t, tok, target.SecretKey, "the secret is never readable in the token")
		if pass != "" {
			require.True(t, strings.HasPrefix(tok, SealedPrefix))
			require.NotContains(t, tok, "photos-copy", "a sealed token hides the bucket too")
		} else {
			require.True(t, strings.HasPrefix(tok, PlainPrefix))
		}
		// A copy with line breaks and spaces still decodes.
		wrapped := tok[:20] + "\n  " + tok[20:40] + "\r\n" + tok[40:] + " \n"
		got, err := Decode(wrapped, pass)
		require.NoError(t, err)
		require.Equal(t, target, got)
	}
	again, err := Encode(target, "correct horse battery")
	require.NoError(t, err)
	require.NotEqual(t, tokens[1], again, "fresh salt and nonce each time")
}

func TestRefusals(t *testing.T) {
	plain, err := Encode(target, "")
	require.NoError(t, err)
	sealed, err := Encode(target, "correct horse battery")
	require.NoError(t, err)
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	cases := []struct {
		name, token, pass, field, msg string
	}{
		{"empty", "", "", "token", "token is required"},
		{"foreign", "AKIAIOSFODNN7EXAMPLE", "", "token", "not a Cloud OS pairing token"},
		{"newer version", "cloudos-pair-2.abcdef", "", "token", "newer version of Cloud OS"},
		{"huge", PlainPrefix + strings.Repeat("A", maxToken), "", "token", "not a pairing token"},
		{"cut", plain[:len(plain)-10], "", "token", "garbled"},
		{"one character changed", flip(plain, len(PlainPrefix)+30), "", "token", "garbled"},
		{"not base64", PlainPrefix + "!!!!", "", "token", "garbled"},
		{"sealed cut", sealed[:len(sealed)-6], "correct horse battery", "token", "garbled"},
		{"sealed changed", flip(sealed, len(SealedPrefix)+40), "correct horse battery", "token", "garbled"},
		{"sealed without passphrase", sealed, "", "passphrase", "protected by a passphrase"},
		{"wrong passphrase", sealed, "Correct horse battery", "passphrase", "does not open"},
		{"passphrase for a plain token", plain, "correct horse battery", "passphrase", "not protected"},
		{"checksum fine, not JSON", PlainPrefix + encodeChecked([]byte("hello")), "", "token", "does not hold a target"},
		{"unknown field", PlainPrefix + encodeChecked([]byte(`{"endpoint":"http://a:1","bucket":"b","access_key":"k","secret_key":"s","region":"r","root":"x"}`)), "", "token", "does not hold a target"},
		{"no key", PlainPrefix + encodeChecked([]byte(`{"endpoint":"http://a:1","bucket":"b","region":"r"}`)), "", "token", "no access key"},
		{"bad endpoint", PlainPrefix + encodeChecked([]byte(`{"endpoint":"ftp://a","bucket":"b","access_key":"k","secret_key":"s","region":"r"}`)), "", "token", "not an http(s) URL"},
		{"endpoint with credentials", PlainPrefix + encodeChecked([]byte(`{"endpoint":"http://u:p@a:1","bucket":"b","access_key":"k","secret_key":"s","region":"r"}`)), "", "token", "not an http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.token, c.pass)
			require.Error(t, err)
			e := shared.AsError(err)
			require.Equal(t, shared.CodeInvalidArgument, e.Code)
			require.Equal(t, c.field, e.Field)
			require.Contains(t, e.Message, c.msg)
			require.NotContains(t, e.Message, target.SecretKey)
		})
	}
}

func TestPassphraseRule(t *testing.T) {
	require.NoError(t, CheckPassphrase(""))
	require.NoError(t, CheckPassphrase("12345678"))
	require.Equal(t, "passphrase", shared.AsError(CheckPassphrase("short")).Field)
	require.Error(t, CheckPassphrase(strings.Repeat("x", MaxPassphrase+1)))
	_, err := Encode(target, "short")
	require.Error(t, err)
}

func TestEncodeRefusesIncompleteTarget(t *testing.T) {
	bad := target
	bad.SecretKey = ""
	_, err := Encode(bad, "")
	require.Error(t, err)
}

func TestHost(t *testing.T) {
	for _, c := range []struct {
		endpoint, host string
		secure         bool
	}{
		{"http://127.0.0.1:9000", "127.0.0.1:9000", false},
		{"https://s3.example.com", "s3.example.com:443", true},
		{"https://s3.example.com:8443/", "s3.example.com:8443", true},
		{"http://[::1]:9000", "[::1]:9000", false},
	} {
		h, s := Target{Endpoint: c.endpoint}.Host()
		require.Equal(t, c.host, h, c.endpoint)
		require.Equal(t, c.secure, s, c.endpoint)
	}
}
