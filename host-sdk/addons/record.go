package addons

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sync"

	"github.com/quazzar/object-storage/internal/atomicfile"
)

// record is what the host keeps of its add-ons across restarts and
// upgrades, in one small file of its state folder: each plugin's setting
// values and whether it is disabled. Nothing secret is stored here
// (a plugin keeps its secrets itself).
type record struct {
	path string

	mu      sync.Mutex
	plugins map[string]pluginRecord
}

type pluginRecord struct {
	Settings map[string]string `json:"settings,omitempty"`
	Disabled bool              `json:"disabled,omitempty"`
}

type recordFile struct {
	Plugins map[string]pluginRecord `json:"plugins"`
}

func loadRecord(path string) (*record, error) {
	r := &record{path: path, plugins: map[string]pluginRecord{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return r, nil
	case err != nil:
		return nil, fmt.Errorf("read the add-ons record %s: %w", path, err)
	}
	var f recordFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("the add-ons record %s is damaged (%v): move it away to start with the plugins' defaults", path, err)
	}
	if f.Plugins != nil {
		r.plugins = f.Plugins
	}
	return r, nil
}

// get returns a copy of a plugin's record and whether one is stored.
func (r *record) get(id string) (pluginRecord, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.plugins[id]
	p.Settings = maps.Clone(p.Settings)
	return p, ok
}

// update changes a plugin's record and saves the file; on a failed save
// the record in memory is left as it was.
func (r *record) update(id string, change func(p *pluginRecord)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := maps.Clone(r.plugins)
	p := next[id]
	p.Settings = maps.Clone(p.Settings)
	change(&p)
	next[id] = p
	if err := r.save(next); err != nil {
		return err
	}
	r.plugins = next
	return nil
}

// forget removes a plugin's record (an uninstall with purge).
func (r *record) forget(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := maps.Clone(r.plugins)
	delete(next, id)
	if err := r.save(next); err != nil {
		return err
	}
	r.plugins = next
	return nil
}

func (r *record) save(plugins map[string]pluginRecord) error {
	b, err := json.MarshalIndent(recordFile{Plugins: plugins}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(r.path), 0o700); err != nil {
		return fmt.Errorf("save the add-ons record: %w", err)
	}
	if err := atomicfile.Write(r.path, b, 0o600); err != nil {
		return fmt.Errorf("save the add-ons record: %w", err)
	}
	return nil
}
