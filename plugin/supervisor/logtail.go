package supervisor

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// logTail follows MinIO's log file and forwards each line to the add-on's
// logger, with secrets redacted. It also caps the file: past maxBytes the
// file is copied to <name>.1 and truncated (MinIO appends with O_APPEND, so
// its next write lands at the new end).
type logTail struct {
	path     string
	maxBytes int64
	log      hclog.Logger
	secrets  []string
	stop     chan struct{}
	done     chan struct{}
	// reason is MinIO's last line that says why it is not serving (quorum,
	// waiting for nodes, a drive), with when it was seen.
	reason atomic.Pointer[note]
}

// note is a line of MinIO's log and when it was read.
type note struct {
	text string
	at   time.Time
}

// reasonRE matches MinIO's lines that say why it cannot serve: no quorum,
// other nodes awaited or refusing its configuration, drives not found.
var reasonRE = regexp.MustCompile(`(?i)quorum could not be established|waiting for|offline or unreachable|mismatching configuration|drive not found|unable to (use|read|initialize)`)

// lastReason is MinIO's last line saying why it cannot serve, if seen
// within maxAge.
func (t *logTail) lastReason(maxAge time.Duration) string {
	if t == nil {
		return ""
	}
	n := t.reason.Load()
	if n == nil || time.Since(n.at) > maxAge {
		return ""
	}
	return n.text
}

// reasonOf shortens a reason line: no level prefix, no Go error type.
func reasonOf(line string) string {
	for _, p := range []string{"Error: ", "INFO: ", "WARNING: ", "ERROR "} {
		line = strings.TrimPrefix(line, p)
	}
	if i := strings.LastIndex(line, " (*"); i > 0 && strings.HasSuffix(line, ")") {
		line = line[:i]
	}
	if len(line) > 400 {
		line = line[:400] + "…"
	}
	return line
}

func startTail(path string, from int64, maxBytes int64, log hclog.Logger, secrets []string) *logTail {
	t := &logTail{path: path, maxBytes: maxBytes, log: log, secrets: secrets,
		stop: make(chan struct{}), done: make(chan struct{})}
	go t.run(from)
	return t
}

// close forwards what is left and stops.
func (t *logTail) close() {
	if t == nil {
		return
	}
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	<-t.done
}

func (t *logTail) run(off int64) {
	defer close(t.done)
	var partial []byte
	buf := make([]byte, 64<<10)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		stopping := false
		select {
		case <-t.stop:
			stopping = true
		case <-tick.C:
		}
		off, partial = t.pump(off, partial, buf)
		if stopping {
			if len(partial) > 0 {
				t.forward(string(partial))
			}
			return
		}
	}
}

func (t *logTail) pump(off int64, partial, buf []byte) (int64, []byte) {
	f, err := os.Open(t.path)
	if err != nil {
		return off, partial
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return off, partial
	}
	if st.Size() < off { // truncated by someone else
		off, partial = 0, nil
	}
	for off < st.Size() {
		n, err := f.ReadAt(buf, off)
		if n > 0 {
			off += int64(n)
			data := append(partial, buf[:n]...)
			for {
				i := bytes.IndexByte(data, '\n')
				if i < 0 {
					break
				}
				t.forward(string(data[:i]))
				data = data[i+1:]
			}
			partial = append([]byte(nil), data...)
			if len(partial) > 16<<10 { // a line that never ends: forward it in pieces
				t.forward(string(partial))
				partial = nil
			}
		}
		if err != nil {
			break
		}
	}
	if t.maxBytes > 0 && off >= t.maxBytes {
		if err := rotate(t.path); err != nil {
			t.log.Warn("could not rotate MinIO's log file", "path", t.path, "error", err)
		} else {
			off = 0
		}
	}
	return off, partial
}

// rotate copies the log to <path>.1 and truncates it in place: MinIO keeps
// its descriptor, which is opened with O_APPEND.
func rotate(path string) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(path+".1", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return os.Truncate(path, 0)
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// cleanLine strips terminal colours and whitespace, and redacts secrets.
func cleanLine(line string, secrets []string) string {
	line = strings.TrimSpace(ansiRE.ReplaceAllString(line, ""))
	for _, s := range secrets {
		if s != "" {
			line = strings.ReplaceAll(line, s, "[redacted]")
		}
	}
	return line
}

func (t *logTail) forward(raw string) {
	line := cleanLine(raw, t.secrets)
	if line == "" {
		return
	}
	if reasonRE.MatchString(line) {
		t.reason.Store(&note{text: reasonOf(line), at: time.Now()})
	}
	switch {
	case strings.HasPrefix(line, "FATAL") || strings.HasPrefix(line, "ERROR") || strings.Contains(line, "level=ERROR"):
		t.log.Error(line)
	case strings.HasPrefix(line, "WARN") || strings.Contains(line, "level=WARN"):
		t.log.Warn(line)
	default:
		t.log.Info(line)
	}
}

// lastLines returns the last n non-empty lines of the log file, cleaned and
// redacted, for a failure reason.
func lastLines(path string, n int, secrets []string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	const tail = 16 << 10
	start := max(st.Size()-tail, 0)
	b := make([]byte, st.Size()-start)
	k, _ := f.ReadAt(b, start)
	var out []string
	for _, l := range strings.Split(string(b[:k]), "\n") {
		if l = cleanLine(l, secrets); l != "" {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}
