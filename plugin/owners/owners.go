// Package owners records which plugin made each access key and bucket
// through the host (the caller id the host attached, never one the caller
// claims), in the add-on's one database (package store), so that the host
// can ask what a plugin owns when it uninstalls it.
package owners

import (
	"slices"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/quazzar/object-storage/plugin/store"
)

// BucketName is the owners' top-level bucket in the store.
const BucketName = "owners"

// Kind is what is owned.
type Kind string

const (
	Key    Kind = "key"
	Bucket Kind = "bucket"
)

// Owners is the record, kept in memory and written through to the store.
// It is safe for concurrent use.
type Owners struct {
	db *store.DB

	mu  sync.Mutex
	all map[Kind]map[string]string // kind -> name -> plugin
}

// Open reads the record from db.
func Open(db *store.DB) (*Owners, error) {
	o := &Owners{db: db, all: map[Kind]map[string]string{Key: {}, Bucket: {}}}
	err := db.View(BucketName, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			kind, name, ok := strings.Cut(string(k), "/")
			if m := o.all[Kind(kind)]; ok && m != nil {
				m[name] = string(v)
			}
			return nil
		})
	})
	return o, err
}

// Set records plugin as the owner of name; an empty plugin (the node
// owner) records nothing.
func (o *Owners) Set(kind Kind, name, plugin string) error {
	if plugin == "" {
		return nil
	}
	if err := o.db.Update(BucketName, func(b *bolt.Bucket) error {
		return b.Put([]byte(string(kind)+"/"+name), []byte(plugin))
	}); err != nil {
		return err
	}
	o.mu.Lock()
	o.all[kind][name] = plugin
	o.mu.Unlock()
	return nil
}

// Forget removes name (revoked, deleted).
func (o *Owners) Forget(kind Kind, name string) error {
	o.mu.Lock()
	_, ok := o.all[kind][name]
	delete(o.all[kind], name)
	o.mu.Unlock()
	if !ok {
		return nil
	}
	return o.db.Update(BucketName, func(b *bolt.Bucket) error {
		return b.Delete([]byte(string(kind) + "/" + name))
	})
}

// Of returns the owner of name, "" for none.
func (o *Owners) Of(kind Kind, name string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.all[kind][name]
}

// Owned returns the names of kind that plugin owns, sorted.
func (o *Owners) Owned(kind Kind, plugin string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []string{}
	for name, p := range o.all[kind] {
		if p == plugin {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
