// Package keys manages access keys: MinIO service accounts named
// quazzar-XXXXXXXXXX, with optional policies, whose secret is shown once.
package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/quazzar/object-storage/plugin/randtext"
	"github.com/quazzar/object-storage/shared"
)

// MinIO's limits on service accounts.
const (
	MaxNameLen        = 32
	MaxDescriptionLen = 256
	MaxPolicyLen      = 4096
	MinExpiry         = 15 * time.Minute
	MaxExpiry         = 365 * 24 * time.Hour
	// AccessKeyPrefix marks the keys this add-on made.
	AccessKeyPrefix = "quazzar-"
	accessKeyChars  = randtext.UpperDigits
	secretChars     = randtext.Alnum
	accessKeyRandom = 10
	secretLen       = 40
)

// ValidateName checks a key's name against MinIO's rules for service
// account names.
func ValidateName(name string) error {
	if name == "" {
		return shared.FieldError("name", "key name is required: a memorable name such as backup-agent")
	}
	if len(name) > MaxNameLen {
		return shared.FieldError("name", "key name is too long (%d characters): it must be at most %d", len(name), MaxNameLen)
	}
	if c := name[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return shared.FieldError("name", "key name %q must start with a letter", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return shared.FieldError("name", "key name %q has the character %q: use letters, digits, - and _ only", name, r)
		}
	}
	return nil
}

// ValidateDescription checks the optional description.
func ValidateDescription(d string) error {
	if len(d) > MaxDescriptionLen {
		return shared.FieldError("description", "description is too long (%d bytes): it must be at most %d", len(d), MaxDescriptionLen)
	}
	return nil
}

// ValidateExpiry checks an optional expiry against MinIO's window, from now.
func ValidateExpiry(exp, now time.Time) error {
	if exp.IsZero() {
		return nil
	}
	d := exp.Sub(now)
	if d < MinExpiry {
		return shared.FieldError("expiry", "expiry %s is too soon: it must be at least 15 minutes from now", exp.UTC().Format(time.RFC3339))
	}
	if d > MaxExpiry {
		return shared.FieldError("expiry", "expiry %s is too far: it must be at most 365 days from now", exp.UTC().Format(time.RFC3339))
	}
	return nil
}

// ParseExpiry reads the page's expiry input: empty, an RFC 3339 time, a
// datetime-local value (2026-12-31T23:59, taken as UTC), or a duration from
// now such as 720h or 30d.
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if strings.HasSuffix(s, "d") {
		var days int
		if _, err := fmt.Sscanf(s, "%dd", &days); err == nil && fmt.Sprintf("%dd", days) == s {
			return now.Add(time.Duration(days) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	return time.Time{}, shared.FieldError("expiry", "expiry %q is not a date: use a date and time such as 2026-12-31T23:59, or a duration such as 30d", s)
}

// NewAccessKey draws quazzar-XXXXXXXXXX with crypto/rand.
func NewAccessKey() (string, error) {
	s, err := randtext.String(accessKeyChars, accessKeyRandom)
	return AccessKeyPrefix + s, err
}

// NewSecret draws a 40-character secret with crypto/rand.
func NewSecret() (string, error) { return randtext.String(secretChars, secretLen) }

// IsManaged reports whether an access key has the shape of the keys this
// add-on makes.
func IsManaged(accessKey string) bool {
	rest, ok := strings.CutPrefix(accessKey, AccessKeyPrefix)
	if !ok || len(rest) != accessKeyRandom {
		return false
	}
	for _, r := range rest {
		if !strings.ContainsRune(accessKeyChars, r) {
			return false
		}
	}
	return true
}

// ValidatePolicy checks an IAM policy document before it is sent to MinIO:
// JSON syntax (with line and column), Version, at least one statement,
// Effect, action and resource shapes, and MinIO's size limit. It returns
// the policy compacted. An empty policy is valid: the key inherits.
func ValidatePolicy(policy string) (string, error) {
	if strings.TrimSpace(policy) == "" {
		return "", nil
	}
	bad := func(format string, args ...any) error {
		return shared.FieldError("policy", "policy: "+format, args...)
	}
	if len(policy) > MaxPolicyLen {
		return "", bad("it is %d bytes, MinIO accepts at most %d", len(policy), MaxPolicyLen)
	}
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(policy))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return "", bad("not valid JSON: %s", jsonErrorWhere(policy, err))
	}
	if dec.More() {
		return "", bad("not valid JSON: more than one JSON value")
	}
	version, _ := doc["Version"].(string)
	switch version {
	case "2012-10-17", "2008-10-17":
	case "":
		return "", bad(`"Version" is missing: add "Version": "2012-10-17"`)
	default:
		return "", bad(`"Version" %q is not known: use "2012-10-17"`, version)
	}
	var stmts []any
	switch s := doc["Statement"].(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	}
	if len(stmts) == 0 {
		return "", bad(`"Statement" is missing or empty: add at least one statement`)
	}
	for i, raw := range stmts {
		n := i + 1
		st, ok := raw.(map[string]any)
		if !ok {
			return "", bad("statement %d is not an object", n)
		}
		if e, _ := st["Effect"].(string); e != "Allow" && e != "Deny" {
			return "", bad(`statement %d: "Effect" must be "Allow" or "Deny", got %v`, n, quoteAny(st["Effect"]))
		}
		actions, ok := stringList(st["Action"])
		if na, has := st["NotAction"]; has && st["Action"] == nil {
			actions, ok = stringList(na)
		}
		if !ok || len(actions) == 0 {
			return "", bad(`statement %d: "Action" must be a list of actions such as "s3:GetObject"`, n)
		}
		for _, a := range actions {
			if !strings.HasPrefix(a, "s3:") && !strings.HasPrefix(a, "admin:") || len(a) < 4 {
				return "", bad(`statement %d: action %q does not look like "s3:..." or "admin:..."`, n, a)
			}
		}
		if st["Resource"] == nil && st["NotResource"] == nil {
			if allAdmin(actions) {
				continue
			}
			return "", bad(`statement %d: "Resource" is missing: name buckets such as "arn:aws:s3:::photos/*"`, n)
		}
		res, ok := stringList(st["Resource"])
		if nr, has := st["NotResource"]; has && st["Resource"] == nil {
			res, ok = stringList(nr)
		}
		if !ok || len(res) == 0 {
			return "", bad(`statement %d: "Resource" must be a list such as ["arn:aws:s3:::photos/*"]`, n)
		}
		for _, r := range res {
			if !strings.HasPrefix(r, "arn:aws:s3:::") {
				return "", bad(`statement %d: resource %q must start with "arn:aws:s3:::"`, n, r)
			}
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(policy)); err != nil {
		return "", bad("not valid JSON: %v", err)
	}
	return buf.String(), nil
}

func allAdmin(actions []string) bool {
	for _, a := range actions {
		if !strings.HasPrefix(a, "admin:") {
			return false
		}
	}
	return true
}

func stringList(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func quoteAny(v any) string {
	if v == nil {
		return "nothing"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// jsonErrorWhere turns a decoding error into "line L, column C: reason".
func jsonErrorWhere(src string, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected EOF"):
		off = int64(len(src))
	}
	if off < 0 {
		return err.Error()
	}
	line, col := 1, 1
	for i, r := range src {
		if int64(i) >= off {
			break
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	if se != nil && col > 1 {
		col-- // Offset points just past the offending byte
	}
	return fmt.Sprintf("line %d, column %d: %s", line, col, strings.TrimPrefix(err.Error(), "json: "))
}
