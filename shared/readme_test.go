package shared_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var fence = regexp.MustCompile("(?s)```(go|json)\n(.*?)```")

// TestREADMEBlocksAreTheExample: every Go block of the plugin authors'
// guide is an excerpt of testdata/plugins/hello-storage (which the build
// compiles), and its plugin.json block is that plugin's manifest, so the
// guide cannot drift from code that works.
func TestREADMEBlocksAreTheExample(t *testing.T) {
	guide, err := os.ReadFile("README.md")
	require.NoError(t, err)
	root := filepath.Join("..", "testdata", "plugins", "hello-storage")
	src, err := os.ReadFile(filepath.Join(root, "main.go"))
	require.NoError(t, err)
	man, err := os.ReadFile(filepath.Join(root, "plugin.json"))
	require.NoError(t, err)
	blocks := fence.FindAllStringSubmatch(string(guide), -1)
	require.GreaterOrEqual(t, len(blocks), 6)
	for _, b := range blocks {
		switch b[1] {
		case "go":
			require.Contains(t, normalise(string(src)), normalise(b[2]), "this block of shared/README.md is not in hello-storage's main.go:\n%s", b[2])
		case "json":
			require.Equal(t, string(man), b[2], "the plugin.json block of shared/README.md is not hello-storage's manifest")
		}
	}
	lines := strings.Count(string(src), "\n")
	require.LessOrEqual(t, lines, 90, "hello-storage is meant to stay small")
}

// normalise trims each line, so that an excerpt's indentation may differ.
func normalise(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
