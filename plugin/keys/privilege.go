package keys

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/quazzar/object-storage/shared"
)

// DefaultPolicy is the policy of a key made without one: full S3 access to
// every bucket (read, write, delete, create and delete buckets) and
// nothing else. Without it the key would inherit the root user's
// permissions, MinIO's admin API included: such a key could mint keys of
// its own that outlive its revocation.
const DefaultPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}`

// GrantsAdmin reports whether a policy allows anything beyond S3: MinIO's
// admin API ("admin:…"), its KMS ("kms:…"), every action ("*"), or
// whatever an Allow with NotAction leaves open. Such a policy makes an
// administrator key. A policy that does not parse grants nothing here
// (ValidatePolicy refuses it anyway).
func GrantsAdmin(policy string) bool {
	var doc struct {
		Statement []struct {
			Effect    string
			Action    json.RawMessage
			NotAction json.RawMessage
		}
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	for _, st := range doc.Statement {
		if !strings.EqualFold(st.Effect, "Allow") {
			continue
		}
		if len(st.NotAction) > 0 {
			return true // allows every action but the listed ones
		}
		for _, a := range stringOrList(st.Action) {
			if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(a)), "s3:") {
				return true
			}
		}
	}
	return false
}

// stringOrList reads a policy field that may be a string or a list.
func stringOrList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// classify says what a key may do from its embedded policy (implied: it
// has none and acts with the root user's permissions).
func classify(policy string, implied bool) (shared.KeyPolicy, bool) {
	switch {
	case implied:
		return shared.PolicyInherited, true
	case sameJSON(policy, DefaultPolicy):
		return shared.PolicyAllBuckets, false
	}
	return shared.PolicyCustom, GrantsAdmin(policy)
}

// sameJSON compares two JSON documents by value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// linkCreators fills MayHaveCreated of each administrator key: the keys
// created outside this page that the add-on first saw after that key was
// made (or first seen). MinIO makes the root user the parent of a key an
// administrator key creates, so nothing finer is known.
func linkCreators(keys []shared.Key) {
	for i := range keys {
		k := &keys[i]
		k.MayHaveCreated = nil
		if !k.Admin {
			continue
		}
		since := k.CreatedAt
		if since.IsZero() {
			since = k.FirstSeen
		}
		for _, o := range keys {
			if !o.Managed && o.AccessKey != k.AccessKey && !o.FirstSeen.IsZero() && afterOrZero(o.FirstSeen, since) {
				k.MayHaveCreated = append(k.MayHaveCreated, o.AccessKey)
			}
		}
	}
}

// afterOrZero: t is after since, or since is unknown.
func afterOrZero(t, since time.Time) bool { return since.IsZero() || t.After(since) }
