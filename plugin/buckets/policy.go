package buckets

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// PublicPolicy is the one anonymous statement a public bucket gets:
// s3:GetObject on its objects for everyone, and nothing else (no listing,
// no writes). minio-go's canned "download" policy also allows listing, so
// the statement is written here.
func PublicPolicy(bucket string) string {
	p := policyDoc{
		Version: "2012-10-17",
		Statement: []statement{{
			Effect:    "Allow",
			Principal: map[string]any{"AWS": []string{"*"}},
			Action:    []string{"s3:GetObject"},
			Resource:  []string{"arn:aws:s3:::" + bucket + "/*"},
		}},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

type policyDoc struct {
	Version   string      `json:"Version"`
	ID        string      `json:"Id,omitempty"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid       string          `json:"Sid,omitempty"`
	Effect    string          `json:"Effect"`
	Principal any             `json:"Principal,omitempty"`
	Action    any             `json:"Action,omitempty"`
	Resource  any             `json:"Resource,omitempty"`
	Condition json.RawMessage `json:"Condition,omitempty"`
	NotAction any             `json:"NotAction,omitempty"`
	NotRes    any             `json:"NotResource,omitempty"`
	NotPrinc  any             `json:"NotPrincipal,omitempty"`
}

// Classify tells which visibility a bucket policy amounts to: none is
// private, exactly our public statement is public, anything else is custom.
func Classify(bucket, policy string) shared.Visibility {
	if strings.TrimSpace(policy) == "" {
		return shared.Private
	}
	var p policyDoc
	if err := json.Unmarshal([]byte(policy), &p); err != nil || len(p.Statement) != 1 {
		return shared.Custom
	}
	s := p.Statement[0]
	if s.Effect != "Allow" || s.Condition != nil || s.NotAction != nil || s.NotRes != nil || s.NotPrinc != nil {
		return shared.Custom
	}
	if !isEveryone(s.Principal) ||
		!sameSet(strs(s.Action), []string{"s3:GetObject"}) ||
		!sameSet(strs(s.Resource), []string{"arn:aws:s3:::" + bucket + "/*"}) {
		return shared.Custom
	}
	return shared.Public
}

func isEveryone(p any) bool {
	switch v := p.(type) {
	case string:
		return v == "*"
	case map[string]any:
		return len(v) == 1 && sameSet(strs(v["AWS"]), []string{"*"})
	}
	return false
}

// strs reads a JSON string-or-array of strings.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	case []string:
		return x
	}
	return nil
}

func sameSet(a, b []string) bool {
	if len(a) == 0 {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, y := range b {
		if !slices.Contains(a, y) {
			return false
		}
	}
	return true
}
