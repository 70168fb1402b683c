package manifest_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/internal/testkit"
)

const goodSum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// good is a valid manifest as a generic JSON object, so that cases can
// remove a field or set it to any JSON value.
func good() map[string]any {
	return map[string]any{
		"id":               "object-storage",
		"name":             "Object Storage",
		"version":          "0.1.0",
		"executable":       "object-storage",
		"sha256":           goodSum,
		"protocol_version": 1,
		"provides":         []any{"storage", "page"},
		"page":             map[string]any{"route": "/storage/objects", "title": "Object Storage", "menu": "Infra"},
		"settings": []any{
			map[string]any{"key": "data_dir", "default": "/var/lib/x", "description": "where data lives"},
		},
	}
}

func encode(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

func TestParseAcceptsGoodManifest(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse(encode(t, good()))
	require.NoError(t, err)
	require.Equal(t, "object-storage", m.ID)
	require.Equal(t, uint(1), m.ProtocolVersion)
	require.True(t, m.Offers(manifest.ProvidesStorage))
	require.Equal(t, map[string]string{"data_dir": "/var/lib/x"}, m.Defaults())
}

func TestParseAcceptsRepositoryManifestTemplate(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(testkit.ModuleRoot(), "plugin.json"))
	require.NoError(t, err)
	var m manifest.Manifest
	require.NoError(t, json.Unmarshal(data, &m))
	require.NoError(t, m.ValidateTemplate())
	m.SHA256 = ""
	require.ErrorContains(t, m.Validate(), `field "sha256"`)
}

func TestParseRefusesBadFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		edit  func(m map[string]any)
		field string
		want  string
	}{
		{"id missing", func(m map[string]any) { delete(m, "id") }, "id", "is missing"},
		{"id uppercase", func(m map[string]any) { m["id"] = "Object" }, "id", "lowercase"},
		{"id with slash", func(m map[string]any) { m["id"] = "a/b" }, "id", "lowercase"},
		{"name missing", func(m map[string]any) { delete(m, "name") }, "name", "is missing"},
		{"name blank", func(m map[string]any) { m["name"] = "  " }, "name", "is missing"},
		{"name too long", func(m map[string]any) { m["name"] = strings.Repeat("n", 65) }, "name", "64"},
		{"version missing", func(m map[string]any) { delete(m, "version") }, "version", "is missing"},
		{"version not semver", func(m map[string]any) { m["version"] = "1.x" }, "version", `"1.x" is not a semantic version like 1.2.3`},
		{"version two parts", func(m map[string]any) { m["version"] = "1.2" }, "version", "semantic version"},
		{"version leading zero", func(m map[string]any) { m["version"] = "01.2.3" }, "version", "semantic version"},
		{"version a number", func(m map[string]any) { m["version"] = 1 }, "version", "must be a JSON string, not a number"},
		{"executable missing", func(m map[string]any) { delete(m, "executable") }, "executable", "is missing"},
		{"executable a path", func(m map[string]any) { m["executable"] = "../bin/x" }, "executable", "not a path"},
		{"sha256 missing", func(m map[string]any) { delete(m, "sha256") }, "sha256", "is missing"},
		{"sha256 short", func(m map[string]any) { m["sha256"] = "abc" }, "sha256", "64 lowercase hex"},
		{"sha256 uppercase", func(m map[string]any) { m["sha256"] = strings.ToUpper(goodSum) }, "sha256", "64 lowercase hex"},
		{"protocol_version missing", func(m map[string]any) { delete(m, "protocol_version") }, "protocol_version", "is missing"},
		{"protocol_version other", func(m map[string]any) { m["protocol_version"] = 2 }, "protocol_version", "speaks protocol 2"},
		{"protocol_version string", func(m map[string]any) { m["protocol_version"] = "1" }, "protocol_version", "must be a JSON whole number, not a string"},
		{"provides unknown", func(m map[string]any) { m["provides"] = []any{"storage", "coffee"} }, "provides[1]", `"coffee" is not something`},
		{"provides twice", func(m map[string]any) { m["provides"] = []any{"page", "page"} }, "provides[1]", "twice"},
		{"page missing", func(m map[string]any) { delete(m, "page") }, "page", "is missing"},
		{"page without provides", func(m map[string]any) { m["provides"] = []any{"storage"} }, "page", "does not list"},
		{"page route relative", func(m map[string]any) { m["page"].(map[string]any)["route"] = "storage" }, "page.route", "starting with /"},
		{"page title missing", func(m map[string]any) { delete(m["page"].(map[string]any), "title") }, "page.title", "is missing"},
		{"page menu missing", func(m map[string]any) { delete(m["page"].(map[string]any), "menu") }, "page.menu", "is missing"},
		{"setting key missing", func(m map[string]any) { m["settings"] = []any{map[string]any{"default": "x"}} }, "settings[0].key", "is missing"},
		{"setting key bad", func(m map[string]any) { m["settings"] = []any{map[string]any{"key": "Data-Dir"}} }, "settings[0].key", "lowercase"},
		{"setting key twice", func(m map[string]any) {
			m["settings"] = []any{map[string]any{"key": "a"}, map[string]any{"key": "a"}}
		}, "settings[1].key", "twice"},
		{"unknown field", func(m map[string]any) { m["versoin"] = "1.0.0" }, "versoin", "misspelt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := good()
			tc.edit(m)
			_, err := manifest.Parse(encode(t, m))
			require.Error(t, err)
			require.ErrorContains(t, err, `plugin.json: field "`+tc.field+`": `)
			require.ErrorContains(t, err, tc.want)
			var fe *manifest.FieldError
			require.True(t, errors.As(err, &fe), "error %v is not a *manifest.FieldError", err)
			require.Equal(t, tc.field, fe.Field)
		})
	}
}

func TestParseRefusesNonJSON(t *testing.T) {
	t.Parallel()
	_, err := manifest.Parse([]byte(`{"id": `))
	require.ErrorContains(t, err, "not valid JSON")
	_, err = manifest.Parse([]byte(`{} {}`))
	require.ErrorContains(t, err, "more than one")
}

func TestOverlay(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse(encode(t, good()))
	require.NoError(t, err)
	got, err := m.Overlay(map[string]string{"data_dir": "/tmp/d"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"data_dir": "/tmp/d"}, got)
	_, err = m.Overlay(map[string]string{"date_dir": "/tmp/d"})
	require.ErrorContains(t, err, `no setting "date_dir"`)
}

func TestStampAndVerify(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exe := filepath.Join(dir, "object-storage")
	require.NoError(t, os.WriteFile(exe, []byte("#!/bin/sh\nexit 0\n"), 0o755))
	tmpl := good()
	tmpl["sha256"] = ""
	in := filepath.Join(dir, "template.json")
	require.NoError(t, os.WriteFile(in, encode(t, tmpl), 0o644))

	out := filepath.Join(dir, manifest.FileName)
	require.NoError(t, manifest.StampFile(in, exe, out))
	m, err := manifest.Read(dir)
	require.NoError(t, err)
	sum, err := manifest.FileSHA256(exe)
	require.NoError(t, err)
	require.Equal(t, sum, m.SHA256)
	require.NoError(t, m.VerifyExecutable(dir))

	// Tampering with the executable is detected.
	f, err := os.OpenFile(exe, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("# extra\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.ErrorIs(t, m.VerifyExecutable(dir), manifest.ErrChecksumMismatch)

	// The binary's name must be the manifest's executable.
	other := filepath.Join(dir, "other")
	require.NoError(t, os.WriteFile(other, []byte("x"), 0o755))
	require.ErrorContains(t, manifest.StampFile(in, other, out), `field "executable"`)

	// A template with a bad field is refused before stamping.
	tmpl["version"] = "v1"
	require.NoError(t, os.WriteFile(in, encode(t, tmpl), 0o644))
	require.ErrorContains(t, manifest.StampFile(in, exe, out), `field "version"`)
}
