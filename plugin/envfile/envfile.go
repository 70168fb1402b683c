// Package envfile keeps MinIO's root credentials in the env file MinIO reads
// through MINIO_CONFIG_ENV_FILE: generated once on first boot, written
// atomically with mode 0600, and reused unchanged on every later boot.
//
// The file syntax is the one MinIO's own reader accepts: one KEY=VALUE per
// line, an optional leading "export ", a value optionally wrapped in a pair
// of matching single or double quotes, blank lines and lines starting with
// "#" ignored.
package envfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/internal/atomicfile"
	"github.com/quazzar/object-storage/plugin/randtext"
	"github.com/quazzar/object-storage/shared"
)

// Variable names MinIO reads its root credentials from.
const (
	KeyRootUser     = "MINIO_ROOT_USER"
	KeyRootPassword = "MINIO_ROOT_PASSWORD"
)

// Lengths of generated credentials. MinIO accepts a root user of at least 3
// characters and a password of at least 8; these are far above that.
const (
	UserLength     = 20
	PasswordLength = 48
	// MinPasswordLength is the shortest password this package generates
	// (and what tests of "strong credentials" check against).
	MinPasswordLength = 40
)

// Credentials are MinIO's root user and password. Their String and GoString
// never show the password, so printing one by mistake leaks nothing.
type Credentials struct {
	User     string
	Password string
}

func (c Credentials) String() string {
	return "Credentials{User: " + c.User + ", Password: [redacted]}"
}
func (c Credentials) GoString() string { return c.String() }

// IsZero reports whether no credentials are set.
func (c Credentials) IsZero() bool { return c.User == "" && c.Password == "" }

// Generate returns fresh root credentials from crypto/rand: a user name
// "quazzar-" followed by random lowercase letters and digits, and a password
// of PasswordLength letters and digits (about 285 bits).
func Generate() (Credentials, error) {
	user, err := randtext.String(randtext.LowerDigits, UserLength-len("quazzar-"))
	if err != nil {
		return Credentials{}, err
	}
	pw, err := randtext.String(randtext.Alnum, PasswordLength)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{User: "quazzar-" + user, Password: pw}, nil
}

// Entry is one KEY=VALUE of an env file.
type Entry struct {
	Key, Value string
	Line       int
}

var keyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Parse reads an env file's content. A line that is not KEY=VALUE is an
// invalid_argument error naming the file and the line number; the line's
// text is never quoted, since it may hold a secret.
func Parse(name string, data []byte) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export"); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "\t")) {
			line = strings.TrimSpace(rest)
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, shared.Errorf(shared.CodeInvalidArgument,
				"env file %s line %d is malformed: expected KEY=VALUE; fix or remove that line (the file was left as it is)", name, n)
		}
		if !keyRE.MatchString(key) {
			return nil, shared.Errorf(shared.CodeInvalidArgument,
				"env file %s line %d is malformed: the name before '=' must be letters, digits and underscores; fix that line (the file was left as it is)", name, n)
		}
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		}
		out = append(out, Entry{Key: key, Value: val, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, shared.Errorf(shared.CodeInvalidArgument, "env file %s line %d could not be read: %w", name, n+1, err)
	}
	return out, nil
}

// Load reads root credentials from an existing env file. Both variables must
// be present; the user at least 3 characters and the password at least 8,
// as MinIO requires.
func Load(path string) (Credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("read env file %s: %w", path, err)
	}
	entries, err := Parse(path, data)
	if err != nil {
		return Credentials{}, err
	}
	var c Credentials
	lines := map[string]int{}
	for _, e := range entries {
		switch e.Key {
		case KeyRootUser:
			c.User, lines[e.Key] = e.Value, e.Line
		case KeyRootPassword:
			c.Password, lines[e.Key] = e.Value, e.Line
		}
	}
	switch {
	case c.User == "":
		return Credentials{}, shared.Errorf(shared.CodeInvalidArgument,
			"env file %s has no %s line: add it with the root user MinIO's data was created with (the file was left as it is)", path, KeyRootUser)
	case c.Password == "":
		return Credentials{}, shared.Errorf(shared.CodeInvalidArgument,
			"env file %s has no %s line: add it with the root password MinIO's data was created with (the file was left as it is)", path, KeyRootPassword)
	case len(c.User) < 3:
		return Credentials{}, shared.Errorf(shared.CodeInvalidArgument,
			"env file %s line %d: %s must be at least 3 characters", path, lines[KeyRootUser], KeyRootUser)
	case len(c.Password) < 8:
		return Credentials{}, shared.Errorf(shared.CodeInvalidArgument,
			"env file %s line %d: %s must be at least 8 characters", path, lines[KeyRootPassword], KeyRootPassword)
	}
	return c, nil
}

// Format renders credentials as env file content.
func Format(c Credentials) []byte {
	return []byte("# MinIO root credentials, generated by the object-storage add-on on first boot.\n" +
		"# Keep this file mode 0600. Changing them locks MinIO out of its existing IAM data.\n" +
		KeyRootUser + "=" + c.User + "\n" +
		KeyRootPassword + "=" + c.Password + "\n")
}

// Write creates the env file atomically: a temporary file in the same
// folder (mode 0600), fsync, then a link to the final name that fails if the
// name already exists (so an existing file is never overwritten), fsync of
// the folder. The folder is created with mode 0700 when missing.
func Write(path string, c Credentials) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create folder %s for the env file: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary env file in %s: %w", dir, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("set mode 0600 on %s: %w", tmpName, err)
	}
	if _, err := tmp.Write(Format(c)); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("fsync %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmpName, err)
	}
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return shared.Errorf(shared.CodeConflict, "env file %s appeared while it was being created; it was not overwritten", path)
		}
		// A file system without hard links: rename instead (the caller holds
		// the supervisor's lock, so nobody else creates the file meanwhile).
		if err := os.Rename(tmpName, path); err != nil {
			return fmt.Errorf("move %s to %s: %w", tmpName, path, err)
		}
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s to fsync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync folder %s: %w", dir, err)
	}
	return nil
}

// HasMinIOData reports whether dataDir already holds a MinIO deployment
// (its .minio.sys folder).
func HasMinIOData(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, ".minio.sys"))
	return err == nil
}

// Ensure returns the root credentials of the env file at path, creating it
// on first boot: EnsureDrives with one drive.
func Ensure(path, dataDir string, log hclog.Logger) (c Credentials, created bool, err error) {
	return EnsureDrives(path, []string{dataDir}, log)
}

// EnsureDrives returns the root credentials of the env file at path,
// creating it on first boot. An existing file is reused unchanged, except
// that permissions looser than 0600 are tightened with a warning. A missing
// file beside drives that already hold MinIO data is refused: new
// credentials would lock MinIO out of its IAM data. created reports
// whether the file was generated now.
func EnsureDrives(path string, drives []string, log hclog.Logger) (c Credentials, created bool, err error) {
	st, err := os.Stat(path)
	switch {
	case err == nil:
		if !st.Mode().IsRegular() {
			return Credentials{}, false, shared.Errorf(shared.CodeInvalidArgument, "env file %s is not a regular file", path)
		}
		c, err := Load(path)
		if err != nil {
			return Credentials{}, false, err
		}
		if perm := st.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return Credentials{}, false, fmt.Errorf("tighten env file %s from mode %#o to 0600: %w", path, perm, err)
			}
			log.Warn("env file permissions were too loose; tightened to 0600", "path", path, "was", fmt.Sprintf("%#o", perm))
		}
		return c, false, nil
	case errors.Is(err, fs.ErrNotExist):
		for _, dataDir := range drives {
			if HasMinIOData(dataDir) {
				return Credentials{}, false, shared.Errorf(shared.CodeConflict,
					"env file %s is missing but data dir %s already holds MinIO data: new root credentials would lock MinIO out of its existing IAM data, so none were generated; restore the env file from a backup (or move the data dir away to start afresh)", path, dataDir)
			}
		}
		c, err := Generate()
		if err != nil {
			return Credentials{}, false, err
		}
		if err := Write(path, c); err != nil {
			if shared.CodeOf(err) == shared.CodeConflict {
				c, err := Load(path)
				return c, false, err
			}
			return Credentials{}, false, err
		}
		log.Info("generated MinIO root credentials", "path", path, "user", c.User)
		return c, true, nil
	default:
		return Credentials{}, false, fmt.Errorf("check env file %s: %w", path, err)
	}
}

// Replace writes c as the env file at path, replacing the one there
// atomically (temp file 0600, fsync, rename, fsync of the folder): a node
// joining a cluster takes the cluster's root credentials. Only for a node
// whose drives hold no buckets or keys: MinIO's IAM data of the old
// credentials is gone with them.
func Replace(path string, c Credentials) error {
	if len(c.User) < 3 || len(c.Password) < 8 {
		return shared.Errorf(shared.CodeInvalidArgument, "root credentials too short: user at least 3 characters, password at least 8")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create folder for the env file: %w", err)
	}
	return atomicfile.Write(path, Format(c), 0o600)
}
