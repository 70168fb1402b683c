package keys

import (
	"sort"
	"time"

	"github.com/quazzar/object-storage/shared"
)

// keyCache is the key list as last read from MinIO, with the add-on's own
// changes applied on top. Each own change gets a sequence number; a list
// read from MinIO is installed with the number current when the read
// began, and the changes made after that are applied to it again, so a
// read that raced with a revoke never puts the revoked key back. It is
// guarded by the Manager's mu.
type keyCache struct {
	keys map[string]shared.Key // access key -> key
	// asOf is when the list was read from MinIO; zero: never read.
	asOf time.Time
	// seq counts the add-on's own changes.
	seq uint64
	// changes are the own changes that a read may not have seen yet.
	changes map[string]keyChange
}

// keyChange is one own change: a key created (key set) or revoked (nil).
type keyChange struct {
	seq uint64
	key *shared.Key
}

func newKeyCache() keyCache {
	return keyCache{keys: map[string]shared.Key{}, changes: map[string]keyChange{}}
}

// put records a key the add-on has just created.
func (c *keyCache) put(k shared.Key) {
	c.seq++
	c.changes[k.AccessKey] = keyChange{seq: c.seq, key: &k}
	c.keys[k.AccessKey] = k
}

// remove records a key the add-on has just revoked.
func (c *keyCache) remove(accessKey string) {
	c.seq++
	c.changes[accessKey] = keyChange{seq: c.seq}
	delete(c.keys, accessKey)
}

// replace installs a list read from MinIO at asOf, by a read that began
// when the change count was since. Changes made after since are applied
// again; older ones are in the list already and are forgotten. A list
// older than the cached one is ignored.
func (c *keyCache) replace(since uint64, asOf time.Time, keys map[string]shared.Key) {
	if asOf.Before(c.asOf) {
		return
	}
	for ak, ch := range c.changes {
		switch {
		case ch.seq <= since:
			delete(c.changes, ak)
		case ch.key != nil:
			keys[ak] = *ch.key
		default:
			delete(keys, ak)
		}
	}
	c.keys, c.asOf = keys, asOf
}

// managedName reports whether one of the add-on's keys has this name.
func (c *keyCache) managedName(name string) bool {
	for _, k := range c.keys {
		if k.Managed && k.Name == name {
			return true
		}
	}
	return false
}

// sorted returns a copy of the list: the add-on's keys first, then by
// name and access key.
func (c *keyCache) sorted() []shared.Key {
	out := make([]shared.Key, 0, len(c.keys))
	for _, k := range c.keys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Managed != out[j].Managed {
			return out[i].Managed
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].AccessKey < out[j].AccessKey
	})
	return out
}
