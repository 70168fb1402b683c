// Package bundle is a plugin bundle: a .tar.gz holding plugin.json and the
// executable(s), packed by the build and checked and unpacked by the host.
//
// A bundle is flat: every member is a regular file at the archive's top
// level (a "./" prefix and a top-level "." folder entry, as `tar -C dir .`
// writes them, are accepted). Pack writes one from a stamped plugin folder;
// Unpack unpacks one into a new folder and checks it, refusing with an
// *Error anything a host must not install. Only the executable named by
// plugin.json is checksum-verified; other files travel with it unverified.
//
// How a host installs one (Swap moves folders with renames only):
//
//	u, err := bundle.Unpack(ctx, body, staging, bundle.Limits{})
//	// A *bundle.Error is bad input (shared.CodeOf says invalid_argument);
//	// any other error is the host's own failure. Nothing is left either way.
//	sw, err := bundle.Swap(u.Dir, filepath.Join(plugins, u.Manifest.ID))
//	// Start the plugin from its folder; then sw.Commit(), or on failure
//	// sw.Rollback(), which leaves no folder behind.
//
// An upgrade is the same with a plugin already at that folder: Unpack
// first (a bad bundle changes nothing), compare versions (a downgrade
// needs force), stop the old process leaving its services running, Swap
// (the old folder moves aside into the staging folder), start the new
// version; if it answers health, Commit (removes the old folder), else
// stop it, Rollback (the old folder moves back) and start the old version
// again.
//
// staging must be a folder on the same filesystem as the plugins folder
// (a sibling such as "<plugins>.staging", not the plugins folder itself,
// which a host scans for plugins), so that every move is a rename.
package bundle

import (
	"archive/tar"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/shared"
)

const mib = 1 << 20

// Limits bound what Unpack reads. A zero field takes DefaultLimits' value.
type Limits struct {
	// MaxCompressedBytes bounds the .tar.gz as sent.
	MaxCompressedBytes int64
	// MaxUncompressedBytes bounds the tar stream once decompressed (the
	// files, their headers and padding): a compression bomb stops here.
	MaxUncompressedBytes int64
	// MaxMembers bounds the number of archive members.
	MaxMembers int
}

// DefaultLimits is what a zero Limits means: room for a large Go plugin
// binary, nothing like a disk's worth.
var DefaultLimits = Limits{
	MaxCompressedBytes:   128 * mib,
	MaxUncompressedBytes: 256 * mib,
	MaxMembers:           64,
}

// maxManifestBytes bounds plugin.json, which is read into memory.
const maxManifestBytes = mib

func (l Limits) withDefaults() Limits {
	if l.MaxCompressedBytes <= 0 {
		l.MaxCompressedBytes = DefaultLimits.MaxCompressedBytes
	}
	if l.MaxUncompressedBytes <= 0 {
		l.MaxUncompressedBytes = DefaultLimits.MaxUncompressedBytes
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = DefaultLimits.MaxMembers
	}
	return l
}

// Unpacked is a bundle unpacked and checked, in a folder of its own inside
// the parent folder given to Unpack.
type Unpacked struct {
	Dir      string
	Manifest manifest.Manifest
}

// Remove deletes the unpacked folder, for a bundle the host decides not to
// install after all.
func (u Unpacked) Remove() error { return os.RemoveAll(u.Dir) }

// Unpack reads a bundle from archive into a new folder inside parentDir
// (created if missing) and checks it: the manifest (manifest.Parse), the
// protocol version against shared.Handshake, and the executable (present,
// executable, its SHA-256 the manifest's). Files are written 0644, or 0755
// when their tar mode has the owner's executable bit; the folder is 0755.
//
// A bundle that must not be installed is refused with an *Error; any other
// error is the host's (a read or write failure, ctx done). Either way
// parentDir holds nothing new afterwards.
func Unpack(ctx context.Context, archive io.Reader, parentDir string, limits Limits) (Unpacked, error) {
	if err := os.MkdirAll(parentDir, 0o755); err != nil {
		return Unpacked{}, fmt.Errorf("create the folder bundles are unpacked in: %w", err)
	}
	dir, err := os.MkdirTemp(parentDir, ".bundle-*")
	if err != nil {
		return Unpacked{}, fmt.Errorf("create a folder to unpack the bundle in: %w", err)
	}
	u := &unpacker{dir: dir, limits: limits.withDefaults(), modes: map[string]int64{}}
	m, err := u.unpack(ctx, archive)
	if err != nil {
		if rmErr := os.RemoveAll(dir); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("remove the refused bundle's folder: %w", rmErr))
		}
		return Unpacked{}, err
	}
	return Unpacked{Dir: dir, Manifest: m}, nil
}

// unpacker is one Unpack call's state.
type unpacker struct {
	dir    string
	limits Limits
	// modes holds the tar mode of each file written, by name.
	modes   map[string]int64
	written int64
	members int
}

func (u *unpacker) unpack(ctx context.Context, archive io.Reader) (manifest.Manifest, error) {
	compressed := &boundedReader{r: &sourceReader{ctx: ctx, r: archive}, left: u.limits.MaxCompressedBytes,
		over: refuse(ReasonTooLarge, "", "the archive is larger than %s; %s", size(u.limits.MaxCompressedBytes), checkTheFile)}
	zr, err := gzip.NewReader(compressed)
	if errors.Is(err, io.EOF) {
		return manifest.Manifest{}, refuse(ReasonFormat, "", "the archive is empty; send the bundle's .tar.gz file")
	}
	if err != nil {
		return manifest.Manifest{}, classify(err)
	}
	// One gzip member: what follows it is not read.
	zr.Multistream(false)
	stream := &boundedReader{r: zr, left: u.limits.MaxUncompressedBytes, over: u.tooLarge()}
	tr := tar.NewReader(stream)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		// tar.ErrInsecurePath (GODEBUG tarinsecurepath=0) comes with the
		// header; memberName refuses the same paths, saying why.
		if err != nil && !(errors.Is(err, tar.ErrInsecurePath) && hdr != nil) {
			return manifest.Manifest{}, classify(err)
		}
		if err := u.member(hdr, tr); err != nil {
			return manifest.Manifest{}, err
		}
	}
	// Read to the end of the gzip member, so that its checksum is checked
	// and any padding counts against the limit.
	if _, err := io.Copy(io.Discard, stream); err != nil {
		return manifest.Manifest{}, classify(err)
	}
	m, err := u.check()
	if err != nil {
		return manifest.Manifest{}, err
	}
	if err := os.Chmod(u.dir, 0o755); err != nil {
		return manifest.Manifest{}, fmt.Errorf("unpack the bundle: %w", err)
	}
	if err := syncDir(u.dir); err != nil {
		return manifest.Manifest{}, fmt.Errorf("unpack the bundle: %w", err)
	}
	return m, nil
}

const (
	checkTheFile = "a bundle holds a plugin's manifest and executable: check that this is the right file, or raise the host's bundle size limit"
	packFlat     = "put plugin.json and the executable at the archive's top level (make bundle does)"
)

func (u *unpacker) tooLarge() *Error {
	return refuse(ReasonTooLarge, "", "the archive unpacks to more than %s (a compression bomb?); %s", size(u.limits.MaxUncompressedBytes), checkTheFile)
}

// member checks one archive member and writes it into the folder.
func (u *unpacker) member(hdr *tar.Header, data io.Reader) error {
	u.members++
	if u.members > u.limits.MaxMembers {
		return refuse(ReasonTooManyMembers, hdr.Name, "the archive has more than %d members; %s, and nothing else", u.limits.MaxMembers, packFlat)
	}
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // metadata for the archive (git archive writes one), no file
	}
	name, err := memberName(hdr)
	if err != nil || name == "" {
		return err
	}
	if err := checkType(hdr); err != nil {
		return err
	}
	if _, dup := u.modes[name]; dup {
		return refuse(ReasonDuplicate, hdr.Name, "member %q appears twice in the archive; pack each file once (make bundle does)", name)
	}
	left := u.limits.MaxUncompressedBytes - u.written
	if hdr.Size > left {
		return u.tooLarge()
	}
	if name == manifest.FileName && hdr.Size > maxManifestBytes {
		return refuse(ReasonManifest, hdr.Name, "%s is %d bytes, more than a manifest's %s; pack the stamped plugin.json the build writes", manifest.FileName, hdr.Size, size(maxManifestBytes))
	}
	f, err := os.OpenFile(filepath.Join(u.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("unpack the bundle: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(data, left+1))
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil && closeErr != nil {
		err = closeErr
	}
	if err != nil {
		return classify(err)
	}
	if n > left {
		return u.tooLarge()
	}
	u.written += n
	u.modes[name] = hdr.Mode
	perm := fs.FileMode(0o644)
	if hdr.Mode&0o100 != 0 {
		perm = 0o755
	}
	if err := os.Chmod(f.Name(), perm); err != nil {
		return fmt.Errorf("unpack the bundle: %w", err)
	}
	return nil
}

// memberName returns the member's file name in the folder, or "" for the
// archive's top folder ("." or "./"), which is skipped.
func memberName(hdr *tar.Header) (string, error) {
	raw := hdr.Name
	switch {
	case raw == "":
		return "", refuse(ReasonUnsafePath, raw, "a member has an empty name; %s", packFlat)
	case strings.Contains(raw, `\`):
		return "", refuse(ReasonUnsafePath, raw, "member %q has a backslash in its name; %s", raw, packFlat)
	case path.IsAbs(raw):
		return "", refuse(ReasonUnsafePath, raw, "member %q has an absolute path; %s", raw, packFlat)
	case slices.Contains(strings.Split(raw, "/"), ".."):
		return "", refuse(ReasonUnsafePath, raw, "member %q has a \"..\" in its path, which could escape the bundle's folder; %s", raw, packFlat)
	}
	name := path.Clean(raw)
	switch {
	case name == "." && hdr.Typeflag == tar.TypeDir:
		return "", nil
	case name == ".":
		return "", refuse(ReasonUnsafePath, raw, "member %q is not a file name; %s", raw, packFlat)
	case strings.Contains(name, "/"):
		return "", refuse(ReasonSubfolder, raw, "member %q is inside a folder, and bundles are flat; %s", raw, packFlat)
	}
	return name, nil
}

// checkType refuses every member that is not a regular file.
func checkType(hdr *tar.Header) error {
	var kind string
	switch hdr.Typeflag {
	case tar.TypeReg:
		if !isSparse(hdr) {
			return nil
		}
		kind = "a sparse file"
	case tar.TypeDir:
		return refuse(ReasonSubfolder, hdr.Name, "member %q is a folder, and bundles are flat; %s", hdr.Name, packFlat)
	case tar.TypeSymlink:
		kind = fmt.Sprintf("a symbolic link (to %q)", hdr.Linkname)
	case tar.TypeLink:
		kind = fmt.Sprintf("a hard link (to %q)", hdr.Linkname)
	case tar.TypeChar:
		kind = "a character device"
	case tar.TypeBlock:
		kind = "a block device"
	case tar.TypeFifo:
		kind = "a FIFO (named pipe)"
	case tar.TypeGNUSparse:
		kind = "a sparse file"
	default:
		kind = fmt.Sprintf("a tar entry of type %q", hdr.Typeflag)
	}
	return refuse(ReasonNotRegular, hdr.Name, "member %q is %s; a bundle holds regular files only: pack the file itself", hdr.Name, kind)
}

// isSparse reports a PAX sparse file, whose holes read as zeros that the
// archive does not hold.
func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// check checks the unpacked files: manifest, protocol, executable.
func (u *unpacker) check() (manifest.Manifest, error) {
	if _, ok := u.modes[manifest.FileName]; !ok {
		return manifest.Manifest{}, refuse(ReasonMissingManifest, "", "there is no %s at the archive's top level; pack the stamped %s beside the executable (make bundle does)", manifest.FileName, manifest.FileName)
	}
	data, err := os.ReadFile(filepath.Join(u.dir, manifest.FileName))
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("unpack the bundle: %w", err)
	}
	if err := checkProtocol(data); err != nil {
		return manifest.Manifest{}, err
	}
	m, err := manifest.Parse(data)
	if err != nil {
		// manifest.Parse joins one error a field, a line each.
		e := refuse(ReasonManifest, manifest.FileName, "%w", err)
		e.msg = strings.ReplaceAll(e.msg, "\n", "; ")
		return manifest.Manifest{}, e
	}
	mode, ok := u.modes[m.Executable]
	if !ok {
		return manifest.Manifest{}, refuse(ReasonMissingExecutable, m.Executable, "%s names the executable %q but the archive has no such file at its top level; pack the executable beside %s (make bundle does)", manifest.FileName, m.Executable, manifest.FileName)
	}
	if mode&0o100 == 0 {
		return manifest.Manifest{}, refuse(ReasonNotExecutable, m.Executable, "the executable %q is not marked executable (mode %04o); pack it with its executable bit set (chmod +x, then make bundle)", m.Executable, mode&0o7777)
	}
	sum, err := manifest.FileSHA256(m.ExecutablePath(u.dir))
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("unpack the bundle: %w", err)
	}
	if sum != m.SHA256 {
		return manifest.Manifest{}, refuse(ReasonChecksum, m.Executable, "the executable %q has SHA-256 %s but %s says %s (%w): the bundle is damaged, or its %s was not stamped for this build; pack it again with make bundle",
			m.Executable, sum, manifest.FileName, m.SHA256, manifest.ErrChecksumMismatch, manifest.FileName)
	}
	return m, nil
}

// checkProtocol refuses a manifest for another protocol before
// manifest.Parse, so that the refusal has its own reason. A manifest too
// broken to say is left to manifest.Parse.
func checkProtocol(data []byte) error {
	var peek struct {
		ID              string `json:"id"`
		ProtocolVersion uint   `json:"protocol_version"`
	}
	if json.Unmarshal(data, &peek) != nil || peek.ProtocolVersion == 0 {
		return nil
	}
	if want := shared.Handshake.ProtocolVersion; peek.ProtocolVersion != want {
		return refuse(ReasonProtocol, manifest.FileName, "plugin %q speaks protocol %d and this host speaks protocol %d; install a build of the plugin made with this host's SDK",
			peek.ID, peek.ProtocolVersion, want)
	}
	return nil
}

// classify turns an error met while reading the archive into a refusal,
// and keeps a failure of the source, of ctx or of the disk as it is.
func classify(err error) error {
	var (
		refusal *Error
		source  *sourceError
		pathErr *fs.PathError
		corrupt flate.CorruptInputError
	)
	switch {
	case errors.As(err, &refusal):
		return refusal
	case errors.As(err, &source):
		return fmt.Errorf("read the bundle: %w", source.err)
	case errors.As(err, &pathErr):
		return fmt.Errorf("unpack the bundle: %w", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return refuse(ReasonFormat, "", "the archive ends early: the upload was cut short or the file is incomplete; send the whole .tar.gz again")
	case errors.Is(err, gzip.ErrHeader):
		return refuse(ReasonFormat, "", "it is not a gzip file (%v); a bundle is the .tar.gz that make bundle writes", err)
	case errors.As(err, &corrupt), errors.Is(err, gzip.ErrChecksum):
		return refuse(ReasonFormat, "", "its gzip data is corrupt (%v); send the bundle again, or pack it again with make bundle", err)
	default:
		return refuse(ReasonFormat, "", "it is gzip but not a tar archive (%v); a bundle is the .tar.gz that make bundle writes", err)
	}
}

// sourceError is a failure to read the archive's source (or ctx done):
// the host's problem, not the bundle's.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// sourceReader reads the archive, stopping when ctx is done, and marks
// its errors as the source's.
type sourceReader struct {
	ctx context.Context
	r   io.Reader
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, &sourceError{err}
	}
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &sourceError{err}
	}
	return n, err
}

// boundedReader fails with over once more than left bytes are read. It
// counts what is read, whatever any header claims.
type boundedReader struct {
	r    io.Reader
	left int64
	over *Error
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.over
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, b.over
	}
	return n, err
}

func size(n int64) string {
	if n%mib == 0 {
		return fmt.Sprintf("%d MiB", n/mib)
	}
	return fmt.Sprintf("%d bytes", n)
}

// syncDir makes the folder's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
