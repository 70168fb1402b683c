package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quazzar/object-storage/internal/atomicfile"
	"github.com/quazzar/object-storage/shared"
)

// Names of the supervisor's files in the state dir.
const (
	StateFileName = "minio.state.json"
	LockFileName  = "supervisor.lock"
	LogFileName   = "minio.log"
)

// Record is what the state file remembers of the MinIO process the
// supervisor started, so that a later add-on process can adopt it.
type Record struct {
	PID int `json:"pid"`
	// StartTicks is field 22 of /proc/<pid>/stat: with the pid, it names one
	// process for the life of the machine.
	StartTicks     uint64    `json:"start_ticks"`
	Binary         string    `json:"binary"`
	DataDir        string    `json:"data_dir"`
	S3Address      string    `json:"s3_address"`
	ConsoleAddress string    `json:"console_address"`
	Region         string    `json:"region"`
	StartedAt      time.Time `json:"started_at"`
	Restarts       int       `json:"restarts,omitempty"`
	// Args is MinIO's command line after the binary; Endpoints its drives
	// (every pool's, as layout.Endpoints), which a pools file does not
	// show on the command line. Both are empty in a record written before
	// drive layouts.
	Args      []string `json:"args,omitempty"`
	Endpoints []string `json:"endpoints,omitempty"`
}

// ReadRecord reads the state file. A missing file is (Record{}, false, nil).
func ReadRecord(stateDir string) (Record, bool, error) {
	path := filepath.Join(stateDir, StateFileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("read state file %s: %w", path, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, false, fmt.Errorf("state file %s is not valid JSON (remove it to start afresh): %w", path, err)
	}
	return r, true, nil
}

// WriteRecord writes the state file atomically: temp file, fsync, rename,
// fsync of the folder.
func WriteRecord(stateDir string, r Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(stateDir, StateFileName), append(b, '\n'), 0o600)
}

func removeRecord(stateDir string) error {
	err := os.Remove(filepath.Join(stateDir, StateFileName))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove state file: %w", err)
	}
	return nil
}

// acquireLock takes an exclusive flock on the lock file in stateDir, so that
// a second add-on process on the same state (and data) dir refuses to start.
// The lock goes away with the process that holds it, crash or not; MinIO
// does not inherit it (Go opens files close-on-exec).
func acquireLock(stateDir, dataDir string) (*os.File, error) {
	path := filepath.Join(stateDir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another add-on process"
			if pid, err := strconv.Atoi(strings.TrimSpace(string(holder))); err == nil && pid > 0 {
				who = fmt.Sprintf("another add-on process (pid %d)", pid)
			}
			return nil, shared.Errorf(shared.CodeConflict,
				"data dir %s is already supervised by %s holding %s; stop that one first, or give this one its own state dir and data dir", dataDir, who, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

func releaseLock(f *os.File) {
	if f == nil {
		return
	}
	_ = f.Truncate(0)
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	_ = f.Close()
}
