package addons

import (
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/shared"
)

// CheckSettings checks setting values against a plugin's manifest: every
// key declared, every value of its declared type. The error names the
// first setting at fault (shared.Error.Field); the plugin checks them
// again with its own rules.
func CheckSettings(man manifest.Manifest, values map[string]string) error {
	if _, err := man.Overlay(values); err != nil {
		return err
	}
	for _, s := range man.Settings {
		v, ok := values[s.Key]
		if !ok || v == "" {
			continue
		}
		if err := checkValue(s, strings.TrimSpace(v)); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(s manifest.Setting, v string) error {
	label := s.Label
	if label == "" {
		label = s.Key
	}
	switch s.Type {
	case manifest.SettingDuration:
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			return shared.FieldError(s.Key, "%s must be a duration such as 30s or 5m, got %q", label, v)
		}
	case manifest.SettingAddress:
		host, port, err := net.SplitHostPort(v)
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return shared.FieldError(s.Key, "%s must be host:port with a port 1-65535, such as 127.0.0.1:9000, got %q", label, v)
		}
	case manifest.SettingPath:
		if !filepath.IsAbs(v) {
			return shared.FieldError(s.Key, "%s must be an absolute path, got %q", label, v)
		}
	case manifest.SettingSelect:
		if !slices.Contains(s.Options, v) {
			return shared.FieldError(s.Key, "%s must be one of %s, got %q", label, strings.Join(nonEmpty(s.Options), ", "), v)
		}
	}
	return nil
}

func nonEmpty(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
