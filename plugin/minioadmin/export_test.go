package minioadmin

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, content := range files {
		f, err := w.Create(name)
		require.NoError(t, err)
		_, err = f.Write([]byte(content))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestReadBucketMetadata(t *testing.T) {
	t.Parallel()
	got, err := ReadBucketMetadata(zipOf(t, map[string]string{
		"photos/policy.json": `{"Version":"2012-10-17"}`, "photos/notification.xml": "<x/>", "logs/quota.json": `{"quota":1}`,
	}))
	require.NoError(t, err)
	require.Equal(t, BucketMetadata{
		"photos": {FilePolicy: []byte(`{"Version":"2012-10-17"}`), "notification.xml": []byte("<x/>")},
		"logs":   {FileQuota: []byte(`{"quota":1}`)},
	}, got)

	_, err = ReadBucketMetadata([]byte("<Error><Code>AccessDenied</Code></Error>"))
	require.ErrorContains(t, err, "not a readable zip")
	for _, name := range []string{"policy.json", "a/b/c.json", "/policy.json"} {
		_, err = ReadBucketMetadata(zipOf(t, map[string]string{name: "{}"}))
		require.ErrorContains(t, err, "unexpected entry", name)
	}
	// An error MinIO writes after the first entries (a bucket deleted while
	// it exports) leaves the zip's directory where it does not point.
	good := zipOf(t, map[string]string{"photos/policy.json": "{}"})
	cut := bytes.Index(good, []byte("PK\x01\x02")) // the central directory
	damaged := append(append(append([]byte{}, good[:cut]...), []byte("<Error><Code>NoSuchBucket</Code></Error>")...), good[cut:]...)
	_, err = ReadBucketMetadata(damaged)
	require.Error(t, err)
}
