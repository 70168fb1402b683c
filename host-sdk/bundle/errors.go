package bundle

import (
	"errors"
	"fmt"

	"github.com/quazzar/object-storage/shared"
)

// Reason says why a bundle was refused. It is an error too, so that
// errors.Is(err, bundle.ReasonUnsafePath) tests a refusal's reason.
type Reason string

// Why a bundle is refused. Every refusal is bad input: the sender has to
// send another bundle, the host changes nothing.
const (
	// ReasonFormat: not gzip, not tar, corrupt or cut short.
	ReasonFormat Reason = "format"
	// ReasonTooLarge: over the compressed or uncompressed size limit.
	ReasonTooLarge Reason = "too_large"
	// ReasonTooManyMembers: more members than Limits.MaxMembers.
	ReasonTooManyMembers Reason = "too_many_members"
	// ReasonUnsafePath: an absolute path, a ".." element, an empty name or
	// a backslash.
	ReasonUnsafePath Reason = "unsafe_path"
	// ReasonSubfolder: a folder, or a member inside one; bundles are flat.
	ReasonSubfolder Reason = "subfolder"
	// ReasonNotRegular: a symbolic or hard link, a device, a FIFO, a sparse
	// file or any other member that is not a regular file.
	ReasonNotRegular Reason = "not_regular_file"
	// ReasonDuplicate: the same name twice.
	ReasonDuplicate Reason = "duplicate_member"
	// ReasonMissingManifest: no plugin.json at the top level.
	ReasonMissingManifest Reason = "missing_manifest"
	// ReasonManifest: plugin.json is refused by manifest.Parse, or too large.
	ReasonManifest Reason = "bad_manifest"
	// ReasonProtocol: the plugin speaks another protocol than this host.
	ReasonProtocol Reason = "protocol_version"
	// ReasonMissingExecutable: no member has the manifest's executable name.
	ReasonMissingExecutable Reason = "missing_executable"
	// ReasonNotExecutable: the executable has no executable bit.
	ReasonNotExecutable Reason = "not_executable"
	// ReasonChecksum: the executable's SHA-256 is not the manifest's.
	ReasonChecksum Reason = "checksum"
)

func (r Reason) Error() string { return string(r) }

// Error is a refused bundle. Its message says what is wrong and what to
// do. It matches its Reason and shared.ErrInvalidArgument with errors.Is,
// and errors.As (so shared.AsError and shared.CodeOf) turns it into a
// *shared.Error with code invalid_argument.
type Error struct {
	Reason Reason
	// Member is the archive member the refusal is about, if any.
	Member string
	msg    string
	cause  error
}

func (e *Error) Error() string { return "bundle refused: " + e.msg }

// Unwrap returns the cause, such as manifest.ErrChecksumMismatch or the
// manifest's field errors.
func (e *Error) Unwrap() error { return e.cause }

// Is matches the refusal's Reason and shared.ErrInvalidArgument.
func (e *Error) Is(target error) bool {
	if r, ok := target.(Reason); ok {
		return r == e.Reason
	}
	t, ok := target.(*shared.Error)
	return ok && t.Code == shared.CodeInvalidArgument && t.Message == ""
}

// As fills a **shared.Error with an invalid_argument error carrying this
// message, so that a host answers a refused bundle as bad input.
func (e *Error) As(target any) bool {
	p, ok := target.(**shared.Error)
	if ok {
		*p = shared.Errorf(shared.CodeInvalidArgument, "%w", e)
	}
	return ok
}

// refuse builds an *Error; a %w verb in format keeps the cause.
func refuse(reason Reason, member, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Reason: reason, Member: member, msg: err.Error(), cause: errors.Unwrap(err)}
}
