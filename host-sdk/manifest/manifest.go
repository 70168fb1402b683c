// Package manifest reads and checks a plugin's plugin.json: who the plugin
// is, which executable to run and its SHA-256, the protocol it speaks, what
// it provides, and its settings with their defaults.
package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// FileName is the manifest's name inside a plugin folder.
const FileName = "plugin.json"

// What a plugin may provide ("provides" in plugin.json).
const (
	ProvidesStorage = "storage" // shared.StorageModule
	ProvidesPage    = "page"    // shared.PageProvider, with a page in the panel
)

// Known lists every value "provides" may hold.
var Known = []string{ProvidesStorage, ProvidesPage}

// Manifest is a plugin's plugin.json.
type Manifest struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	// Executable is the file name of the plugin binary, in the same
	// folder as plugin.json.
	Executable string `json:"executable"`
	// SHA256 is the hex SHA-256 of the executable, written by the build
	// (see Stamp); the host refuses to start a binary that does not match.
	SHA256          string   `json:"sha256"`
	ProtocolVersion uint     `json:"protocol_version"`
	Provides        []string `json:"provides"`
	// Requires lists what the plugin needs from other plugins: a
	// capability ("storage"), or a capability from one plugin
	// ("storage:object-storage"). The host starts such a plugin only once
	// a provider of each is ready.
	Requires []string  `json:"requires,omitempty"`
	Page     *Page     `json:"page,omitempty"`
	Settings []Setting `json:"settings"`
}

// Page is where the plugin's page sits in the panel.
type Page struct {
	Route string `json:"route"`
	Title string `json:"title"`
	Menu  string `json:"menu"`
}

// Setting is one setting the plugin takes, with its default. Type,
// Options and Apply tell the host's settings form how to show it.
type Setting struct {
	Key         string `json:"key"`
	Default     string `json:"default"`
	Description string `json:"description,omitempty"`
	// Type is "string" (default), "duration" (a Go duration such as 30s),
	// "address" (host:port), "path" (absolute) or "select" (one of
	// Options).
	Type    string   `json:"type,omitempty"`
	Options []string `json:"options,omitempty"`
	// Apply is "live" (taken without a restart of what the plugin
	// supervises) or "restart" (the plugin asks to confirm a restart).
	Apply string `json:"apply,omitempty"`
	// Label is the form's label; default the key.
	Label string `json:"label,omitempty"`
}

// Setting types and apply modes.
const (
	SettingString   = "string"
	SettingDuration = "duration"
	SettingAddress  = "address"
	SettingPath     = "path"
	SettingSelect   = "select"

	ApplyLive    = "live"
	ApplyRestart = "restart"
)

// Requirement is one entry of "requires": a capability, and optionally the
// one plugin that must provide it.
type Requirement struct {
	Capability string
	Plugin     string
}

// String is the entry as written in plugin.json.
func (r Requirement) String() string {
	if r.Plugin == "" {
		return r.Capability
	}
	return r.Capability + ":" + r.Plugin
}

// Requirements parses "requires" (checked by Validate).
func (m Manifest) Requirements() []Requirement {
	out := make([]Requirement, 0, len(m.Requires))
	for _, r := range m.Requires {
		c, id, _ := strings.Cut(r, ":")
		out = append(out, Requirement{Capability: c, Plugin: id})
	}
	return out
}

// FieldError is a manifest refused because of one field.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: field %q: %s", FileName, e.Field, e.Problem)
}

// ErrChecksumMismatch is returned when an executable is not the one its
// manifest names.
var ErrChecksumMismatch = errors.New("executable does not match the sha256 in plugin.json")

var (
	idRE         = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	settingKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	// semverRE is semver.org's pattern: MAJOR.MINOR.PATCH, optional
	// -prerelease and +build.
	semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
		`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
		`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Parse decodes plugin.json and checks every field, including the
// executable's checksum. Unknown fields are refused, so a misspelt field
// does not silently take its default.
func Parse(data []byte) (Manifest, error) {
	m, err := decode(data)
	if err != nil {
		return Manifest{}, err
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Read reads and checks dir/plugin.json.
func Read(dir string) (Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return Manifest{}, fmt.Errorf("read plugin manifest: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		return Manifest{}, fmt.Errorf("%s: %w", dir, err)
	}
	return m, nil
}

func decode(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return Manifest{}, &FieldError{Field: typeErr.Field, Problem: fmt.Sprintf("must be a JSON %s, not a %s", jsonKind(typeErr.Type), typeErr.Value)}
		}
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return Manifest{}, &FieldError{Field: strings.Trim(field, `"`), Problem: "is not a plugin.json field (misspelt?)"}
		}
		return Manifest{}, fmt.Errorf("%s is not valid JSON: %w", FileName, err)
	}
	if dec.More() {
		return Manifest{}, fmt.Errorf("%s holds more than one JSON object", FileName)
	}
	return m, nil
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "whole number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "object"
	default:
		return t.String()
	}
}

// Validate checks every field; the error joins one *FieldError per bad
// field, each naming it.
func (m Manifest) Validate() error { return m.validate(true) }

// ValidateTemplate checks every field except sha256, which the build fills
// in (see Stamp).
func (m Manifest) ValidateTemplate() error { return m.validate(false) }

func (m Manifest) validate(requireChecksum bool) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	switch {
	case m.ID == "":
		bad("id", "is missing: give the plugin an id such as \"object-storage\"")
	case !idRE.MatchString(m.ID):
		bad("id", "%q must be 1-63 lowercase letters, digits and hyphens, starting with a letter", m.ID)
	}
	switch {
	case strings.TrimSpace(m.Name) == "":
		bad("name", "is missing: give the plugin a name people read in the panel")
	case len(m.Name) > 64:
		bad("name", "is %d bytes long; keep it to 64", len(m.Name))
	}
	switch {
	case m.Version == "":
		bad("version", "is missing: give a semantic version like 1.2.3")
	case !semverRE.MatchString(m.Version):
		bad("version", "%q is not a semantic version like 1.2.3", m.Version)
	}
	switch {
	case m.Executable == "":
		bad("executable", "is missing: name the plugin binary that sits beside plugin.json")
	case m.Executable == "." || m.Executable == ".." || strings.ContainsAny(m.Executable, `/\`):
		bad("executable", "%q must be a file name in the plugin's folder, not a path", m.Executable)
	}
	switch {
	case m.SHA256 == "" && requireChecksum:
		bad("sha256", "is missing: the build writes the executable's SHA-256 here (make build, or stamp-manifest)")
	case m.SHA256 != "" && !sha256RE.MatchString(m.SHA256):
		bad("sha256", "%q is not 64 lowercase hex digits of a SHA-256", m.SHA256)
	}
	switch want := shared.Handshake.ProtocolVersion; {
	case m.ProtocolVersion == 0:
		bad("protocol_version", "is missing: this host speaks protocol %d", want)
	case m.ProtocolVersion != want:
		bad("protocol_version", "the plugin speaks protocol %d, this host speaks %d: rebuild the plugin against this host's SDK", m.ProtocolVersion, want)
	}
	seen := map[string]bool{}
	for i, p := range m.Provides {
		field := fmt.Sprintf("provides[%d]", i)
		switch {
		case !isKnown(p):
			bad(field, "%q is not something a plugin can provide (known: %s)", p, strings.Join(Known, ", "))
		case seen[p]:
			bad(field, "%q is listed twice", p)
		}
		seen[p] = true
	}
	switch {
	case seen[ProvidesPage] && m.Page == nil:
		bad("page", "is missing: \"provides\" lists \"page\", so give its route, title and menu")
	case !seen[ProvidesPage] && m.Page != nil:
		bad("page", "is set but \"provides\" does not list \"page\"")
	case m.Page != nil:
		if !strings.HasPrefix(m.Page.Route, "/") || strings.ContainsAny(m.Page.Route, " ?#") {
			bad("page.route", "%q must be a path starting with / such as /storage/objects", m.Page.Route)
		}
		if strings.TrimSpace(m.Page.Title) == "" {
			bad("page.title", "is missing: the page needs a title")
		}
		if strings.TrimSpace(m.Page.Menu) == "" {
			bad("page.menu", "is missing: say under which menu the page sits, such as Infra")
		}
	}
	reqSeen := map[string]bool{}
	for i, r := range m.Requires {
		field := fmt.Sprintf("requires[%d]", i)
		c, id, hasID := strings.Cut(r, ":")
		switch {
		case !isKnown(c):
			bad(field, "%q names no capability a plugin can provide (known: %s), optionally as capability:plugin-id", r, strings.Join(Known, ", "))
		case hasID && !idRE.MatchString(id):
			bad(field, "%q: after the colon comes a plugin id such as object-storage", r)
		case id == m.ID:
			bad(field, "%q: a plugin cannot require itself", r)
		case m.Offers(c) && !hasID:
			bad(field, "%q: the plugin provides %s itself; name the other provider as %s:<plugin-id>", r, c, c)
		case reqSeen[r]:
			bad(field, "%q is listed twice", r)
		}
		reqSeen[r] = true
	}
	keys := map[string]bool{}
	for i, s := range m.Settings {
		field := fmt.Sprintf("settings[%d].key", i)
		switch {
		case s.Key == "":
			bad(field, "is missing")
		case !settingKeyRE.MatchString(s.Key):
			bad(field, "%q must be lowercase letters, digits and underscores, starting with a letter", s.Key)
		case keys[s.Key]:
			bad(field, "%q is declared twice", s.Key)
		}
		keys[s.Key] = true
		where := fmt.Sprintf("settings[%d]", i)
		switch s.Type {
		case "", SettingString, SettingDuration, SettingAddress, SettingPath:
			if len(s.Options) > 0 {
				bad(where+".options", "only a setting of type select has options")
			}
		case SettingSelect:
			if len(s.Options) == 0 {
				bad(where+".options", "a select needs its options")
			}
		default:
			bad(where+".type", "%q is not a setting type (string, duration, address, path, select)", s.Type)
		}
		if s.Apply != "" && s.Apply != ApplyLive && s.Apply != ApplyRestart {
			bad(where+".apply", "%q must be live or restart", s.Apply)
		}
	}
	return errors.Join(errs...)
}

func isKnown(p string) bool {
	for _, k := range Known {
		if p == k {
			return true
		}
	}
	return false
}

// Offers reports whether the manifest lists p in "provides".
func (m Manifest) Offers(p string) bool {
	for _, q := range m.Provides {
		if q == p {
			return true
		}
	}
	return false
}

// Defaults returns the settings' defaults by key.
func (m Manifest) Defaults() map[string]string {
	d := make(map[string]string, len(m.Settings))
	for _, s := range m.Settings {
		d[s.Key] = s.Default
	}
	return d
}

// Overlay returns the defaults overlaid with values. A key the manifest
// does not declare is refused, naming it.
func (m Manifest) Overlay(values map[string]string) (map[string]string, error) {
	out := m.Defaults()
	for k, v := range values {
		if _, ok := out[k]; !ok {
			return nil, shared.FieldError(k, "plugin %s has no setting %q (its plugin.json declares: %s)", m.ID, k, strings.Join(m.settingKeys(), ", "))
		}
		out[k] = v
	}
	return out, nil
}

func (m Manifest) settingKeys() []string {
	keys := make([]string, 0, len(m.Settings))
	for _, s := range m.Settings {
		keys = append(keys, s.Key)
	}
	return keys
}

// ExecutablePath is the executable's path for a plugin in dir.
func (m Manifest) ExecutablePath(dir string) string {
	return filepath.Join(dir, m.Executable)
}

// Checksum is the decoded SHA256.
func (m Manifest) Checksum() ([]byte, error) {
	sum, err := hex.DecodeString(m.SHA256)
	if err != nil || len(sum) != sha256.Size {
		return nil, &FieldError{Field: "sha256", Problem: fmt.Sprintf("%q is not 64 hex digits of a SHA-256", m.SHA256)}
	}
	return sum, nil
}

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("checksum executable: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("checksum executable %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// VerifyExecutable checks that the executable in dir is the one the
// manifest names; a mismatch wraps ErrChecksumMismatch.
func (m Manifest) VerifyExecutable(dir string) error {
	path := m.ExecutablePath(dir)
	got, err := FileSHA256(path)
	if err != nil {
		return err
	}
	if got != m.SHA256 {
		return fmt.Errorf("plugin %s: %s has sha256 %s, plugin.json says %s: %w; reinstall the plugin or rebuild it with make build",
			m.ID, path, got, m.SHA256, ErrChecksumMismatch)
	}
	return nil
}

// Stamp returns the manifest with SHA256 set to the checksum of exe. The
// executable's file name must be the one the manifest names.
func (m Manifest) Stamp(exe string) (Manifest, error) {
	if base := filepath.Base(exe); base != m.Executable {
		return Manifest{}, &FieldError{Field: "executable", Problem: fmt.Sprintf("says %q but the binary to stamp is %q: name them the same", m.Executable, base)}
	}
	sum, err := FileSHA256(exe)
	if err != nil {
		return Manifest{}, err
	}
	m.SHA256 = sum
	return m, m.Validate()
}

// StampFile reads the template manifest in, stamps it with the checksum of
// exe and writes it to out (atomically: temp file, then rename).
func StampFile(in, exe, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read manifest template: %w", err)
	}
	m, err := decode(data)
	if err == nil {
		err = m.ValidateTemplate()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if m, err = m.Stamp(exe); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".plugin-*.json")
	if err != nil {
		return fmt.Errorf("write stamped manifest: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(body, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write stamped manifest: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write stamped manifest: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write stamped manifest: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write stamped manifest: %w", err)
	}
	return nil
}
